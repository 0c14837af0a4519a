"""Import an AWS custom-lens JSON file as a new version of a custom lens; a bad file changes nothing.

Repairs made on the way (trimmed text, re-encoded links, skipped questions, an added `default` rule...) are
printed as warnings with their JSON paths; `--strict` refuses the file if there is any.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionnaire.catalogue import lens_version_store
from questionnaire.lensformat import MAX_FILE_CHARS, LensFormatError, read_custom_lens
from questionnaire.models import Lens


def read_lens_text(path: Path) -> str:
    # One character past the limit is enough for the parser to refuse the file without loading all of it.
    try:
        with path.open(encoding="utf-8") as file:
            return file.read(MAX_FILE_CHARS + 1)
    except UnicodeDecodeError as exc:
        raise CommandError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise CommandError(f"{path}: cannot read: {exc.strerror or exc}") from exc


class Command(BaseCommand):
    help = (
        "Import an AWS custom-lens JSON file (schemaVersion 2021-11-01); the same content again is a no-op."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the custom-lens JSON file")
        parser.add_argument("--slug", help="the lens slug to import into (default: from the lens name)")
        parser.add_argument(
            "--strict", action="store_true", help="refuse the file if any repair was needed (any warning)"
        )

    def handle(self, *args, file: Path, slug: str | None, strict: bool, **options):
        try:
            read = read_custom_lens(read_lens_text(file), slug=slug)
        except LensFormatError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"{file}: {_count(len(exc.problems), 'problem')}; nothing imported") from exc
        for warning in read.warnings:
            self.stderr.write(f"warning: {warning}")
        if strict and read.warnings:
            raise CommandError(
                f"{file}: {_count(len(read.warnings), 'warning')} with --strict; nothing imported"
            )
        doc = read.doc

        existing = Lens.objects.filter(slug=doc.slug).first()
        if existing is not None and existing.kind != Lens.Kind.CUSTOM:
            # A built-in lens is only ever loaded from our own files; never mix a custom version into it.
            raise CommandError(f"{doc.slug!r} is a built-in lens; choose another slug with --slug")

        version, created = lens_version_store(doc)
        if not created:
            self.stdout.write(f"{doc.slug}: unchanged, already version {version.number} ({version.label})")
            return
        questions = doc.questions()
        choices = sum(len(question.best_practices) for question in questions)
        self.stdout.write(
            f"{doc.slug}: imported as version {version.number} ({version.label}): "
            f"{len(doc.pillars)} pillars, {len(questions)} questions, {choices} choices, "
            f"{_count(len(read.warnings), 'warning')}"
        )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"
