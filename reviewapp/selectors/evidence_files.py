"""Reads of evidence files: one query per list, with who uploaded each."""

from __future__ import annotations

from django.db.models import QuerySet

from ..models import EvidenceFile, Review


def evidence_files(review: Review, *, question_code: str | None = None) -> QuerySet[EvidenceFile]:
    files = EvidenceFile.objects.filter(review=review).select_related("uploaded_by")
    if question_code is not None:
        files = files.filter(question_code=question_code)
    return files.order_by("bp_code", "uploaded_at", "pk")


def evidence_file_lines(review: Review) -> list[dict]:
    """What a milestone and the report's appendix record of each file: never the bytes, always the hash."""
    return [
        {
            "bp_code": evidence.bp_code,
            "name": evidence.name,
            "kind": evidence.kind,
            "size": evidence.size,
            "sha256": evidence.sha256,
            "uploaded_by": evidence.uploaded_by.get_username() if evidence.uploaded_by else "",
            "uploaded_at": evidence.uploaded_at.isoformat(),
            "valid_until": evidence.valid_until.isoformat() if evidence.valid_until else None,
        }
        for evidence in evidence_files(review)
    ]
