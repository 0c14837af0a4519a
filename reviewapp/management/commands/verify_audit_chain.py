"""Verify the audit trail's keyed hash chain against its signed checkpoints: exit status 0 when intact, 1 with
every problem listed when not."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from reviewapp.audit import audit_chain_problems
from reviewapp.integrity.checkpoints import latest_checkpoints
from reviewapp.models import AuditEvent


class Command(BaseCommand):
    help = "Check that no audit entry was edited, removed or reordered (exit status 1 if one was)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--max-problems",
            type=int,
            default=None,
            help="Stop after this many problems (default: report all).",
        )

    def handle(self, *args, max_problems: int | None = None, **options) -> None:
        problems = audit_chain_problems(limit=max_problems)
        if problems:
            for problem in problems:
                self.stderr.write(problem)
            raise CommandError(f"the audit trail does not verify: {len(problems)} problem(s) found")
        checkpoints, _ = latest_checkpoints()
        anchors = (
            ", ".join(f"{c.source} ({c.entry_count} entries, {c.at})" for c in checkpoints) or "none yet"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {AuditEvent.objects.count()} entries verified. Latest checkpoints: {anchors}."
            )
        )
