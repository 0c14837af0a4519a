"""Importing from the AWS Well-Architected Tool, and how the app talks to it (against botocore's Stubber, which
validates every call against the service model; moto lacks wellarchitected)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.stub import Stubber
from django.core.exceptions import ValidationError

from checks.models import AwsTarget
from reviewapp.models import Answer, AuditEvent
from reviewapp.wellarchitected import WaToolError, parse_workload_arn, wa_import
from reviewapp.wellarchitected import tool as wa_tool
from reviewapp.wellarchitected.tool import milestone_token

from .watool_stubs import (
    ARN,
    TOOL_ID,
    recorded_answered_ids,
    stub_answers,
    stub_recorded_reads,
    summary,
    tool_client,
)

pytestmark = pytest.mark.django_db


def answer_of(review, code: str) -> Answer:
    return Answer.objects.get(review=review, question__code=code)


def test_it_imports_every_page_with_choices_reasons_and_notes(review, owner):
    client = tool_client()
    pages = [
        [
            summary(
                review,
                "SEC1",
                selected=["sec_securely_operate_multi_accounts", "sec_securely_operate_aws_account"],
                not_applicable={"sec_securely_operate_threat_model": "BUSINESS_PRIORITIES"},
            )
        ],
        [summary(review, "SEC2", is_applicable=False, reason="OUT_OF_SCOPE"), summary(review, "SEC3")],
    ]
    with Stubber(client) as stubber:
        stub_answers(stubber, review, pages, {"securely-operate": "Two accounts, one per stage."})
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
        stubber.assert_no_pending_responses()

    assert report.changed == ["SEC1", "SEC2"]
    assert report.not_answered_there == ["SEC3"]
    assert report.unmapped_choices == [] and report.unmapped_questions == []
    # The tool workload here lists three questions: the other eight are reported as missing there.
    assert report.missing_there == ["SEC4", "SEC5", "SEC6", "SEC7", "SEC8", "SEC9", "SEC10", "SEC11"]
    sec1 = answer_of(review, "SEC1")
    assert sec1.selected == ["SEC01-BP01", "SEC01-BP02"]
    assert sec1.choices_not_applicable == {"SEC01-BP07": "BUSINESS_PRIORITIES"}
    assert sec1.notes == "Two accounts, one per stage."
    assert sec1.updated_by == owner
    sec2 = answer_of(review, "SEC2")
    assert (sec2.is_applicable, sec2.reason, sec2.risk) == (False, "OUT_OF_SCOPE", "NOT_APPLICABLE")
    assert answer_of(review, "SEC3").version == 1
    event = AuditEvent.objects.get(action="watool.import")
    assert event.after["changed"] == ["SEC1", "SEC2"] and event.after["workload_arn"] == ARN


def test_the_recorded_workload_imports_all_eleven_questions_across_three_pages(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_recorded_reads(stubber, recorded_answered_ids())
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
        stubber.assert_no_pending_responses()

    assert report.lens_version == "2024-06-27"
    assert report.changed == ["SEC1", "SEC2", "SEC3", "SEC5", "SEC6", "SEC7", "SEC8", "SEC9", "SEC11"]
    assert report.not_answered_there == ["SEC4", "SEC10"]
    assert report.missing_there == [] and report.unmapped_questions == []
    # A choice added to the tool's lens after our catalogue: reported, never guessed.
    assert report.unmapped_choices == [("permissions", "sec_permissions_new_2025")]
    sec1 = answer_of(review, "SEC1")
    assert sec1.choices_not_applicable == {"SEC01-BP07": "BUSINESS_PRIORITIES"}
    assert sec1.choice_notes == {
        "SEC01-BP01": "Five accounts under one organization.",
        "SEC01-BP07": "Threat models are owned by the platform team.",
    }
    # The tool's NONE reason stays NONE, for the question and for a choice.
    sec2 = answer_of(review, "SEC2")
    assert (sec2.is_applicable, sec2.reason, sec2.notes) == (False, "NONE", "Only machines sign in.")
    sec7 = answer_of(review, "SEC7")
    assert sec7.choices_not_applicable == {"SEC07-BP04": "NONE"}
    assert sec7.choice_notes == {"SEC07-BP04": "Lifecycle rules pending legal review."}
    # The tool reports SEC05-BP04 under its other known id: the alias is accepted.
    assert answer_of(review, "SEC5").selected == ["SEC05-BP01", "SEC05-BP04"]
    assert answer_of(review, "SEC6").none_of_these is True
    assert answer_of(review, "SEC11").risk == "NONE"
    assert answer_of(review, "SEC4").version == 1


def test_it_reports_choices_and_questions_it_cannot_map(review, owner):
    client = tool_client()
    unknown = summary(review, "SEC1", selected=["sec_securely_operate_multi_accounts", "sec_made_up_choice"])
    stranger = {**summary(review, "SEC2", selected=["sec_identities_unique"]), "QuestionId": "quantum-safety"}
    with Stubber(client) as stubber:
        # A question we do not know is reported without reading it: only SEC1 gets a GetAnswer.
        stub_answers(stubber, review, [[unknown, stranger]], {}, unknown=frozenset({"quantum-safety"}))
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert report.unmapped_choices == [("securely-operate", "sec_made_up_choice")]
    assert report.unmapped_questions == ["quantum-safety"]
    assert "SEC2" in report.missing_there
    assert answer_of(review, "SEC1").selected == ["SEC01-BP01"]


def test_none_of_these_comes_across(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_answers(stubber, review, [[summary(review, "SEC1", selected=["sec_securely_operate_no"])]], {})
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert report.unmapped_choices == []
    answer = answer_of(review, "SEC1")
    assert (answer.none_of_these, answer.selected, answer.risk) == (True, [], "HIGH")


def test_a_question_the_tool_marks_not_applicable_comes_across_without_its_hidden_choices(review, owner):
    # The tool keeps the choices of a question marked not applicable; here that answer would contradict itself.
    page = [
        summary(
            review,
            "SEC2",
            selected=["sec_identities_enforce_mechanisms"],
            is_applicable=False,
            reason="OUT_OF_SCOPE",
        )
    ]
    client = tool_client()
    with Stubber(client) as stubber:
        stub_answers(stubber, review, [page], {})
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert report.changed == ["SEC2"]
    answer = answer_of(review, "SEC2")
    assert (answer.is_applicable, answer.reason, answer.selected, answer.risk) == (
        False,
        "OUT_OF_SCOPE",
        [],
        "NOT_APPLICABLE",
    )


def test_importing_the_same_data_again_changes_nothing(review, owner):
    page = [summary(review, "SEC1", selected=["sec_securely_operate_multi_accounts"])]
    for expected_changed in (["SEC1"], []):
        client = tool_client()
        with Stubber(client) as stubber:
            stub_answers(stubber, review, [page], {"securely-operate": "Same notes"})
            report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
        assert report.changed == expected_changed
    assert report.unchanged == ["SEC1"]
    assert answer_of(review, "SEC1").version == 2
    assert AuditEvent.objects.filter(action="answer.update").count() == 1


def test_a_dry_run_reports_without_writing(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_answers(
            stubber, review, [[summary(review, "SEC1", selected=["sec_securely_operate_aws_account"])]], {}
        )
        report = wa_import(review=review, actor=owner, workload_arn=ARN, dry_run=True, client=client)
    assert report.changed == ["SEC1"] and report.dry_run
    assert answer_of(review, "SEC1").version == 1
    assert not AuditEvent.objects.filter(action="watool.import").exists()


def test_an_aws_refusal_is_explained_and_nothing_changes(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("get_lens_review", "AccessDeniedException", "not allowed", 403)
        with pytest.raises(WaToolError, match="Access denied to GetLensReview"):
            wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert answer_of(review, "SEC1").version == 1


def test_throttled_calls_are_retried_with_growing_backoff(review, owner, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(wa_tool, "sleep", waits.append)
    monkeypatch.setattr(wa_tool.random, "uniform", lambda low, high: high)
    client = tool_client()
    with Stubber(client) as stubber:
        stubber.add_client_error("get_lens_review", "ThrottlingException", "Rate exceeded", 400)
        stubber.add_client_error("get_lens_review", "TooManyRequestsException", "slow down", 429)
        stub_answers(stubber, review, [[summary(review, "SEC1", selected=["sec_securely_operate_no"])]], {})
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
        stubber.assert_no_pending_responses()
    assert report.changed == ["SEC1"]
    assert waits == [0.5, 1.0]


def test_throttling_that_never_ends_is_an_error_after_the_last_attempt(review, owner, monkeypatch):
    waits: list[float] = []
    monkeypatch.setattr(wa_tool, "sleep", waits.append)
    client = tool_client()
    with Stubber(client) as stubber:
        for _ in range(wa_tool.MAX_ATTEMPTS):
            stubber.add_client_error("get_lens_review", "ThrottlingException", "Rate exceeded", 400)
        with pytest.raises(WaToolError, match="ThrottlingException"):
            wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert len(waits) == wa_tool.MAX_ATTEMPTS - 1
    assert all(0 <= wait <= wa_tool.BACKOFF_CAP for wait in waits)


def test_the_milestone_token_is_one_per_tool_workload_and_milestone():
    here = parse_workload_arn(ARN)
    elsewhere = parse_workload_arn(ARN.replace(TOOL_ID, "f" * 32))
    assert milestone_token(here, "Q2") == milestone_token(here, "Q2")
    assert milestone_token(here, "Q2") != milestone_token(elsewhere, "Q2")
    assert milestone_token(here, "Q2") != milestone_token(here, "Q3")


def test_the_workload_arn_must_be_a_tool_workload():
    assert parse_workload_arn(f"  {ARN} ").workload_id == TOOL_ID
    for bad in ("", "arn:aws:iam::111122223333:role/x", ARN.replace("workload/", "workload/xyz")):
        with pytest.raises(ValidationError):
            parse_workload_arn(bad)


def test_it_connects_only_through_a_connected_account_without_botocore_retries(review, monkeypatch):
    tool = parse_workload_arn(ARN)
    with pytest.raises(ValidationError, match="not connected"):
        wa_tool.connect(review, tool)

    target = AwsTarget.objects.create(
        workload=review.workload,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/WellArchitectedReviews",
        regions=["eu-west-1"],
    )
    calls = []

    def fake_assume_role(given_target, run_id, *, region=None):
        calls.append((given_target, run_id, region))
        return SimpleNamespace(
            client=lambda service, client_region, max_attempts: (service, client_region, max_attempts)
        )

    monkeypatch.setattr(wa_tool, "assume_role", fake_assume_role)
    # Our backoff is the only retry policy: botocore's own retries are off for this client.
    assert wa_tool.connect(review, tool) == ("wellarchitected", "eu-west-1", 1)
    assert calls[0][0] == target and calls[0][1].startswith("watool-") and calls[0][2] == "eu-west-1"


def test_a_review_of_a_lens_the_tool_does_not_have_is_refused(review, owner):
    review.lens_version.tool_lens_versions = []
    review.lens_version.save()
    with pytest.raises(ValidationError, match="not a lens of the Well-Architected Tool"):
        wa_import(review=review, actor=owner, workload_arn=ARN, client=tool_client())
