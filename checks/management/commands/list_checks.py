"""`manage.py list_checks [--json]`: every automated check, for users and auditors asking what exactly is
checked."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from checks.registry import all_checks


class Command(BaseCommand):
    help = "List every registered evidence check: id, title, service, scope, severity and best practices."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print a JSON array instead of a table.")

    def handle(self, *args: Any, **options: Any) -> None:
        checks = sorted(all_checks(), key=lambda item: item.id)
        if options["json"]:
            self.stdout.write(json.dumps([item.as_dict() for item in checks], indent=2))
            return
        width = max(len(item.id) for item in checks)
        for item in checks:
            self.stdout.write(
                f"{item.id:<{width}}  {item.service:<14} {item.scope:<8} {item.severity:<6} "
                f"{','.join(item.best_practices):<24} {item.title}"
            )
        services = {item.service for item in checks}
        practices = {code for item in checks for code in item.best_practices}
        self.stdout.write(
            f"\n{len(checks)} checks across {len(services)} AWS services, evidencing {len(practices)} best "
            f"practices."
        )
