"""Load the built-in lens files; re-running changes nothing, a changed file becomes a new version."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionnaire.catalogue import LENS_DIR, RULES_SUFFIX, lens_version_store, read_own_lens_file


class Command(BaseCommand):
    help = "Load lens files in our own format (default: every file in questionnaire/lenses/)."

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", type=Path, help="lens files; default: the built-in ones")

    def handle(self, *args, files: list[Path], **options):
        # A lens's profile rules sit beside it and are read with it.
        paths = files or sorted(p for p in LENS_DIR.glob("*.json") if not p.name.endswith(RULES_SUFFIX))
        if not paths:
            raise CommandError(f"no lens files found in {LENS_DIR}")
        for path in paths:
            try:
                doc = read_own_lens_file(path)
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"{path}: cannot read lens file: {exc}") from exc
            version, created = lens_version_store(doc)
            questions = version.questions.count()
            practices = sum(len(q.best_practices) for q in doc.questions())
            state = "loaded as new version" if created else "unchanged, already loaded as version"
            self.stdout.write(
                f"{doc.slug}: {state} {version.number} ({version.label}): {questions} questions, {practices} BPs"
            )
