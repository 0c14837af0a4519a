"""manage.py export_review and import_review: the files they write, the ids they print, and clear errors."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from openpyxl import load_workbook

from reviewapp.models import Workload
from reviewapp.services import milestone_create, team_create

from .reports_world import fill_review, pdf_text, record

pytestmark = pytest.mark.django_db


def export(*args: str) -> str:
    err = io.StringIO()
    call_command("export_review", *args, stderr=err)
    return err.getvalue()


@pytest.fixture
def filled(review, owner):
    fill_review(review, owner)
    return review


def test_it_writes_the_pdf(filled, tmp_path):
    out = tmp_path / "report.pdf"
    message = export(str(filled.pk), "--format", "pdf", "--kind", "executive", "--output", str(out))
    assert "Executive summary" in pdf_text(out.read_bytes())
    assert message.startswith("Wrote ") and str(out) in message
    assert [path.name for path in tmp_path.iterdir()] == ["report.pdf"]


def test_it_writes_a_milestone_by_name_in_any_case(filled, owner, tmp_path):
    milestone_create(review=filled, actor=owner, name="Spring Audit")
    record(filled, owner, "SEC11", selected=["SEC11-BP01"])
    out = tmp_path / "review.json"
    export(str(filled.pk), "--format", "json", "--milestone", "spring audit", "--output", str(out))
    document = json.loads(out.read_text())
    assert document["source"]["milestone"]["name"] == "Spring Audit"
    assert document["answers"][10]["risk"] == "UNANSWERED"


def test_it_writes_the_plan_as_csv_and_xlsx(filled, tmp_path):
    export(str(filled.pk), "--format", "csv", "--output", str(tmp_path / "plan.csv"))
    csv = (tmp_path / "plan.csv").read_text(encoding="utf-8-sig")
    assert csv.startswith("Workload,Team,Question") and "SEC02-BP01" in csv
    export(str(filled.pk), "--format", "xlsx", "--output", str(tmp_path / "plan.xlsx"))
    sheet = load_workbook(tmp_path / "plan.xlsx").active
    assert sheet["E2"].value.startswith("SEC")


def test_json_can_go_to_standard_output(filled, capsysbinary):
    call_command("export_review", str(filled.pk), "--format", "json", "--output", "-")
    assert json.loads(capsysbinary.readouterr().out)["format"] == "wa-security-review/1"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["not-a-uuid", "--format", "json", "--output", "x"], "is not a review id"),
        (["00000000-0000-4000-8000-000000000000", "--format", "json", "--output", "x"], "There is no review"),
        (["{review}", "--format", "json", "--kind", "executive", "--output", "x"], "--kind applies to PDF"),
        (["{review}", "--format", "pdf", "--output", "-"], "give --output a file name"),
        (
            ["{review}", "--format", "json", "--milestone", "Nope", "--output", "x"],
            "no milestone called 'Nope'",
        ),
        (["{review}", "--format", "json", "--output", "{tmp}"], "is a directory"),
        (["{review}", "--format", "json", "--output", "{tmp}/missing/dir/x.json"], "cannot be written"),
    ],
)
def test_it_explains_what_is_wrong(review, tmp_path, args, message):
    args = [arg.format(review=review.pk, tmp=tmp_path) for arg in args]
    with pytest.raises(CommandError, match=message):
        export(*args)


def test_a_render_limit_becomes_a_command_error(filled, tmp_path, settings):
    settings.REPORT_MAX_TEXT_CHARS = 10
    with pytest.raises(CommandError, match="characters of notes"):
        export(str(filled.pk), "--format", "pdf", "--output", str(tmp_path / "x.pdf"))
    assert not list(tmp_path.iterdir())


def test_import_prints_the_new_workload_id(filled, owner, tmp_path):
    target = team_create(name="Platform", actor=owner)
    path = tmp_path / "review.json"
    export(str(filled.pk), "--format", "json", "--output", str(path))
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_review", str(path), "--team", "platform", "--as", owner.username, stdout=out, stderr=err
    )
    workload = Workload.objects.get(pk=out.getvalue().strip())
    assert workload.team == target and workload.name == "Checkout API"
    assert "10 answers" in err.getvalue()


def test_import_by_team_id_with_a_new_name(filled, owner, tmp_path):
    path = tmp_path / "review.json"
    export(str(filled.pk), "--format", "json", "--output", str(path))
    out = io.StringIO()
    team = filled.workload.team
    call_command(
        "import_review",
        str(path),
        "--team",
        str(team.pk),
        "--name",
        "Copy",
        "--as",
        "olivia_owner",
        stdout=out,
    )
    assert Workload.objects.get(pk=out.getvalue().strip()).name == "Copy"


def test_import_lists_every_problem_and_writes_nothing(filled, tmp_path):
    path = tmp_path / "review.json"
    export(str(filled.pk), "--format", "json", "--output", str(path))
    with pytest.raises(CommandError) as caught:
        call_command("import_review", str(path), "--team", "Payments", "--as", "olivia_owner")
    assert "was not imported (1 problem; nothing was written)" in str(caught.value)
    assert "$.workload.name: Payments already has a workload called 'Checkout API'" in str(caught.value)
    assert Workload.objects.count() == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["{tmp}/missing.json", "--team", "Payments", "--as", "olivia_owner"], "cannot be read"),
        (["{tmp}/bad.json", "--team", "Payments", "--as", "olivia_owner"], "is not valid JSON"),
        (["{tmp}/bad.json", "--team", "Nobody", "--as", "olivia_owner"], "There is no team called 'Nobody'"),
        (["{tmp}/bad.json", "--team", "Payments", "--as", "ghost"], "There is no active user called 'ghost'"),
        (["{tmp}/bad.json", "--team", "Payments"], "the following arguments are required: --as"),
    ],
)
def test_import_explains_what_is_wrong(review, tmp_path, args, message):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(CommandError, match=message):
        call_command("import_review", *[arg.format(tmp=tmp_path) for arg in args])
