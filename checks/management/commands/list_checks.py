"""`manage.py list_checks [--json]`: every automated check, for users and auditors asking what exactly is
checked, and how many best practices of the Security pillar have at least one."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from checks.registry import all_checks
from checks.selectors import coverage


class Command(BaseCommand):
    help = (
        "List every registered evidence check: id, title, service, scope, severity, best practices and IAM "
        "actions, then how many of the pillar's best practices have at least one check."
    )

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
        self.stdout.write(f"\n{len(checks)} checks across {len(services)} AWS services.")
        rows = coverage()
        if rows:
            evidenced = sum(1 for row in rows if row.automated)
            self.stdout.write(
                f"{evidenced} of {len(rows)} best practices have at least one check; "
                f"{len(rows) - evidenced} need a person to verify them."
            )
        else:
            # No lens loaded yet (`manage.py load_lens`): count the practices the checks name.
            self.stdout.write(f"The checks evidence {len(practices)} best practices.")
