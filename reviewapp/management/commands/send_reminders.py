"""E-mail owners about overdue and soon-due improvement items (the daily beat task, runnable by hand)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from reviewapp.management.commands.expire_acceptances import parse_day
from reviewapp.services.plan import send_item_reminders


class Command(BaseCommand):
    help = "Send each owner one e-mail about their items due within 7 days or overdue; at most one per day."

    def add_arguments(self, parser):
        parser.add_argument("--date", help="act as if today were this date (YYYY-MM-DD); default: today")

    def handle(self, *args, **options):
        today = parse_day(options["date"])
        sent = send_item_reminders(today)
        self.stdout.write(f"{sent} reminder e-mail{'s' if sent != 1 else ''} sent ({today}).")
