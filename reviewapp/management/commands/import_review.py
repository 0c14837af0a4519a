"""Import a review exported as JSON (format wa-security-review/1) as a new workload of a team."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviewapp.forms import find_user
from reviewapp.models import Team
from reviewapp.reports.json_reader import ReviewImportError
from reviewapp.reports.review_json import import_review_json


def find_team(value: str) -> Team:
    try:
        team = Team.objects.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        team = None
    team = team or Team.objects.filter(name__iexact=value.strip()).first()
    if team is None:
        raise CommandError(f"There is no team called {value!r} (give its name or id).")
    return team


class Command(BaseCommand):
    help = (
        "Import a review JSON file as a new workload of --team. Nothing is written unless the whole file "
        "imports. Prints the new workload's id on standard output; messages go to standard error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the JSON file written by export_review --format json")
        parser.add_argument("--team", required=True, help="the team to create the workload in (name or id)")
        parser.add_argument("--name", help="the new workload's name, instead of the one in the file")
        # Required: the new workload records who created it, and the audit trail who imported it.
        parser.add_argument(
            "--as",
            dest="actor",
            required=True,
            help="the user the import is made as (the workload's creator in the audit trail)",
        )

    def handle(self, *args, file: Path, team: str, name: str | None, actor: str, **options):
        target = find_team(team)
        user = find_user(actor)
        if user is None or not user.is_active:
            raise CommandError(f"There is no active user called {actor!r}.")
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
        try:
            result = import_review_json(raw, target, user, name=name)
        except ReviewImportError as exc:
            count = len(exc.problems)
            problems = "\n".join(f"  {problem}" for problem in exc.problems)
            plural = "s" if count != 1 else ""
            raise CommandError(
                f"{file} was not imported ({count} problem{plural}; nothing was written):\n{problems}"
            ) from exc
        workload = result.workload
        self.stderr.write(
            f"Imported {workload.name!r} into {target.name}: {result.answers} answers, "
            f"{result.items} tracked improvement items."
        )
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(str(workload.pk))
