"""Review JSON: export, import into a new workload with identical answers and risks, and every malformed file
refused with its JSON path and nothing written."""

from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from reviewapp.models import Answer, AuditEvent, ImprovementItem, Review, RiskAcceptance, Workload
from reviewapp.reports.review_json import (
    FORMAT,
    ReviewImportError,
    export_review_json,
    import_review_json,
    review_json_bytes,
)
from reviewapp.services import membership_set, milestone_create, team_create
from tests.conftest import make_user

from .reports_world import fill_review, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(review, owner):
    fill_review(review, owner)
    return review


@pytest.fixture
def document(filled):
    return export_review_json(filled)


@pytest.fixture
def other_team(owner):
    return team_create(name="Platform", actor=owner)


def answers_of(review: Review) -> list[tuple]:
    return [
        (
            answer.question.code,
            answer.selected,
            answer.none_of_these,
            answer.is_applicable,
            answer.reason,
            answer.choices_not_applicable,
            answer.notes,
            answer.risk,
        )
        for answer in Answer.objects.filter(review=review)
        .select_related("question")
        .order_by("question__order")
    ]


def items_of(review: Review) -> list[tuple]:
    return [
        (item.bp_code, item.status, item.is_active, item.owner_id, item.due_date, item.ticket_url, item.notes)
        + (item.acceptance_justification, item.acceptance_expires_on)
        for item in ImprovementItem.objects.filter(workload=review.workload).order_by("bp_code")
    ]


def test_the_export_is_our_documented_format(document, filled):
    assert document["format"] == FORMAT == "wa-security-review/1"
    assert document["workload"]["name"] == "Checkout API"
    assert document["lens"]["slug"] == filled.lens.slug
    assert document["lens"]["content_sha256"] == filled.lens_version.content_sha256
    assert [answer["question"] for answer in document["answers"]] == [f"SEC{n}" for n in range(1, 12)]
    sec5 = document["answers"][4]
    assert sec5["applicable"] is False and sec5["reason"] == "ARCHITECTURE_CONSTRAINTS"
    assert document["answers"][2]["not_applicable"] == {"SEC03-BP09": "OUT_OF_SCOPE"}
    assert {"bp_code", "status", "owner", "due_date"} <= set(document["improvement_items"][0])
    assert json.loads(review_json_bytes(filled))["answers"] == document["answers"]


def test_export_then_import_gives_identical_answers_risks_and_plan(document, filled, owner, other_team):
    result = import_review_json(json.dumps(document), other_team, owner)
    assert result.workload.team == other_team and result.workload.name == "Checkout API"
    assert result.workload.pk != filled.workload_id
    assert answers_of(result.review) == answers_of(filled)
    # An accepted risk needs an approver here too: it arrives as a pending request, the item open.
    accepted = ("SEC06-BP05", "RISK_ACCEPTED")
    expected = [
        row[:1] + ("OPEN",) + row[2:7] + ("", None) if row[:2] == accepted else row
        for row in items_of(filled)
    ]
    assert items_of(result.review) == expected
    request = RiskAcceptance.objects.get(item__workload=result.workload)
    assert (request.state, request.justification) == (
        "PENDING",
        "Compensating control: the platform team patches weekly.",
    )
    assert result.answers == 10 and result.items == 2
    assert result.warnings == [
        "SEC06-BP05: the accepted risk is imported as a request; it applies once approved here."
    ]
    event = AuditEvent.objects.filter(action="review.import").get()
    assert event.workload_id == result.workload.pk and event.after["source_review"] == str(filled.pk)


def test_import_records_through_the_answer_service_so_the_audit_trail_follows(document, owner, other_team):
    before = AuditEvent.objects.filter(action="answer.update").count()
    import_review_json(document, other_team, owner)
    assert AuditEvent.objects.filter(action="answer.update").count() == before + 10


def test_a_milestone_exports_its_snapshot(filled, owner, other_team):
    milestone = milestone_create(review=filled, actor=owner, name="Baseline")
    frozen = answers_of(filled)
    record(filled, owner, "SEC11", selected=["SEC11-BP01"])
    document = export_review_json(filled, milestone=milestone)
    assert document["source"]["milestone"]["sha256"] == milestone.sha256
    imported = import_review_json(document, other_team, owner, name="Checkout API at baseline")
    assert answers_of(imported.review) == frozen


def test_the_name_can_be_replaced_to_import_next_to_the_original(document, filled, owner, team):
    result = import_review_json(document, team, owner, name="Checkout API (copy)")
    assert result.workload.name == "Checkout API (copy)" and result.workload.team == team


def test_milestones_listed_in_the_file_are_reported_as_not_imported(filled, owner, other_team):
    milestone_create(review=filled, actor=owner, name="Baseline")
    result = import_review_json(export_review_json(filled), other_team, owner)
    assert any("not imported" in warning for warning in result.warnings)


def test_an_owner_outside_the_team_and_an_expired_acceptance_become_warnings(document, owner, other_team):
    document = copy.deepcopy(document)
    accepted = next(item for item in document["improvement_items"] if item["status"] == "RISK_ACCEPTED")
    accepted["acceptance_expires_on"] = (timezone.localdate() - timedelta(days=1)).isoformat()
    stranger = make_user("sam_stranger")
    owned = next(item for item in document["improvement_items"] if item["owner"])
    owned["owner"] = stranger.username
    result = import_review_json(document, other_team, owner)
    warnings = " ".join(result.warnings)
    assert "sam_stranger is not a member" in warnings and "expired on" in warnings
    items = {item.bp_code: item for item in ImprovementItem.objects.filter(workload=result.workload)}
    assert items[accepted["bp_code"]].status == "OPEN"
    assert items[owned["bp_code"]].owner is None


def test_a_team_member_keeps_ownership(document, owner, other_team):
    membership_set(team=other_team, user=owner, role="OWNER", actor=owner)
    result = import_review_json(document, other_team, owner)
    item = ImprovementItem.objects.get(workload=result.workload, bp_code="SEC02-BP01")
    assert item.owner == owner and item.status == "IN_PROGRESS"


# --- Malformed files: a clear error at the JSON path, and nothing written ----------------------------------


def counts() -> tuple[int, ...]:
    return (
        Workload.objects.count(),
        Review.objects.count(),
        Answer.objects.count(),
        ImprovementItem.objects.count(),
        AuditEvent.objects.count(),
    )


def refused(data, team, owner, **kwargs) -> list[str]:
    before = counts()
    with pytest.raises(ReviewImportError) as caught:
        import_review_json(data, team, owner, **kwargs)
    assert counts() == before
    return [str(problem) for problem in caught.value.problems]


def test_a_syntax_error_is_reported_with_line_and_column(document, owner, other_team):
    text = json.dumps(document, indent=2)
    broken = text.replace('"format"', "format", 1)
    assert refused(broken, other_team, owner) == [
        "$: is not valid JSON: Expecting property name enclosed in double quotes at line 2, column 3"
    ]


def test_another_format_version_is_refused(document, owner, other_team):
    assert refused(dict(document, format="wa-security-review/2"), other_team, owner) == [
        "$.format: version 'wa-security-review/2' is not supported; this installation reads "
        "'wa-security-review/1'"
    ]
    assert refused(dict(document, format="something-else"), other_team, owner) == [
        "$.format: must be 'wa-security-review/1', not 'something-else'"
    ]
    assert refused([], other_team, owner) == ["$: must be an object, not []"]


def test_an_unknown_best_practice_is_named_with_its_path(document, owner, other_team):
    document = copy.deepcopy(document)
    document["answers"][2]["selected"].append("SEC99-BP01")
    assert refused(document, other_team, owner) == [
        "$.answers[2].selected[2]: 'SEC99-BP01' is not a best practice of SEC3"
    ]


def test_a_bad_reason_is_named_with_its_path(document, owner, other_team):
    document = copy.deepcopy(document)
    document["answers"][4]["reason"] = "LAZY"
    document["answers"][2]["not_applicable"]["SEC03-BP09"] = "BORED"
    problems = refused(document, other_team, owner)
    assert problems == [
        "$.answers[2].not_applicable.SEC03-BP09: 'BORED' is not a reason; use one of OUT_OF_SCOPE, "
        "BUSINESS_PRIORITIES, ARCHITECTURE_CONSTRAINTS, OTHER, NONE",
        "$.answers[4].reason: must say why the question does not apply: one of OUT_OF_SCOPE, "
        "BUSINESS_PRIORITIES, ARCHITECTURE_CONSTRAINTS, OTHER, NONE, not 'LAZY'",
    ]


def test_notes_too_long_are_refused(document, owner, other_team):
    document = copy.deepcopy(document)
    document["answers"][0]["notes"] = "x" * 2085
    assert refused(document, other_team, owner) == [
        "$.answers[0].notes: has 2,085 characters; the limit is 2,084"
    ]


def test_every_problem_is_reported_together(document, owner, other_team):
    document = copy.deepcopy(document)
    document["workload"]["environment"] = "STAGING"
    document["lens"]["slug"] = document["lens"]["slug"]
    document["answers"][0]["question"] = "SEC99"
    document["answers"][1]["selected"] = ["SEC02-BP01"]  # with none_of_these still true
    document["answers"][3]["colour"] = "blue"
    document["improvement_items"][0]["status"] = "WONT_FIX"
    problems = refused(document, other_team, owner)
    assert problems == [
        "$.workload.environment: Value 'STAGING' is not a valid choice.",
        "$.answers[0].question: 'SEC99' is not a question of AWS Well-Architected Security Pillar "
        "version 2025.2",
        "$.answers[1].none_of_these: cannot be true while best practices are selected",
        "$.answers[3].colour: is not a field of wa-security-review/1",
        "$.improvement_items[0].status: 'WONT_FIX' is not a status; use one of OPEN, IN_PROGRESS, DONE, "
        "RISK_ACCEPTED",
    ]


def test_an_unknown_lens_and_a_taken_name_are_refused(document, owner, team):
    document = copy.deepcopy(document)
    document["lens"]["slug"] = "no-such-lens"
    assert refused(document, team, owner) == [
        "$.workload.name: Payments already has a workload called 'Checkout API'; "
        "import it under another name",
        "$.lens.slug: no lens 'no-such-lens' is loaded here; "
        "load it first (manage.py load_lens or import_lens)",
    ]


def test_a_file_over_the_size_limit_is_refused_before_parsing(document, owner, other_team, settings):
    settings.REPORT_IMPORT_MAX_BYTES = 10_000
    (problem,) = refused(json.dumps(document), other_team, owner)
    assert problem.startswith("$: the file has") and "the limit is 10,000" in problem


def test_a_failure_while_writing_rolls_everything_back(document, owner, other_team, monkeypatch):
    from django.core.exceptions import ValidationError

    from reviewapp.reports import review_json

    def refuse(**kwargs):
        raise ValidationError({"due_date": ["The due date cannot be stored."]})

    # Answers are recorded by then; the refusal of the last write must take them back too.
    monkeypatch.setattr(review_json, "item_update", refuse)
    index = next(i for i, item in enumerate(document["improvement_items"]) if item["status"] == "IN_PROGRESS")
    assert refused(document, other_team, owner) == [
        f"$.improvement_items[{index}].due_date: The due date cannot be stored."
    ]


def test_a_ticket_link_that_is_not_http_is_refused(document, owner, other_team):
    document = copy.deepcopy(document)
    accepted = next(item for item in document["improvement_items"] if item["status"] == "RISK_ACCEPTED")
    accepted["ticket_url"] = "javascript:alert(1)"
    assert refused(document, other_team, owner) == [
        f"$.improvement_items[{document['improvement_items'].index(accepted)}].ticket_url: "
        "must be a full http:// or https:// link"
    ]
