"""Write the review domain to a JSON file (no password hashes, MFA secrets or API tokens)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from reviewapp.services.data_transfer import data_export_json


class Command(BaseCommand):
    help = (
        "Export teams, memberships, users (without passwords), workloads, reviews, answers, improvement "
        "items, milestones and the audit trail as JSON. The file is written readable by its owner only."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", "-o", required=True, help="file to write, or - for standard output")
        parser.add_argument("--indent", type=int, default=None, help="indent the JSON by this many spaces")

    def handle(self, *args, output: str, indent: int | None, **options):
        text = data_export_json(indent=indent)
        if output == "-":
            sys.stdout.write(text + "\n")
            return
        path = Path(output)
        if not path.parent.is_dir():
            raise CommandError(f"{path.parent} is not a directory")
        # Written beside the target and renamed: a failed export never leaves half a file under the real name.
        # mkstemp creates it with mode 0600: the export holds every user's e-mail and every workload's gaps.
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
                stream.write("\n")
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.stdout.write(f"Exported to {path} ({len(text.encode()):,} bytes).")
