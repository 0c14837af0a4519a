"""Reopen improvement items whose risk acceptance has expired (the daily beat task, runnable by hand)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from reviewapp.services.plan import expire_risk_acceptances


def parse_day(value: str | None) -> date:
    if not value:
        return timezone.localdate()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"--date {value!r} is not a date like 2025-06-30") from exc


class Command(BaseCommand):
    help = "Reopen improvement items whose risk acceptance expires on or before today (or --date)."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="act as if today were this date (YYYY-MM-DD); default: today")

    def handle(self, *args, **options):
        today = parse_day(options["date"])
        count = expire_risk_acceptances(today)
        self.stdout.write(f"{count} expired risk acceptance{'s' if count != 1 else ''} reopened ({today}).")
