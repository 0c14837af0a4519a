"""Integrity of what the app keeps as proof: the audit chain's keyed fingerprints and signed checkpoints of its head,
and the keyed fingerprints of milestones. The keys come from settings (AUDIT_HMAC_KEY), never from the database."""
