from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from questionnaire.catalogue import LENS_DIR, lens_version_doc, lens_version_store, read_own_lens_file
from questionnaire.models import BestPractice, Lens, LensVersion, Question

# A copy of ../shared/security-pillar-reference.tsv, so the suite runs from any clone.
REFERENCE = Path(__file__).resolve().parent / "security-pillar-reference.tsv"
BUILTIN = LENS_DIR / "security-pillar.json"


def reference_rows() -> tuple[list[list[str]], list[list[str]]]:
    rows = [row for row in csv.reader(REFERENCE.open(), delimiter="\t") if row and not row[0].startswith("#")]
    return [r for r in rows if r[0] == "Q"], [r for r in rows if r[0] == "BP"]


def builtin_version() -> LensVersion:
    return Lens.objects.get(slug="wellarchitected-security").current_version()


@pytest.mark.django_db
def test_catalogue_holds_every_reference_question_and_best_practice():
    version = builtin_version()
    questions, practices = reference_rows()
    stored_questions = {q.code: q for q in Question.objects.filter(lens_version=version)}
    stored_bps = {bp.code: bp for bp in BestPractice.objects.filter(question__lens_version=version)}

    assert len(stored_questions) == 11
    assert len(stored_bps) == 63
    for _, code, title, wa_id, area in questions:
        assert (stored_questions[code].title, stored_questions[code].wa_id, stored_questions[code].area) == (
            title,
            wa_id,
            area,
        )
    for _, code, title, level, slug in practices:
        bp = stored_bps[code]
        assert (bp.title, bp.level, bp.choice_id) == (title, level.upper(), slug)
        assert bp.doc_url == f"https://docs.aws.amazon.com/wellarchitected/latest/framework/{slug}.html"
        assert bp.question.code == f"SEC{int(code[3:5])}"


@pytest.mark.django_db
def test_levels_split_thirty_high_twenty_eight_medium_five_low():
    levels = list(
        BestPractice.objects.filter(question__lens_version=builtin_version()).values_list("level", flat=True)
    )
    assert (levels.count("HIGH"), levels.count("MEDIUM"), levels.count("LOW")) == (30, 28, 5)


@pytest.mark.django_db
def test_every_question_and_practice_carries_our_own_text():
    version = builtin_version()
    for question in Question.objects.filter(lens_version=version):
        assert len(question.description) > 80
    for bp in BestPractice.objects.filter(question__lens_version=version):
        assert bp.guidance and bp.verification and bp.improvement


@pytest.mark.django_db
def test_reloading_the_same_file_changes_nothing(capsys):
    before = (LensVersion.objects.count(), Question.objects.count(), BestPractice.objects.count())
    call_command("load_lens")
    assert "unchanged" in capsys.readouterr().out
    assert (LensVersion.objects.count(), Question.objects.count(), BestPractice.objects.count()) == before


@pytest.mark.django_db
def test_a_changed_file_becomes_a_new_version_and_leaves_the_old_one_alone(tmp_path):
    old = builtin_version()
    old_title = Question.objects.get(lens_version=old, code="SEC1").title
    data = json.loads(BUILTIN.read_text())
    data["version"] = "2026.1"
    data["pillars"][0]["questions"][0]["title"] = "How do you operate your workload securely?"
    changed = tmp_path / "changed.json"
    changed.write_text(json.dumps(data))

    call_command("load_lens", str(changed))

    new = builtin_version()
    assert new.number == old.number + 1 and new.label == "2026.1"
    assert (
        Question.objects.get(lens_version=new, code="SEC1").title
        == "How do you operate your workload securely?"
    )
    assert Question.objects.get(lens_version=old, code="SEC1").title == old_title


@pytest.mark.django_db
def test_a_stored_version_reads_back_as_the_same_content():
    doc = read_own_lens_file(BUILTIN)
    version, created = lens_version_store(doc)
    assert not created
    assert lens_version_doc(version).content_sha256() == doc.content_sha256()


def test_load_lens_rejects_a_file_in_another_format(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(Exception, match="not a reviewapp-lens/1 file"):
        call_command("load_lens", str(bad))


def _guidance(code: str) -> str:
    data = json.loads(BUILTIN.read_text())
    for question in data["pillars"][0]["questions"]:
        for bp in question["best_practices"]:
            if bp["id"] == code:
                return " ".join((bp["guidance"], bp["verification"], bp["improvement"]))
    raise KeyError(code)


def test_the_four_guidance_errors_found_in_review_stay_fixed():
    # RAM has no "disable external sharing" setting: the control is an SCP on the request's condition key.
    sec03_bp08 = _guidance("SEC03-BP08")
    assert (
        "ram:RequestedAllowsExternalPrincipals" in sec03_bp08 and "Disable external sharing" not in sec03_bp08
    )
    # GuardDuty does not aggregate across Regions by itself; Security Hub CSPM's aggregation Region does.
    sec04_bp02 = _guidance("SEC04-BP02")
    assert "GuardDuty does not aggregate across Regions" in sec04_bp02 and "finding aggregator" in sec04_bp02
    assert "GuardDuty with cross-region aggregation" not in sec04_bp02
    # ECS has no admission controllers.
    sec06_bp04 = _guidance("SEC06-BP04")
    assert (
        "ECS has no admission control" in sec06_bp04 and "admission controls in EKS or ECS" not in sec06_bp04
    )
    # S3 encrypts new objects by default since January 2023.
    assert "since January 2023" in _guidance("SEC08-BP02")


def test_the_guidance_uses_current_names_and_covers_recent_controls():
    text = BUILTIN.read_text()
    assert "Security Hub CSPM" in text and "Security Hub " not in text.replace("Security Hub CSPM", "")
    # Closed to new customers: not something to recommend.
    assert "CodeGuru" not in text and "Incident Manager" not in text
    for control in (
        "Extended Threat Detection",
        "declarative polic",
        "Security Incident Response",
        "Threat Composer",
    ):
        assert control in text, control
    assert "::/0" in _guidance("SEC05-BP02")
