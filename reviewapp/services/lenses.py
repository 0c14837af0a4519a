"""Importing custom lenses: preview what a file would import, then store exactly that, audited.

An upload is previewed first (pillars, questions, choices, risk rules, and a warning for every repair); the
import names the preview's `content_sha256`, so what is written is what the person saw. The browser keeps the
upload server-side between the two steps (`lens_upload_hold`), so confirming needs no second upload.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction

from questionnaire.catalogue import lens_version_store
from questionnaire.lensformat import LensRead, lens_preview, read_custom_lens
from questionnaire.models import Lens, LensVersion

from ..audit import audit_record
from ..models import User

# Long enough to read a big preview, short enough that abandoned uploads do not pile up (each <= 500 KB).
UPLOAD_HOLD_SECONDS = 30 * 60


class LensConfirmMismatch(Exception):
    """The file to import is not the one that was previewed (another file, or another slug)."""


def _builtin_refusal(slug: str) -> None:
    existing = Lens.objects.filter(slug=slug).values_list("kind", flat=True).first()
    if existing is not None and existing != Lens.Kind.CUSTOM:
        # Built-in lenses only ever load from our own files; a custom version must never join them.
        raise ValidationError({"slug": [f"{slug!r} is a built-in lens; choose another slug."]})


def _strict_refusal(read: LensRead) -> None:
    if read.warnings:
        raise ValidationError({"document": [f"{warning} (refused: strict)" for warning in read.warnings]})


def lens_import_preview(*, text: str, slug: str | None = None, strict: bool = False) -> dict[str, Any]:
    """What importing `text` would store, and whether it is already stored. Writes nothing.

    Raises questionnaire.lensformat.LensFormatError for a file that cannot be imported, ValidationError for a
    built-in lens's slug, or (with `strict`) for a file that needed repairs.
    """
    read = read_custom_lens(text, slug=slug)
    _builtin_refusal(read.doc.slug)
    if strict:
        _strict_refusal(read)
    preview = lens_preview(read)
    stored = (
        LensVersion.objects.filter(lens__slug=read.doc.slug, content_sha256=preview["content_sha256"])
        .values_list("number", flat=True)
        .first()
    )
    preview["already_stored_as_version"] = stored
    return preview


@transaction.atomic
def lens_import(
    *, text: str, actor: User, slug: str | None = None, confirm: str | None = None, strict: bool = False
) -> tuple[LensVersion, bool]:
    """Store AWS custom-lens JSON as a new version of a custom lens; the same content again is a no-op.

    With `confirm` (the content_sha256 of its preview), a file whose content differs from the preview raises
    LensConfirmMismatch and nothing is written. Raises questionnaire.lensformat.LensFormatError (with every
    problem) for an invalid file.
    """
    read = read_custom_lens(text, slug=slug)
    doc = read.doc
    _builtin_refusal(doc.slug)
    if strict:
        _strict_refusal(read)
    digest = doc.content_sha256()
    if confirm is not None and confirm != digest:
        raise LensConfirmMismatch(
            f"This file's content (sha256 {digest[:12]}…) is not what was previewed ({confirm[:12]}…); "
            "preview it again."
        )
    version, created = lens_version_store(doc)
    if created:
        audit_record(
            actor=actor,
            action="lens.import",
            obj=version,
            object_repr=f"{doc.slug} v{version.number}",
            after={
                "slug": doc.slug,
                "number": version.number,
                "label": version.label,
                "questions": len(doc.questions()),
                "sha256": version.content_sha256,
                "warnings": [str(warning) for warning in read.warnings],
            },
        )
    return version, created


def _held_key(user: User, upload_sha256: str) -> str:
    return f"lens-upload:{user.pk}:{upload_sha256}"


def lens_upload_hold(*, user: User, text: str) -> str:
    """Keep an uploaded lens file for its uploader to confirm; returns its SHA-256, the key to confirm with."""
    upload_sha256 = hashlib.sha256(text.encode()).hexdigest()
    cache.set(_held_key(user, upload_sha256), text, UPLOAD_HOLD_SECONDS)
    return upload_sha256


def lens_upload_held(*, user: User, upload_sha256: str) -> str | None:
    """The file `user` uploaded with this SHA-256, while it is held; None once expired (or never theirs)."""
    text = cache.get(_held_key(user, upload_sha256))
    if not isinstance(text, str) or hashlib.sha256(text.encode()).hexdigest() != upload_sha256:
        return None
    return text


def lens_upload_release(*, user: User, upload_sha256: str) -> None:
    cache.delete(_held_key(user, upload_sha256))
