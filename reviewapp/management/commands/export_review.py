"""Write a review's report for automation: the PDF, the review as JSON, or its plan as CSV/XLSX."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviewapp.models import Milestone, Review
from reviewapp.reports.content import KINDS
from reviewapp.reports.errors import ReportError
from reviewapp.reports.jobs import FORMATS, report_file


def find_milestone(review: Review, name: str) -> Milestone:
    """A milestone of the review by name (any case) or id; the error lists the names there are."""
    milestones = Milestone.objects.filter(review=review).select_related("lens_version")
    try:
        found = milestones.filter(pk=uuid.UUID(name)).first()
    except ValueError:
        found = None
    found = found or milestones.filter(name__iexact=name.strip()).first()
    if found is None:
        names = list(milestones.order_by("created_at").values_list("name", flat=True))
        known = ", ".join(repr(n) for n in names) if names else "none yet"
        raise CommandError(f"The review has no milestone called {name!r}. Its milestones: {known}.")
    return found


def write_atomically(path: Path, content: bytes) -> None:
    """Write to a temporary file beside `path` and rename it, so a failure never leaves half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Export a review: --format pdf (the report), json (the review in the wa-security-review/1 format) "
        "or csv/xlsx (its improvement plan); of the current answers or of a milestone."
    )

    def add_arguments(self, parser):
        parser.add_argument("review_id", help="the review's id (a UUID, as in its web address)")
        parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt")
        parser.add_argument(
            "--milestone", help="report this milestone (its name or id) instead of the current answers"
        )
        parser.add_argument(
            "--kind",
            choices=KINDS,
            default=None,
            help="PDF only: the full report (default) or the executive summary",
        )
        parser.add_argument(
            "--output", required=True, help="the file to write; - writes JSON or CSV to standard output"
        )

    def handle(
        self, *args, review_id: str, fmt: str, milestone: str | None, kind: str | None, output: str, **options
    ):
        if kind is not None and fmt != "pdf":
            raise CommandError("--kind applies to PDF reports only.")
        if output == "-" and fmt in ("pdf", "xlsx"):
            raise CommandError(f"A {fmt} file is binary: give --output a file name instead of -.")
        try:
            review_uuid = uuid.UUID(review_id)
        except ValueError as exc:
            raise CommandError(f"{review_id!r} is not a review id (expected a UUID).") from exc
        review = (
            Review.objects.select_related("workload__team", "lens", "lens_version")
            .filter(pk=review_uuid)
            .first()
        )
        if review is None:
            raise CommandError(f"There is no review with id {review_id}.")
        chosen = find_milestone(review, milestone) if milestone else None
        try:
            file = report_file(review, fmt=fmt, kind=kind or "full", milestone=chosen)
        except ReportError as exc:
            raise CommandError(exc.message) from exc
        if output == "-":
            sys.stdout.buffer.write(file.content)
            sys.stdout.buffer.flush()
            return
        path = Path(output)
        if path.is_dir():
            raise CommandError(
                f"{output} is a directory; give a file name (for example {path / file.filename})."
            )
        try:
            write_atomically(path, file.content)
        except OSError as exc:
            raise CommandError(f"{output}: cannot be written: {exc.strerror or exc}") from exc
        self.stderr.write(f"Wrote {len(file.content):,} bytes to {output}.")
