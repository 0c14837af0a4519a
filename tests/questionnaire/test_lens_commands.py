from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from questionnaire.lensformat import MAX_FILE_CHARS, parse_custom_lens
from questionnaire.models import BestPractice, Lens, LensVersion, Question, RiskRule

from .test_lensformat import lens_data

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, data: object, name: str = "lens.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def run(command: str, *args: object) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command(command, *[str(arg) for arg in args], stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def run_failing(command: str, *args: object) -> tuple[str, str]:
    """(CommandError message, stderr) of a command expected to fail."""
    stderr = StringIO()
    with pytest.raises(CommandError) as failure:
        call_command(command, *[str(arg) for arg in args], stdout=StringIO(), stderr=stderr)
    return str(failure.value), stderr.getvalue()


def catalogue_rows() -> tuple[int, ...]:
    return tuple(model.objects.count() for model in (Lens, LensVersion, Question, BestPractice, RiskRule))


# --- import_lens ------------------------------------------------------------------------------------------


def test_import_lens_stores_a_custom_lens_version_and_says_so(tmp_path):
    out, _ = run("import_lens", write(tmp_path, lens_data()))

    assert (
        out
        == "team-platform-policy: imported as version 1 (2024.2): 1 pillars, 2 questions, 4 choices, 0 warnings\n"
    )
    lens = Lens.objects.get(slug="team-platform-policy")
    version = lens.current_version()
    assert (lens.kind, version.risk_model, version.label) == ("CUSTOM", "RULES", "2024.2")
    backups = version.questions.get(code="backups")
    assert list(backups.best_practices.values_list("code", "level")) == [("bk_daily", ""), ("bk_tested", "")]
    assert list(backups.risk_rules.values_list("condition", "risk")) == [
        ("bk_daily && bk_tested", "NONE"),
        ("bk_daily && !backups_no", "MEDIUM"),
        ("default", "HIGH"),
    ]


def test_import_lens_twice_keeps_one_version_and_reports_unchanged(tmp_path):
    path = write(tmp_path, lens_data())
    run("import_lens", path)

    out, _ = run("import_lens", path)

    assert out == "team-platform-policy: unchanged, already version 1 (2024.2)\n"
    assert LensVersion.objects.filter(lens__slug="team-platform-policy").count() == 1


def test_import_lens_with_changed_content_adds_a_version(tmp_path):
    run("import_lens", write(tmp_path, lens_data()))
    changed = lens_data()
    changed["pillars"][0]["questions"][1]["title"] = "How do engineers reach production?"

    out, _ = run("import_lens", write(tmp_path, changed, "changed.json"))

    assert out.startswith("team-platform-policy: imported as version 2 (2024.2)")


def test_import_lens_into_a_chosen_slug(tmp_path):
    run("import_lens", write(tmp_path, lens_data()), "--slug", "platform")

    assert Lens.objects.filter(slug="platform", kind="CUSTOM").exists()


def test_import_lens_with_one_bad_question_prints_every_problem_and_writes_nothing(tmp_path):
    data = lens_data()
    access = data["pillars"][0]["questions"][1]
    access["title"] = "t" * 129
    access["riskRules"][0]["condition"] = "aaa && !"
    before = catalogue_rows()

    message, stderr = run_failing("import_lens", write(tmp_path, data))

    assert stderr.splitlines() == [
        "$.pillars[0].questions[1].title: has 129 characters; the limit is 128",
        "$.pillars[0].questions[1].riskRules[0].condition: unexpected end of condition at position 8",
    ]
    assert message.endswith("lens.json: 2 problems; nothing imported")
    assert catalogue_rows() == before
    assert not Lens.objects.filter(slug="team-platform-policy").exists()


def test_import_lens_refuses_a_file_over_the_size_limit(tmp_path):
    before = catalogue_rows()

    message, stderr = run_failing(
        "import_lens", write(tmp_path, json.dumps(lens_data()).ljust(MAX_FILE_CHARS + 10))
    )

    assert stderr == "$: the file is longer than the limit of 500,000 characters\n"
    assert message.endswith("1 problem; nothing imported")
    assert catalogue_rows() == before


def test_import_lens_reports_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.json"
    path.write_bytes('{"name": "Caf\xe9"}'.encode("latin-1"))

    message, _ = run_failing("import_lens", path)

    assert "not UTF-8 text" in message


def test_import_lens_reports_a_missing_file(tmp_path):
    message, _ = run_failing("import_lens", tmp_path / "absent.json")

    assert "cannot read" in message


def test_import_lens_never_adds_a_custom_version_to_the_builtin_lens(tmp_path):
    before = catalogue_rows()

    message, _ = run_failing(
        "import_lens", write(tmp_path, lens_data()), "--slug", "wellarchitected-security"
    )

    assert "is a built-in lens" in message
    assert catalogue_rows() == before


# --- export_lens ------------------------------------------------------------------------------------------


def test_export_lens_writes_the_current_version_as_parseable_json(tmp_path):
    out, _ = run("export_lens", "wellarchitected-security")

    doc = parse_custom_lens(out, slug="security-copy")
    assert json.loads(out)["schemaVersion"] == "2021-11-01"
    assert len(doc.questions()) == 11


def test_export_lens_writes_to_a_file_and_a_chosen_version(tmp_path):
    target = tmp_path / "security.json"
    stdout, _ = run("export_lens", "wellarchitected-security")

    out, err = run("export_lens", "wellarchitected-security", "--version", 1, "--output", target)

    assert out == ""
    assert "written to" in err
    assert target.read_text(encoding="utf-8") == stdout


def test_export_lens_names_an_unknown_slug():
    message, _ = run_failing("export_lens", "no-such-lens")

    assert message.startswith("no lens with slug 'no-such-lens'")


def test_export_lens_names_an_unknown_version():
    message, _ = run_failing("export_lens", "wellarchitected-security", "--version", 99)

    assert message == "lens 'wellarchitected-security' has no version 99 (versions: 1)"


def test_builtin_lens_exported_imported_and_exported_again_is_identical(tmp_path):
    first, _ = run("export_lens", "wellarchitected-security")
    run("import_lens", write(tmp_path, first), "--slug", "security-custom")

    again, _ = run("export_lens", "security-custom")

    assert again == first
    assert Lens.objects.get(slug="security-custom").current_version().risk_model == "RULES"


def test_an_imported_custom_lens_exports_and_reimports_as_unchanged(tmp_path):
    run("import_lens", write(tmp_path, lens_data()))
    exported, _ = run("export_lens", "team-platform-policy")

    out, _ = run("import_lens", write(tmp_path, exported, "exported.json"))

    # The export adds nothing a review depends on, so it is the same content: the same version.
    assert out == "team-platform-policy: unchanged, already version 1 (2024.2)\n"


def test_import_lens_prints_each_repair_as_a_warning_and_imports(tmp_path):
    from .lens_shapes import as_text, published_lens

    out, stderr = run("import_lens", write(tmp_path, as_text(published_lens())))

    warnings = stderr.splitlines()
    assert len(warnings) == 9 and all(line.startswith("warning: $.") for line in warnings)
    assert "warning: $.pillars[0].questions[1].title: is NaN, not text; the question is skipped" in warnings
    assert out.endswith("1 pillars, 4 questions, 10 choices, 9 warnings\n")
    assert Lens.objects.filter(slug="serverless-data-controls").exists()


def test_import_lens_strict_refuses_a_file_that_needed_repairs(tmp_path):
    from .lens_shapes import as_text, published_lens

    before = catalogue_rows()

    message, stderr = run_failing("import_lens", "--strict", write(tmp_path, as_text(published_lens())))

    assert message.endswith("lens.json: 9 warnings with --strict; nothing imported")
    assert stderr.count("warning: ") == 9
    assert catalogue_rows() == before


def test_import_lens_strict_accepts_a_clean_file(tmp_path):
    out, stderr = run("import_lens", "--strict", write(tmp_path, lens_data()))

    assert stderr == "" and "imported as version 1" in out
