"""Keyed fingerprints (HMAC-SHA256) with the audit key from settings: the first key signs, every key verifies.

Each fingerprint is stored with the id of the key that made it, so keys can be rotated without rewriting history.
"""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def current_key_id() -> str:
    return next(iter(settings.AUDIT_HMAC_KEYS))


def fingerprint(message: bytes, key_id: str | None = None) -> tuple[str, str]:
    """(key id, hex HMAC-SHA256) of the message with the signing key, or with `key_id` when given."""
    key_id = key_id or current_key_id()
    secret = settings.AUDIT_HMAC_KEYS[key_id].encode()
    return key_id, hmac.new(secret, message, hashlib.sha256).hexdigest()


def fingerprint_matches(message: bytes, key_id: str, digest: str) -> bool:
    """False for an unknown key id as for a wrong digest: neither proves the message."""
    if key_id not in settings.AUDIT_HMAC_KEYS:
        return False
    return hmac.compare_digest(fingerprint(message, key_id)[1], digest)


def key_known(key_id: str) -> bool:
    return key_id in settings.AUDIT_HMAC_KEYS
