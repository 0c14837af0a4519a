"""Evidence files: a file attached to one best practice of a review, kept through Django's storage API.

The row keeps what an auditor needs to trust the file later: its SHA-256, who uploaded it and when, and until
when it counts as evidence. The type is what the content is (checked on upload), never what the name says.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.core.files.storage import Storage, storages
from django.db import models
from django.db.models import Q

# The content types an evidence file may have: the key is stored, the value is what a download sends.
EVIDENCE_TYPES = {
    "PDF": "application/pdf",
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "TXT": "text/plain; charset=utf-8",
    "CSV": "text/csv; charset=utf-8",
    "JSON": "application/json",
}


class EvidenceStorage(Storage):
    """The "evidence" storage of settings.STORAGES (the filesystem by default, S3 when configured), looked up on
    every use: a FileField keeps the storage it was given when models load, and this one follows settings."""

    @property
    def backend(self) -> Storage:
        return storages["evidence"]

    def open(self, name: str, mode: str = "rb") -> Any:
        return self.backend.open(name, mode)

    def save(self, name: str | None, content: Any, max_length: int | None = None) -> str:
        return self.backend.save(name, content, max_length=max_length)

    def delete(self, name: str) -> None:
        self.backend.delete(name)

    def exists(self, name: str) -> bool:
        return self.backend.exists(name)

    def size(self, name: str) -> int:
        return self.backend.size(name)

    def url(self, name: str | None) -> str:
        return self.backend.url(name)

    def path(self, name: str) -> str:
        return self.backend.path(name)

    def listdir(self, path: str) -> tuple[list[str], list[str]]:
        return self.backend.listdir(path)

    def generate_filename(self, filename: str | os.PathLike[str]) -> str:
        return self.backend.generate_filename(filename)

    def get_available_name(self, name: str, max_length: int | None = None) -> str:
        return self.backend.get_available_name(name, max_length=max_length)


_EVIDENCE_STORAGE = EvidenceStorage()


def evidence_storage() -> Storage:
    return _EVIDENCE_STORAGE


def evidence_path(instance: EvidenceFile, filename: str) -> str:
    # Never the uploaded name: a random key per file, grouped by review.
    return f"evidence/{instance.review_id}/{uuid.uuid4().hex}"


class EvidenceFile(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey("reviewapp.Review", on_delete=models.CASCADE, related_name="evidence_files")
    question_code = models.CharField(max_length=20)
    bp_code = models.CharField(max_length=40)
    file = models.FileField(storage=evidence_storage, upload_to=evidence_path, max_length=255)
    name = models.CharField(max_length=255, help_text="The uploaded file's name, shown and used on download.")
    kind = models.CharField(max_length=4, choices=[(key, key) for key in EVIDENCE_TYPES])
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=500, blank=True)
    valid_until = models.DateField(null=True, blank=True)
    uploaded_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["review", "bp_code", "uploaded_at"]
        indexes = [models.Index(fields=["review", "question_code"], name="evidencefile_question")]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=list(EVIDENCE_TYPES)), name="evidencefile_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.bp_code})"

    @property
    def content_type(self) -> str:
        return EVIDENCE_TYPES[self.kind]
