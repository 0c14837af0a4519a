from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from reviewapp.models import Answer, AuditEvent, ImprovementItem
from reviewapp.selectors import review_summary
from reviewapp.services import AnswerConflict, answer_record

pytestmark = pytest.mark.django_db


def question(review, code):
    return review.lens_version.questions.get(code=code)


def record(review, user, code, **fields):
    q = question(review, code)
    answer = Answer.objects.get(review=review, question=q)
    return answer_record(review=review, question=q, actor=user, base_version=answer.version, **fields)


def test_starting_a_review_creates_every_question_unanswered(review):
    assert review.answers.count() == 11
    assert set(review.answers.values_list("risk", flat=True)) == {"UNANSWERED"}


def test_a_missing_high_bp_makes_the_question_high(review, owner):
    answer = record(review, owner, "SEC3", selected=["SEC03-BP01", "SEC03-BP03"])
    assert answer.risk == "HIGH"


def test_all_high_and_medium_selected_is_no_risk_even_without_the_low_one(review, owner):
    codes = list(question(review, "SEC3").best_practices.exclude(level="LOW").values_list("code", flat=True))
    assert record(review, owner, "SEC3", selected=codes).risk == "NONE"


def test_marking_the_missing_high_bp_not_applicable_drops_it(review, owner):
    codes = list(question(review, "SEC9").best_practices.values_list("code", flat=True))
    answer = record(
        review,
        owner,
        "SEC9",
        selected=[c for c in codes if c != "SEC09-BP01"],
        choices_not_applicable={"SEC09-BP01": "ARCHITECTURE_CONSTRAINTS"},
    )
    assert answer.risk == "NONE"


def test_none_of_these_is_high_and_puts_every_bp_on_the_plan(review, owner):
    assert record(review, owner, "SEC4", none_of_these=True).risk == "HIGH"
    items = ImprovementItem.objects.filter(workload=review.workload, is_active=True)
    assert set(items.values_list("bp_code", flat=True)) == {
        "SEC04-BP01",
        "SEC04-BP02",
        "SEC04-BP03",
        "SEC04-BP04",
    }


def test_a_question_that_does_not_apply_needs_a_reason(review, owner):
    with pytest.raises(ValidationError) as error:
        record(review, owner, "SEC5", is_applicable=False)
    assert "reason" in error.value.message_dict
    assert record(review, owner, "SEC5", is_applicable=False, reason="OUT_OF_SCOPE").risk == "NOT_APPLICABLE"


def test_a_stale_save_is_refused_and_the_first_save_survives(review, owner, contributor):
    q = question(review, "SEC2")
    answer_record(
        review=review, question=q, actor=owner, base_version=1, selected=["SEC02-BP01"], notes="mine"
    )
    with pytest.raises(AnswerConflict) as conflict:
        answer_record(review=review, question=q, actor=contributor, base_version=1, selected=["SEC02-BP02"])
    assert conflict.value.current.notes == "mine"
    assert Answer.objects.get(review=review, question=q).selected == ["SEC02-BP01"]


def test_a_save_based_on_a_version_that_was_never_stored_is_refused(review, owner, contributor):
    """A base version from the future (a forged or corrupted form) must not overwrite: only the stored
    version itself is a valid base, not anything at or above it."""
    q = question(review, "SEC2")
    answer_record(
        review=review, question=q, actor=owner, base_version=1, selected=["SEC02-BP01"], notes="mine"
    )
    stored = Answer.objects.get(review=review, question=q)
    assert stored.version == 2
    with pytest.raises(AnswerConflict) as conflict:
        answer_record(review=review, question=q, actor=contributor, base_version=3, selected=["SEC02-BP02"])
    assert conflict.value.current.version == 2
    stored.refresh_from_db()
    assert (stored.selected, stored.notes, stored.version) == (["SEC02-BP01"], "mine", 2)
    assert AuditEvent.objects.filter(action="answer.update", actor=contributor).count() == 0


def test_marking_every_bp_not_applicable_answers_the_question(review, owner):
    """A person who said why each best practice does not apply has answered: the question is rated (no risk),
    counts as answered in the progress, and puts nothing on the plan."""
    codes = list(question(review, "SEC9").best_practices.values_list("code", flat=True))
    answer = record(review, owner, "SEC9", choices_not_applicable=dict.fromkeys(codes, "OUT_OF_SCOPE"))
    assert answer.risk == "NONE"
    summary = review_summary(review)
    row = next(row for row in summary.rows if row.code == "SEC9")
    assert row.answered and summary.counts.answered == 1
    assert not ImprovementItem.objects.filter(
        workload=review.workload, bp_code__in=codes, is_active=True
    ).exists()


def test_selecting_a_bp_resolves_its_item_and_unselecting_reopens_it(review, owner):
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    item = ImprovementItem.objects.get(workload=review.workload, bp_code="SEC01-BP02")
    assert (item.status, item.is_active) == ("OPEN", True)
    record(review, owner, "SEC1", selected=["SEC01-BP01", "SEC01-BP02"])
    item.refresh_from_db()
    assert (item.status, item.is_active) == ("DONE", False)
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    item.refresh_from_db()
    assert (item.status, item.is_active) == ("OPEN", True)
    actions = list(AuditEvent.objects.filter(object_id=str(item.pk)).values_list("action", flat=True))
    assert actions == ["item.open", "item.resolve", "item.reopen"]


def test_every_answer_change_is_audited_with_before_and_after(review, owner):
    record(review, owner, "SEC6", selected=["SEC06-BP01"], notes="patched monthly")
    event = AuditEvent.objects.filter(action="answer.update").latest("id")
    assert event.actor == owner
    assert event.before["selected"] == [] and event.after["selected"] == ["SEC06-BP01"]
    assert event.after["notes"] == "patched monthly"


def test_unknown_bp_codes_and_long_notes_are_rejected_and_nothing_is_saved(review, owner):
    with pytest.raises(ValidationError) as error:
        record(review, owner, "SEC6", selected=["SEC01-BP01"], notes="x" * 2085)
    assert set(error.value.message_dict) == {"selected", "notes"}
    assert Answer.objects.get(review=review, question=question(review, "SEC6")).version == 1


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        (
            {"selected": ["SEC03-BP01"], "is_applicable": False, "reason": "OTHER"},
            "is_applicable",
            "while best practices are selected",
        ),
        (
            {"none_of_these": True, "is_applicable": False, "reason": "OTHER"},
            "is_applicable",
            '"None of these" is chosen',
        ),
        ({"selected": ["SEC03-BP01"], "none_of_these": True}, "none_of_these", "cannot be combined"),
        (
            {"selected": ["SEC03-BP01"], "choices_not_applicable": {"SEC03-BP01": "OTHER"}},
            "choices_not_applicable",
            "both selected and not applicable",
        ),
    ],
)
def test_an_answer_cannot_contradict_itself(review, owner, fields, field, words):
    with pytest.raises(ValidationError) as error:
        record(review, owner, "SEC3", **fields)
    assert words in " ".join(error.value.message_dict[field])
    stored = Answer.objects.get(review=review, question__code="SEC3")
    assert (stored.version, stored.risk, stored.selected) == (1, "UNANSWERED", [])
    assert not AuditEvent.objects.filter(action="answer.update").exists()


def test_a_note_on_a_practice_is_kept_trimmed_and_an_empty_one_leaves_no_key(review, owner):
    answer = record(
        review,
        owner,
        "SEC3",
        choices_not_applicable={"SEC03-BP08": "OTHER"},
        choice_notes={"SEC03-BP08": " No cross-account access here. ", "SEC03-BP01": "  "},
    )
    assert answer.choice_notes == {"SEC03-BP08": "No cross-account access here."}
    event = AuditEvent.objects.filter(action="answer.update").latest("pk")
    assert event.after["choice_notes"] == {"SEC03-BP08": "No cross-account access here."}
