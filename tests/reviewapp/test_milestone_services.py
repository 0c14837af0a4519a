from __future__ import annotations

import hashlib
import json

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from reviewapp.models import Answer, AuditEvent, Milestone
from reviewapp.services import (
    answer_record,
    compare_snapshots,
    milestone_create,
    milestone_verify,
    review_snapshot,
)
from reviewapp.services.milestones import MAX_MILESTONES_PER_WORKLOAD, snapshot_sha256
from tests.tampering import disable_append_only

pytestmark = pytest.mark.django_db


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


def test_a_milestone_freezes_answers_items_and_lens_version(review, owner):
    record(review, owner, "SEC1", selected=["SEC01-BP01"], notes="one account per stage")
    record(review, owner, "SEC2", is_applicable=False, reason="OUT_OF_SCOPE")
    milestone = milestone_create(review=review, actor=owner, name="  First   round ")
    snapshot = milestone.snapshot
    assert milestone.name == snapshot["name"] == "First round"
    assert snapshot["lens"] == {
        "slug": "wellarchitected-security",
        "name": review.lens_version.name,
        "version": review.lens_version.number,
        "label": review.lens_version.label,
    }
    assert snapshot["workload"]["name"] == "Checkout API"
    assert snapshot["created_at"]
    sec1 = snapshot["questions"][0]
    assert (sec1["code"], sec1["risk"], sec1["selected"], sec1["notes"]) == (
        "SEC1",
        "HIGH",
        ["SEC01-BP01"],
        "one account per stage",
    )
    assert snapshot["questions"][1]["reason"] == "OUT_OF_SCOPE"
    assert snapshot["counts"]["high"] == 1 and snapshot["counts"]["not_applicable"] == 1
    assert {item["bp_code"] for item in snapshot["items"] if item["is_active"]} == {
        f"SEC01-BP0{n}" for n in range(2, 9)
    }
    assert AuditEvent.objects.filter(action="milestone.create", object_id=str(milestone.pk)).exists()


def test_the_hash_is_sha256_of_the_canonical_json_and_verifies(review, owner):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    stored = Milestone.objects.get(pk=milestone.pk)
    canonical = json.dumps(stored.snapshot, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert stored.sha256 == hashlib.sha256(canonical.encode()).hexdigest()
    assert milestone_verify(stored)


def test_a_tampered_snapshot_or_name_fails_verification(review, owner):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    snapshot = dict(milestone.snapshot, counts={**milestone.snapshot["counts"], "high": 7})
    disable_append_only("reviewapp_milestone")
    Milestone.objects.filter(pk=milestone.pk).update(snapshot=snapshot)  # as a database intruder would
    assert not milestone_verify(Milestone.objects.get(pk=milestone.pk))
    other = milestone_create(review=review, actor=owner, name="Second")
    Milestone.objects.filter(pk=other.pk).update(name="Renamed")
    assert not milestone_verify(Milestone.objects.get(pk=other.pk))


def test_a_stored_milestone_cannot_be_saved_again(review, owner):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    milestone.name = "Changed"
    with pytest.raises(ValueError, match="cannot be changed"):
        milestone.save()
    loaded = Milestone.objects.get(pk=milestone.pk)
    loaded.snapshot = {}
    with pytest.raises(ValueError):
        loaded.save(update_fields=["snapshot"])
    assert Milestone.objects.get(pk=milestone.pk).name == "Baseline"


def test_names_are_unique_per_workload_ignoring_case(review, owner):
    milestone_create(review=review, actor=owner, name="Q1 review")
    with pytest.raises(ValidationError) as error:
        milestone_create(review=review, actor=owner, name="q1 REVIEW")
    assert "already has a milestone called" in error.value.message_dict["name"][0]


def test_names_must_be_given_and_short(review, owner):
    with pytest.raises(ValidationError):
        milestone_create(review=review, actor=owner, name="   ")
    with pytest.raises(ValidationError) as error:
        milestone_create(review=review, actor=owner, name="x" * 101)
    assert "100 characters" in error.value.message_dict["name"][0]


def test_a_workload_keeps_at_most_100_milestones(review, owner):
    snapshot = review_snapshot(review, name="filler")
    Milestone.objects.bulk_create(
        Milestone(
            workload=review.workload,
            review=review,
            lens_version=review.lens_version,
            name=f"Round {n}",
            snapshot=snapshot,
            sha256="0" * 64,
        )
        for n in range(MAX_MILESTONES_PER_WORKLOAD)
    )
    with pytest.raises(ValidationError) as error:
        milestone_create(review=review, actor=owner, name="One too many")
    assert "100 milestones" in error.value.message_dict["name"][0]


def _snapshot(name, questions, items):
    counts = {"high": 0, "medium": 0, "none": 0, "not_applicable": 0, "unanswered": 0}
    for question in questions:
        counts[question["risk"].lower()] += 1
    practices = [
        {"code": "A-1", "title": "Alpha one", "level": "HIGH"},
        {"code": "A-2", "title": "Alpha two", "level": "MEDIUM"},
        {"code": "A-3", "title": "Alpha three", "level": "LOW"},
    ]
    return {
        "name": name,
        "counts": counts,
        "questions": [
            {"code": q["code"], "title": f"Question {q['code']}", "best_practices": practices, **q}
            for q in questions
        ],
        "items": [{"bp_code": code, "status": status, "is_active": active} for code, status, active in items],
    }


def test_compare_reports_risk_changes_adoptions_drops_and_items():
    before = _snapshot(
        "January",
        [
            {"code": "A", "risk": "HIGH", "selected": ["A-2"]},
            {"code": "B", "risk": "MEDIUM", "selected": []},
            {"code": "C", "risk": "NONE", "selected": ["A-1"]},
        ],
        [("A-1", "OPEN", True), ("A-3", "IN_PROGRESS", True), ("B-9", "DONE", False)],
    )
    after = _snapshot(
        "June",
        [
            {"code": "A", "risk": "MEDIUM", "selected": ["A-1", "A-3"]},
            {"code": "B", "risk": "MEDIUM", "selected": []},
            {"code": "D", "risk": "UNANSWERED", "selected": []},
        ],
        [
            ("A-1", "DONE", False),
            ("A-2", "RISK_ACCEPTED", True),
            ("A-3", "OPEN", True),
            ("B-9", "OPEN", True),
        ],
    )
    result = compare_snapshots(before, after)
    by_code = {question.code: question for question in result.questions}
    assert [q.code for q in result.questions] == ["A", "B", "D", "C"]
    assert (by_code["A"].risk_before, by_code["A"].risk_after) == ("HIGH", "MEDIUM")
    assert [bp.code for bp in by_code["A"].adopted] == ["A-1", "A-3"]
    assert [bp.code for bp in by_code["A"].dropped] == ["A-2"]
    assert by_code["A"].adopted[0].title == "Alpha one"
    assert not by_code["B"].changed
    assert (by_code["C"].risk_before, by_code["C"].risk_after) == ("NONE", None)
    assert (by_code["D"].risk_before, by_code["D"].risk_after) == (None, "UNANSWERED")
    assert [q.code for q in result.changed_questions] == ["A", "D", "C"]
    assert [item.bp_code for item in result.items_closed] == ["A-1"]
    assert [item.bp_code for item in result.items_opened] == ["A-2", "B-9"]
    assert (result.counts_before.high, result.counts_after.high) == (1, 0)


def test_a_milestone_compares_with_now_built_by_the_same_function(review, owner):
    record(review, owner, "SEC4", none_of_these=True)
    milestone = milestone_create(review=review, actor=owner, name="Before fixes")
    record(review, owner, "SEC4", selected=["SEC04-BP01", "SEC04-BP02", "SEC04-BP03", "SEC04-BP04"])
    now = review_snapshot(review, name="Now")
    # A milestone adds the evidence files it froze (their hashes); everything else is the same function's.
    assert set(now) | {"evidence_files"} == set(milestone.snapshot)
    result = compare_snapshots(milestone.snapshot, now)
    sec4 = next(q for q in result.questions if q.code == "SEC4")
    assert (sec4.risk_before, sec4.risk_after) == ("HIGH", "NONE")
    assert len(sec4.adopted) == 4 and not sec4.dropped
    assert {item.bp_code for item in result.items_closed} == {f"SEC04-BP0{n}" for n in range(1, 5)}
    assert result.items_opened == []


def test_a_snapshot_edited_and_rehashed_fails_on_its_keyed_fingerprint(review, owner):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    assert milestone.fingerprint_key_id == "secret-key" and len(milestone.fingerprint) == 64
    snapshot = dict(milestone.snapshot, counts={**milestone.snapshot["counts"], "high": 99})
    disable_append_only("reviewapp_milestone")
    # The intruder recomputes the plain SHA-256, which needs no key; the HMAC does.
    Milestone.objects.filter(pk=milestone.pk).update(snapshot=snapshot, sha256=snapshot_sha256(snapshot))
    assert not milestone_verify(Milestone.objects.get(pk=milestone.pk))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_to_change_or_delete_a_milestone(review, owner):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    for change in (
        lambda: Milestone.objects.filter(pk=milestone.pk).update(name="Other"),
        lambda: Milestone.objects.filter(pk=milestone.pk)._raw_delete(connection.alias),
    ):
        with pytest.raises(DatabaseError, match="never changed"), transaction.atomic():
            change()
    owner.delete()  # its creator may still go: created_by becomes NULL
    assert milestone_verify(Milestone.objects.get(pk=milestone.pk))
