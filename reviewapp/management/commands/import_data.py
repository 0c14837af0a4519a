"""Load a file written by export_data into this database, all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from reviewapp.audit import audit_chain_problems
from reviewapp.services.data_transfer import data_import


class Command(BaseCommand):
    help = (
        "Import a file written by export_data into a new database (run migrate and load_lens "
        "first). Nothing is written unless everything imports. Imported users have no usable "
        "password until one is set."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the JSON file written by export_data")
        parser.add_argument(
            "--force",
            action="store_true",
            help="import even though the database holds review data (a clashing row aborts the import)",
        )

    def handle(self, *args, file: Path, force: bool, **options):
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read: {exc.strerror or exc}") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(f"{file}: is not a JSON file: {exc}") from exc
        try:
            counts = data_import(document=document, force=force)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        for key, count in counts.items():
            self.stdout.write(f"{key.replace('_', ' ')}: {count:,}")
        problems = audit_chain_problems(limit=5)
        if problems:
            # The rows are in; say plainly that the trail they came with does not verify.
            self.stderr.write("The imported audit trail does not verify:\n  " + "\n  ".join(problems))
        else:
            self.stdout.write("Audit trail verified.")
        self.stdout.write(
            "Imported users have no usable password: set one with manage.py changepassword USERNAME."
        )
