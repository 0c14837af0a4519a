from __future__ import annotations

import copy
import json

import pytest
from django.core.exceptions import ValidationError

from questionnaire.catalogue import LENS_DIR, lens_version_store, own_lens_doc
from reviewapp.models import Answer, AuditEvent, ImprovementItem, Milestone
from reviewapp.selectors import lens_upgrade_available
from reviewapp.services import answer_record, review_upgrade
from reviewapp.services.lens_upgrade import lens_version_diff
from reviewapp.specs import clear_caches

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_specs():
    # A version created here is rolled back after the test, and SQLite may reuse its id: forget its specs.
    clear_caches()
    yield
    clear_caches()


def practices(data, question_code):
    question = next(q for q in data["pillars"][0]["questions"] if q["id"] == question_code)
    return question["best_practices"]


@pytest.fixture
def newer_version(review):
    """The built-in lens file, changed: SEC01-BP08 removed, SEC01-BP09 added, SEC02-BP01 renamed, SEC03-BP07
    re-rated from its level to HIGH, and SEC04-BP04 moved to SEC5."""
    data = json.loads((LENS_DIR / "security-pillar.json").read_text(encoding="utf-8"))
    data["version"] = "2026.1"
    sec1 = practices(data, "SEC1")
    removed = sec1.pop()
    assert removed["id"] == "SEC01-BP08"
    added = copy.deepcopy(sec1[0])
    added.update(
        id="SEC01-BP09", choice_id="sec_securely_operate_new_practice", title="A practice new in 2026.1"
    )
    sec1.append(added)
    practices(data, "SEC2")[0]["title"] = "Use strong sign-in mechanisms (renamed)"
    bp7 = next(bp for bp in practices(data, "SEC3") if bp["id"] == "SEC03-BP07")
    bp7["risk"] = "HIGH" if bp7["risk"] != "HIGH" else "LOW"
    moved = practices(data, "SEC4").pop()
    assert moved["id"] == "SEC04-BP04"
    practices(data, "SEC5").append(moved)
    version, created = lens_version_store(own_lens_doc(data))
    assert created and version.number == review.lens_version.number + 1
    return version


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


def answers(review):
    return {a.question.code: a for a in Answer.objects.filter(review=review).select_related("question")}


def test_it_reports_added_removed_and_changed_practices(review, newer_version):
    diff = lens_version_diff(review.lens_version, newer_version)
    assert [bp.code for bp in diff.added] == ["SEC01-BP09"]
    assert [bp.code for bp in diff.removed] == ["SEC01-BP08"]
    changed = {bp.code: bp for bp in diff.changed}
    assert set(changed) == {"SEC02-BP01", "SEC03-BP07"}
    assert changed["SEC02-BP01"].title_changed and not changed["SEC02-BP01"].level_changed
    assert changed["SEC03-BP07"].level_changed and not changed["SEC03-BP07"].title_changed


def test_the_review_shows_a_newer_version_until_it_is_upgraded(review, owner, newer_version):
    assert lens_upgrade_available(review) == newer_version
    review_upgrade(review=review, actor=owner)
    review.refresh_from_db()
    assert lens_upgrade_available(review) is None


def test_it_saves_a_milestone_first_then_carries_answers_by_code(review, owner, newer_version):
    record(review, owner, "SEC1", selected=["SEC01-BP01", "SEC01-BP02"], notes="org with SCPs")
    record(review, owner, "SEC2", is_applicable=False, reason="BUSINESS_PRIORITIES", notes="SSO next year")
    record(review, owner, "SEC3", selected=["SEC03-BP01"], choices_not_applicable={"SEC03-BP09": "OTHER"})
    record(review, owner, "SEC4", selected=["SEC04-BP04"])
    record(review, owner, "SEC6", none_of_these=True)
    old_version = review.lens_version

    report = review_upgrade(review=review, actor=owner)

    milestone = report.milestone
    assert milestone.name.startswith("Before upgrade to 2026.1 (")
    assert milestone.lens_version == old_version
    assert milestone.snapshot["questions"][0]["selected"] == ["SEC01-BP01", "SEC01-BP02"]
    review.refresh_from_db()
    assert review.lens_version == newer_version
    now = answers(review)
    assert len(now) == 11 and all(a.question.lens_version_id == newer_version.pk for a in now.values())
    assert (now["SEC1"].selected, now["SEC1"].notes) == (["SEC01-BP01", "SEC01-BP02"], "org with SCPs")
    assert (now["SEC2"].is_applicable, now["SEC2"].reason, now["SEC2"].notes) == (
        False,
        "BUSINESS_PRIORITIES",
        "SSO next year",
    )
    assert now["SEC3"].choices_not_applicable == {"SEC03-BP09": "OTHER"}
    # SEC04-BP04 moved to SEC5 in the new version and stays selected there.
    assert now["SEC4"].selected == [] and now["SEC5"].selected == ["SEC04-BP04"]
    assert now["SEC6"].none_of_these and now["SEC6"].risk == "HIGH"
    assert now["SEC2"].risk == "NOT_APPLICABLE" and now["SEC1"].risk == "HIGH"
    assert [bp.code for bp in report.diff.added] == ["SEC01-BP09"]
    assert [bp.code for bp in report.diff.removed] == ["SEC01-BP08"]
    assert {bp.code for bp in report.diff.changed} == {"SEC02-BP01", "SEC03-BP07"}
    event = AuditEvent.objects.get(action="review.upgrade")
    assert event.after["added"] == ["SEC01-BP09"] and event.after["milestone"] == str(milestone.pk)


def test_the_plan_follows_the_new_version(review, owner, newer_version):
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    removed = ImprovementItem.objects.get(workload=review.workload, bp_code="SEC01-BP08")
    assert removed.is_active
    review_upgrade(review=review, actor=owner)
    removed.refresh_from_db()
    assert (removed.is_active, removed.status) == (False, "OPEN")
    added = ImprovementItem.objects.get(workload=review.workload, bp_code="SEC01-BP09")
    assert added.is_active and added.status == "OPEN"
    withdrawn = AuditEvent.objects.filter(action="item.withdraw", object_id=str(removed.pk)).latest("id")
    assert "2026.1" in withdrawn.after["reason"]


def test_a_second_upgrade_is_refused_and_changes_nothing(review, owner, newer_version):
    review_upgrade(review=review, actor=owner)
    milestones = Milestone.objects.count()
    with pytest.raises(ValidationError, match="already on the newest version"):
        review_upgrade(review=review, actor=owner)
    assert Milestone.objects.count() == milestones


def test_a_page_opened_before_the_upgrade_gets_a_conflict(review, owner, newer_version):
    from reviewapp.services import AnswerConflict

    record(review, owner, "SEC7", selected=["SEC07-BP01"])
    stale_version = answers(review)["SEC7"].version
    review_upgrade(review=review, actor=owner)
    review.refresh_from_db()
    question = review.lens_version.questions.get(code="SEC7")
    with pytest.raises(AnswerConflict):
        answer_record(review=review, question=question, actor=owner, base_version=stale_version, selected=[])
