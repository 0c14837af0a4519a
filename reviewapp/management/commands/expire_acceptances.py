"""Expire accepted risks whose date has come (the daily beat task, runnable by hand).

`--date` in the future shows what that day would expire without changing anything; `--apply` makes it so.
Run with neither, it acts on today, as the beat task does."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviewapp.acceptance.services import expire_risk_acceptances, send_acceptance_reminders


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r} is not a date like 2025-06-30") from exc


class Command(BaseCommand):
    help = "Reopen improvement items whose accepted risk expires on or before today (or --date, a dry run)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="report what expires by this date (YYYY-MM-DD); changes nothing")
        parser.add_argument("--apply", action="store_true", help="with --date: expire them for real")

    def handle(self, *args, **options):
        day = parse_day(options["date"])
        apply = day is None or options["apply"]
        day = day or timezone.localdate()
        due = expire_risk_acceptances(day, apply=apply)
        for line in due:
            self.stdout.write(
                f"{line.expires_on.isoformat()}  {line.workload}  {line.bp_code}"
                f"{f'  (accepted by {line.accepted_by})' if line.accepted_by else ''}"
            )
        plural = "s" if len(due) != 1 else ""
        if apply:
            self.stdout.write(f"{len(due)} expired risk acceptance{plural} reopened ({day}).")
            sent = send_acceptance_reminders(day)
            self.stdout.write(f"{sent} acceptance e-mail{'s' if sent != 1 else ''} sent.")
        else:
            self.stdout.write(
                f"{len(due)} risk acceptance{plural} would expire by {day}; nothing changed (add --apply)."
            )
