"""Importing custom lenses: parse and validate the whole file, store it as a lens version, and audit it."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from questionnaire.catalogue import lens_version_store
from questionnaire.lensformat import parse_custom_lens
from questionnaire.models import Lens, LensVersion

from ..audit import audit_record
from ..models import User


@transaction.atomic
def lens_import(*, text: str, actor: User, slug: str | None = None) -> tuple[LensVersion, bool]:
    """Store AWS custom-lens JSON as a new version of a custom lens; the same content again is a no-op.

    Raises questionnaire.lensformat.LensFormatError (with every problem) for an invalid file.
    """
    doc = parse_custom_lens(text, slug=slug)
    existing = Lens.objects.filter(slug=doc.slug).first()
    if existing is not None and existing.kind != Lens.Kind.CUSTOM:
        # Built-in lenses only ever load from our own files; a custom version must never join them.
        raise ValidationError({"slug": [f"{doc.slug!r} is a built-in lens; choose another slug."]})
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
            },
        )
    return version, created
