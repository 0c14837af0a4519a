"""Evidence files: attach a file to a best practice of a review, remove one. Each write audited.

Everything that can refuse a file is checked before a byte reaches storage: the practice, the size
(EVIDENCE_FILE_MAX_BYTES), the type read from the content (lib/filetypes.py) and the valid-until date. Only then
is the file stored, the row saved and the audit entry written in one transaction; if that transaction fails
the stored file is removed again, so a refused or failed upload leaves no orphan in storage. Removing a file
writes its name, size and SHA-256 to the audit trail before the row goes, and deletes the stored bytes once
the transaction has committed.
"""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from ..audit import audit_record
from ..lib.filetypes import UnsupportedFile, detect_kind
from ..models import EvidenceFile, Review, User
from ..specs import version_specs

NAME_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 500


def _values(evidence: EvidenceFile) -> dict[str, Any]:
    return {
        "review": str(evidence.review_id),
        "bp_code": evidence.bp_code,
        "name": evidence.name,
        "kind": evidence.kind,
        "size": evidence.size,
        "sha256": evidence.sha256,
        "valid_until": evidence.valid_until.isoformat() if evidence.valid_until else None,
    }


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def _question_code(review: Review, bp_code: str) -> str:
    specs = version_specs(review.lens_version_id)
    found = specs.bp_index.get(bp_code)
    if found is None:
        raise ValidationError({"bp_code": [f"{bp_code} is not a best practice of this review's lens."]})
    return specs.by_question_id[found[0]].code


def _checked(upload: UploadedFile, valid_until: date | None, description: str) -> tuple[str, str]:
    """The file's type and SHA-256, or a ValidationError naming every problem."""
    errors: dict[str, list[str]] = {}
    limit = settings.EVIDENCE_FILE_MAX_BYTES
    size = upload.size or 0
    kind = sha256 = ""
    if size == 0:
        errors["file"] = ["The file is empty."]
    elif size > limit:
        errors["file"] = [
            f"The file is {_megabytes(size)}; evidence files may be at most {_megabytes(limit)}."
        ]
    else:
        try:
            kind = detect_kind(upload.name or "", upload.chunks())
        except UnsupportedFile as problem:
            errors["file"] = [str(problem)]
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        sha256 = digest.hexdigest()
    if len(upload.name or "") > NAME_MAX_LENGTH:
        errors.setdefault("file", []).append(f"File names are limited to {NAME_MAX_LENGTH} characters.")
    if valid_until is not None and valid_until < timezone.localdate():
        errors["valid_until"] = ["That date has passed: evidence must be valid today or later."]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors["description"] = [f"Descriptions are limited to {DESCRIPTION_MAX_LENGTH} characters."]
    if errors:
        raise ValidationError(errors)
    return kind, sha256


def evidence_file_attach(
    *,
    review: Review,
    bp_code: str,
    upload: UploadedFile,
    actor: User,
    valid_until: date | None = None,
    description: str = "",
) -> EvidenceFile:
    question_code = _question_code(review, bp_code)
    description = description.strip()
    kind, sha256 = _checked(upload, valid_until, description)
    evidence = EvidenceFile(
        review=review,
        question_code=question_code,
        bp_code=bp_code,
        name=upload.name or "",
        kind=kind,
        size=upload.size or 0,
        sha256=sha256,
        description=description,
        valid_until=valid_until,
        uploaded_by=actor,
    )
    try:
        with transaction.atomic():
            evidence.file.save(evidence.name, upload, save=False)
            evidence.save(force_insert=True)
            audit_record(
                actor=actor,
                action="evidence_file.attach",
                obj=evidence,
                workload_id=review.workload_id,
                after=_values(evidence),
            )
    except BaseException:
        if evidence.file.name:
            evidence.file.storage.delete(evidence.file.name)
        raise
    return evidence


@transaction.atomic
def evidence_file_delete(*, evidence: EvidenceFile, actor: User) -> None:
    audit_record(
        actor=actor,
        action="evidence_file.delete",
        obj=evidence,
        workload_id=evidence.review.workload_id,
        before=_values(evidence),
    )
    stored, storage = evidence.file.name, evidence.file.storage
    evidence.delete()
    # Bytes go only once the row is surely gone: a rolled-back delete keeps a file that still has its row.
    transaction.on_commit(lambda: storage.delete(stored))
