"""Delete sign-in attempts too old to matter to any lock (the audit trail keeps the history). Run daily."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from reviewapp.identity.throttle import prune_attempts


class Command(BaseCommand):
    help = "Delete stored sign-in attempts older than --days (default 30); locks only look at the last hour."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=30, help="Keep attempts younger than this many days.")

    def handle(self, *args, days: int, **options) -> None:
        deleted = prune_attempts(timedelta(days=max(days, 1)))
        self.stdout.write(f"Deleted {deleted} sign-in attempt(s) older than {max(days, 1)} day(s).")
