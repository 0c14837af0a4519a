"""Write a stored lens version as AWS custom-lens JSON (schemaVersion 2021-11-01)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from questionnaire.catalogue import lens_version_doc
from questionnaire.lensformat import LensExportError, export_custom_lens
from questionnaire.models import Lens, LensVersion


def find_version(slug: str, number: int | None) -> LensVersion:
    lens = Lens.objects.filter(slug=slug).first()
    if lens is None:
        known = ", ".join(Lens.objects.order_by("slug").values_list("slug", flat=True)) or "none"
        raise CommandError(f"no lens with slug {slug!r} (known: {known})")
    versions = lens.versions.select_related("lens")
    version = (
        versions.order_by("-number").first() if number is None else versions.filter(number=number).first()
    )
    if version is None:
        numbers = (
            ", ".join(str(n) for n in versions.order_by("number").values_list("number", flat=True)) or "none"
        )
        raise CommandError(f"lens {slug!r} has no version {number} (versions: {numbers})")
    return version


class Command(BaseCommand):
    help = "Export a lens version (default: the current one) as AWS custom-lens JSON."

    def create_parser(self, prog_name, subcommand, **kwargs):
        # `--version N` picks a lens version here; let it replace Django's own --version (the Django release).
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the lens slug")
        parser.add_argument("--version", type=int, dest="number", help="version number (default: current)")
        parser.add_argument("--output", type=Path, help="write to this file instead of standard output")

    def handle(self, *args, slug: str, number: int | None, output: Path | None, **options):
        version = find_version(slug, number)
        try:
            data = export_custom_lens(lens_version_doc(version))
        except LensExportError as exc:
            raise CommandError(str(exc)) from exc
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"{output}: cannot write: {exc.strerror or exc}") from exc
        self.stderr.write(f"{slug}: version {version.number} ({version.label}) written to {output}")
