"""Round trips with the AWS Well-Architected Tool, against botocore's Stubber (moto lacks wellarchitected)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from botocore.stub import Stubber
from django.core.exceptions import ValidationError

from checks.models import AwsTarget
from questionnaire.models import Question
from reviewapp.models import Answer, AuditEvent
from reviewapp.services import answer_record, review_start, workload_create
from reviewapp.wellarchitected import (
    LENS_ALIAS,
    WaToolError,
    connect,
    milestone_token,
    parse_workload_arn,
    wa_export,
    wa_import,
)

from .watool_stubs import ARN, TOOL_ID, list_params, stub_answers, summary, tool_client, wa_id

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
        stubber.add_client_error("list_answers", "AccessDeniedException", "not allowed", 403)
        with pytest.raises(WaToolError, match="Access denied to ListAnswers"):
            wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert answer_of(review, "SEC1").version == 1


def record(review, owner, code: str, **values) -> Answer:
    question = Question.objects.get(lens_version=review.lens_version, code=code)
    return answer_record(review=review, question=question, actor=owner, base_version=1, **values)


def update_params(review, code: str, **fields) -> dict:
    return {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "QuestionId": wa_id(review, code), **fields}


def test_it_exports_answered_questions_and_a_milestone(review, owner):
    record(
        review,
        owner,
        "SEC1",
        selected=["SEC01-BP01", "SEC01-BP02"],
        choices_not_applicable={"SEC01-BP07": "ARCHITECTURE_CONSTRAINTS"},
        notes="Landing zone since 2023.",
    )
    record(review, owner, "SEC2", is_applicable=False, reason="OUT_OF_SCOPE", notes="No people log in.")
    record(review, owner, "SEC3", none_of_these=True)
    existing = [summary(review, code) for code in ("SEC1", "SEC2", "SEC3", "SEC4")]
    # The tool has SEC1 BP08 marked not applicable from earlier; here it applies again, so it is cleared.
    existing[0]["ChoiceAnswerSummaries"] = [
        {"ChoiceId": "sec_securely_operate_implement_services_features", "Status": "NOT_APPLICABLE"}
    ]
    client = tool_client()
    with Stubber(client) as stubber:
        stubber.add_response("list_answers", {"AnswerSummaries": existing}, list_params())
        stubber.add_response(
            "update_answer",
            {},
            update_params(
                review,
                "SEC1",
                SelectedChoices=["sec_securely_operate_multi_accounts", "sec_securely_operate_aws_account"],
                ChoiceUpdates={
                    "sec_securely_operate_threat_model": {
                        "Status": "NOT_APPLICABLE",
                        "Reason": "ARCHITECTURE_CONSTRAINTS",
                    },
                    "sec_securely_operate_implement_services_features": {
                        "Status": "UNSELECTED",
                        "Reason": "NONE",
                    },
                },
                Notes="Landing zone since 2023.",
                IsApplicable=True,
                Reason="NONE",
            ),
        )
        stubber.add_response(
            "update_answer",
            {},
            update_params(
                review,
                "SEC2",
                SelectedChoices=[],
                ChoiceUpdates={},
                Notes="No people log in.",
                IsApplicable=False,
                Reason="OUT_OF_SCOPE",
            ),
        )
        stubber.add_response(
            "update_answer",
            {},
            update_params(
                review,
                "SEC3",
                SelectedChoices=["sec_permissions_no"],
                ChoiceUpdates={},
                Notes="",
                IsApplicable=True,
                Reason="NONE",
            ),
        )
        stubber.add_response(
            "create_milestone",
            {"WorkloadId": TOOL_ID, "MilestoneNumber": 4},
            {
                "WorkloadId": TOOL_ID,
                "MilestoneName": "Exported from reviews",
                "ClientRequestToken": milestone_token(review, "Exported from reviews"),
            },
        )
        report = wa_export(
            review=review,
            actor=owner,
            workload_arn=ARN,
            milestone_name="Exported  from reviews",
            client=client,
        )
        stubber.assert_no_pending_responses()
    assert report.updated == ["SEC1", "SEC2", "SEC3"]
    assert "SEC4" in report.not_answered_here
    assert report.milestone_number == 4
    assert AuditEvent.objects.get(action="watool.export").after["updated"] == ["SEC1", "SEC2", "SEC3"]


def test_export_refuses_a_bad_milestone_name_before_calling_aws(review, owner):
    with pytest.raises(ValidationError) as error:
        wa_export(review=review, actor=owner, workload_arn=ARN, milestone_name="x", client=object())
    assert "milestone_name" in error.value.message_dict


def tool_state_from_updates(review, updates: list[dict]) -> list[dict]:
    """What the tool holds after our UpdateAnswer calls, as ListAnswers would return it."""
    state = []
    for params in updates:
        code = Question.objects.get(lens_version=review.lens_version, wa_id=params["QuestionId"]).code
        item = summary(review, code, selected=params["SelectedChoices"], is_applicable=params["IsApplicable"])
        item["ChoiceAnswerSummaries"] = [
            {"ChoiceId": choice_id, **update}
            for choice_id, update in params["ChoiceUpdates"].items()
            if update["Status"] == "NOT_APPLICABLE"
        ]
        item["Reason"] = params["Reason"]
        state.append(item)
    return state


def test_a_round_trip_preserves_choices_reasons_and_notes(review, owner, team):
    record(
        review,
        owner,
        "SEC1",
        selected=["SEC01-BP03", "SEC01-BP05"],
        choices_not_applicable={"SEC01-BP08": "OTHER", "SEC01-BP06": "BUSINESS_PRIORITIES"},
        notes="Threat model reviewed each quarter.\nOwner: platform team.",
    )
    record(
        review, owner, "SEC2", is_applicable=False, reason="ARCHITECTURE_CONSTRAINTS", notes="Machines only."
    )
    record(review, owner, "SEC3", none_of_these=True, notes="Nothing yet.")

    # Export, capturing exactly what was sent.
    sent: list[dict] = []
    client = tool_client()
    client.meta.events.register(
        "provide-client-params.wellarchitected.UpdateAnswer", lambda params, **_: sent.append(dict(params))
    )
    with Stubber(client) as stubber:
        stubber.add_response(
            "list_answers",
            {"AnswerSummaries": [summary(review, code) for code in ("SEC1", "SEC2", "SEC3")]},
            list_params(),
        )
        for _ in range(3):
            stubber.add_response("update_answer", {})
        wa_export(review=review, actor=owner, workload_arn=ARN, client=client)
    assert len(sent) == 3

    # Import what the tool now holds into a fresh review of another workload.
    other = workload_create(
        team=team,
        actor=owner,
        name="Copy",
        description="Receives the round trip.",
        environment="PRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
    )
    copy = review_start(workload=other, actor=owner)
    client = tool_client()
    with Stubber(client) as stubber:
        stub_answers(
            stubber, copy, [tool_state_from_updates(copy, sent)], {p["QuestionId"]: p["Notes"] for p in sent}
        )
        report = wa_import(review=copy, actor=owner, workload_arn=ARN, client=client)
    assert report.changed == ["SEC1", "SEC2", "SEC3"] and not report.unmapped_choices

    fields = (
        "selected",
        "none_of_these",
        "is_applicable",
        "reason",
        "choices_not_applicable",
        "notes",
        "risk",
    )
    for code in ("SEC1", "SEC2", "SEC3"):
        original, returned = answer_of(review, code), answer_of(copy, code)
        assert [getattr(returned, f) for f in fields] == [getattr(original, f) for f in fields], code


def test_the_workload_arn_must_be_a_tool_workload():
    assert parse_workload_arn(f"  {ARN} ").workload_id == TOOL_ID
    for bad in ("", "arn:aws:iam::111122223333:role/x", ARN.replace("workload/", "workload/xyz")):
        with pytest.raises(ValidationError):
            parse_workload_arn(bad)


def test_it_connects_only_through_a_connected_account(review, owner, monkeypatch):
    tool = parse_workload_arn(ARN)
    with pytest.raises(ValidationError, match="not connected"):
        connect(review, tool)

    target = AwsTarget.objects.create(
        workload=review.workload,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/WellArchitectedReviews",
        regions=["eu-west-1"],
    )
    calls = []

    def fake_assume_role(given_target, run_id, *, region=None):
        calls.append((given_target, run_id, region))
        return SimpleNamespace(client=lambda service, client_region: (service, client_region))

    monkeypatch.setattr("reviewapp.wellarchitected.assume_role", fake_assume_role)
    assert connect(review, tool) == ("wellarchitected", "eu-west-1")
    assert calls[0][0] == target and calls[0][1].startswith("watool-") and calls[0][2] == "eu-west-1"
