"""`manage.py import_findings FILE --workload ID --as USER [--format ...]`: import a scanner's findings
(Prowler OCSF JSON or CSV, Security Hub CSPM ASFF) as evidence, as the web page and the API do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.http import Http404

from checks.imports.parsers import FORMATS, ImportFileError
from checks.imports.service import Upload, evidence_import_create
from reviewapp.access import Action, get_workload_for_user
from reviewapp.forms import find_user


class Command(BaseCommand):
    help = (
        "Import Prowler (OCSF JSON or CSV) or Security Hub CSPM (ASFF) findings as evidence for a workload. "
        "Nothing is stored unless the whole file imports. Prints the import's id on standard output."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the scanner's output file")
        parser.add_argument("--workload", required=True, help="the workload's id")
        parser.add_argument(
            "--as", dest="actor", required=True, help="the user the import is made as (must be able to edit)"
        )
        parser.add_argument("--format", choices=sorted(FORMATS), help="skip recognising the format")

    def handle(self, *args: Any, file: Path, workload: str, actor: str, **options: Any) -> None:
        user = find_user(actor)
        if user is None or not user.is_active:
            raise CommandError(f"There is no active user called {actor!r}.")
        try:
            target = get_workload_for_user(user, workload, Action.EDIT)
        except (Http404, PermissionDenied, ValidationError) as exc:
            raise CommandError(f"{actor} cannot change a workload {workload!r} (or there is none).") from exc
        try:
            stream = file.open("rb")
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
        with stream:
            try:
                result = evidence_import_create(
                    workload=target,
                    actor=user,
                    upload=Upload(stream, file.name, file.stat().st_size),
                    file_format=options.get("format"),
                )
            except ImportFileError as exc:
                where = f" (at {exc.location})" if exc.location else ""
                raise CommandError(f"{file}: not imported, nothing was stored: {exc.message}{where}") from exc
        skipped = ", ".join(f"{count} {reason}" for reason, count in result.skipped.items()) or "none"
        self.stderr.write(
            f"Imported {result.total} {result.get_source_display()} findings for {target.name}: {result.mapped} "
            f"evidence best practices, {result.unmapped} map to none, skipped: {skipped}."
        )
        self.stdout.write(str(result.pk))
