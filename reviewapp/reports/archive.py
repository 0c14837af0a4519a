"""Milestone PDFs are rendered once and kept: a milestone never changes, so neither does its report.

The file is stored through Django's default storage under the milestone's snapshot hash, and later requests
for the same milestone and kind are served from storage without rendering. A milestone whose snapshot no longer
verifies is rendered afresh every time (its report says so), and a storage that cannot be written only costs
the next request a render: the person who asked always gets the PDF.
"""

from __future__ import annotations

import logging

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from ..models import Milestone, Review
from ..services.milestones import milestone_verify
from .pdf import render_review_pdf

logger = logging.getLogger(__name__)


def archive_name(milestone: Milestone, kind: str) -> str:
    return f"reports/milestones/{milestone.pk}/{milestone.sha256}-{kind}.pdf"


def milestone_pdf(review: Review, *, milestone: Milestone, kind: str, timeout: float | None = None) -> bytes:
    """The PDF of `milestone`: from storage when it was rendered before, else rendered now and stored."""
    if not milestone_verify(milestone):
        return render_review_pdf(review, milestone=milestone, kind=kind, timeout=timeout)
    name = archive_name(milestone, kind)
    try:
        if default_storage.exists(name):
            with default_storage.open(name, "rb") as stored:
                return stored.read()
    except OSError:
        logger.warning(
            "milestone report %s could not be read from storage; rendering it", name, exc_info=True
        )
    pdf = render_review_pdf(review, milestone=milestone, kind=kind, timeout=timeout)
    try:
        default_storage.save(name, ContentFile(pdf))
    except OSError:
        logger.warning("milestone report %s could not be stored", name, exc_info=True)
    return pdf


__all__ = ["archive_name", "milestone_pdf"]
