"""Signed checkpoints of the audit chain's head (see reviewapp/integrity/checkpoints.py)."""

from __future__ import annotations

from django.db import models


class AuditCheckpoint(models.Model):
    """The audit chain's length and newest entry at one moment, signed with the audit key.

    Stored here and also written to the log, and to a file and an S3 bucket when configured: a copy outside
    the database is what lets `verify_audit_chain` notice newest entries removed together with these rows.
    """

    at = models.DateTimeField()
    entry_count = models.PositiveBigIntegerField()
    head_id = models.BigIntegerField(help_text="Id of the newest audit entry covered (0 for an empty trail).")
    head_hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=32)
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["entry_count", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.entry_count} entries"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("audit checkpoints are never changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)
