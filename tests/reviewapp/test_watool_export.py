"""Exporting to the AWS Well-Architected Tool: a merge that never loses an answer there, shown as a dry run and
written only once confirmed (botocore's Stubber validates every call against the service model)."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from django.core.exceptions import ValidationError

from questionnaire.models import Question
from reviewapp.models import Answer, AuditEvent
from reviewapp.services import answer_record, review_start, workload_create
from reviewapp.wellarchitected import (
    LENS_ALIAS,
    ExportPlanChanged,
    export_plan,
    milestone_token,
    parse_workload_arn,
    wa_export,
    wa_import,
)

from .watool_stubs import (
    ARN,
    TOOL_ID,
    recorded,
    stub_answers,
    stub_export_reads,
    stub_recorded_reads,
    summary,
    tool_client,
    wa_id,
)

pytestmark = pytest.mark.django_db


def record(review, owner, code: str, **values) -> Answer:
    question = Question.objects.get(lens_version=review.lens_version, code=code)
    return answer_record(review=review, question=question, actor=owner, base_version=1, **values)


def update_params(review, code: str, **fields) -> dict:
    return {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "QuestionId": wa_id(review, code), **fields}


def plan_and_export(review, owner, stub_reads, updates: list[dict], milestone: str = "", **extra):
    """Dry run, then the confirmed export, each reading the tool as `stub_reads` queues it."""
    client = tool_client()
    with Stubber(client) as stubber:
        stub_reads(stubber)
        plan = export_plan(review=review, workload_arn=ARN, milestone_name=milestone, client=client)
        stub_reads(stubber)
        for params in updates:
            stubber.add_response("update_answer", {}, params)
        for operation, response, params in extra.get("after", []):
            stubber.add_response(operation, response, params)
        report = wa_export(
            review=review,
            actor=owner,
            confirm=plan.digest,
            workload_arn=ARN,
            milestone_name=milestone,
            client=client,
        )
        stubber.assert_no_pending_responses()
    return plan, report


RECORDED_IDS = ["securely-operate", "permissions", "network-protection"]


def recorded_reads(stubber):
    stub_recorded_reads(stubber, RECORDED_IDS)


def test_choices_the_app_does_not_know_stay_selected_and_the_dry_run_shows_exactly_the_change(review, owner):
    # Here SEC3 has BP01 and BP03; the tool has BP01, BP02 and a choice added by a lens update we do not know.
    record(
        review,
        owner,
        "SEC3",
        selected=["SEC03-BP01", "SEC03-BP03"],
        notes="New practice ticked in the console.",
    )
    sec3 = update_params(
        review,
        "SEC3",
        SelectedChoices=[
            "sec_permissions_define",
            "sec_permissions_emergency_process",
            "sec_permissions_new_2025",
        ],
        ChoiceUpdates={
            "sec_permissions_least_privileges": {"Status": "UNSELECTED", "Reason": "NONE", "Notes": ""},
            "sec_permissions_emergency_process": {"Status": "SELECTED", "Reason": "NONE", "Notes": ""},
        },
        Notes="New practice ticked in the console.",
        IsApplicable=True,
        Reason="NONE",
    )

    def reads(stubber):
        stub_recorded_reads(stubber, ["permissions"])

    plan, report = plan_and_export(review, owner, reads, [sec3])

    [question] = plan.questions
    assert question.code == "SEC3" and question.kept_unknown == ["sec_permissions_new_2025"]
    assert question.changes == [
        {
            "field": "selected",
            "before": [
                "sec_permissions_define",
                "sec_permissions_least_privileges",
                "sec_permissions_new_2025",
            ],
            "after": [
                "sec_permissions_define",
                "sec_permissions_emergency_process",
                "sec_permissions_new_2025",
            ],
        }
    ]
    assert report.updated == ["SEC3"]
    assert report.kept_unknown == {"SEC3": ["sec_permissions_new_2025"]}
    assert AuditEvent.objects.get(action="watool.export").after["kept_unknown"] == {
        "SEC3": ["sec_permissions_new_2025"]
    }


def test_export_uses_the_choice_id_the_tool_reports_for_a_practice(review, owner):
    record(
        review,
        owner,
        "SEC5",
        selected=["SEC05-BP01", "SEC05-BP02", "SEC05-BP04"],
        notes="Firewall Manager rolls out rules.",
    )
    sec5 = update_params(
        review,
        "SEC5",
        SelectedChoices=[
            "sec_network_protection_create_layers",
            "sec_network_protection_layered",
            "sec_network_protection_auto_protect",
        ],
        ChoiceUpdates={
            "sec_network_protection_layered": {"Status": "SELECTED", "Reason": "NONE", "Notes": ""}
        },
        Notes="Firewall Manager rolls out rules.",
        IsApplicable=True,
        Reason="NONE",
    )

    plan, report = plan_and_export(
        review, owner, lambda s: stub_recorded_reads(s, ["network-protection"]), [sec5]
    )

    assert report.updated == ["SEC5"] and plan.unmapped_practices == []


def test_reasons_and_choice_notes_go_over_one_to_one(review, owner):
    record(
        review,
        owner,
        "SEC1",
        selected=["SEC01-BP01", "SEC01-BP02", "SEC01-BP03"],
        choices_not_applicable={"SEC01-BP07": "NONE"},
        choice_notes={
            "SEC01-BP01": "Five accounts under one organization.",
            "SEC01-BP07": "Not modelled yet.",
        },
        notes="Landing zone since 2023.",
    )
    sec1 = update_params(
        review,
        "SEC1",
        SelectedChoices=[
            "sec_securely_operate_multi_accounts",
            "sec_securely_operate_aws_account",
            "sec_securely_operate_control_objectives",
        ],
        ChoiceUpdates={
            "sec_securely_operate_threat_model": {
                "Status": "NOT_APPLICABLE",
                "Reason": "NONE",
                "Notes": "Not modelled yet.",
            }
        },
        Notes="Landing zone since 2023.",
        IsApplicable=True,
        Reason="NONE",
    )

    plan, _ = plan_and_export(review, owner, lambda s: stub_recorded_reads(s, ["securely-operate"]), [sec1])

    assert plan.questions[0].changes == [
        {
            "field": "not_applicable",
            "before": {"sec_securely_operate_threat_model": "BUSINESS_PRIORITIES"},
            "after": {"sec_securely_operate_threat_model": "NONE"},
        },
        {
            "field": "choice_notes",
            "before": {
                "sec_securely_operate_multi_accounts": "Five accounts under one organization.",
                "sec_securely_operate_threat_model": "Threat models are owned by the platform team.",
            },
            "after": {
                "sec_securely_operate_multi_accounts": "Five accounts under one organization.",
                "sec_securely_operate_threat_model": "Not modelled yet.",
            },
        },
    ]


def test_a_question_not_applicable_without_a_reason_goes_over_as_none(review, owner):
    record(review, owner, "SEC2", is_applicable=False, reason="NONE", notes="Only machines sign in.")
    items = [summary(review, "SEC2")]
    sec2 = update_params(
        review,
        "SEC2",
        SelectedChoices=[],
        ChoiceUpdates={},
        Notes="Only machines sign in.",
        IsApplicable=False,
        Reason="NONE",
    )

    plan, report = plan_and_export(
        review, owner, lambda s: stub_export_reads(s, items, ["identities"]), [sec2]
    )

    assert {"field": "reason", "before": "", "after": "NONE"} in plan.questions[0].changes
    assert report.updated == ["SEC2"]


def test_a_question_the_tool_lists_without_choices_is_skipped_and_reported(review, owner):
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    record(review, owner, "SEC3", none_of_these=True)
    bare = summary(review, "SEC1", selected=["sec_securely_operate_multi_accounts", "sec_someone_elses"])
    del bare["Choices"]
    items = [bare, summary(review, "SEC3")]
    sec3 = update_params(
        review,
        "SEC3",
        SelectedChoices=["sec_permissions_no"],
        ChoiceUpdates={},
        Notes="",
        IsApplicable=True,
        Reason="NONE",
    )

    plan, report = plan_and_export(
        review, owner, lambda s: stub_export_reads(s, items, ["securely-operate", "permissions"]), [sec3]
    )

    assert plan.no_choices_there == ["SEC1"] and report.no_choices_there == ["SEC1"]
    assert report.updated == ["SEC3"]
    assert "SEC2" in report.not_answered_here


def test_none_of_these_is_withheld_while_the_tool_has_unknown_choices_selected(review, owner):
    record(review, owner, "SEC3", none_of_these=True)
    items = [summary(review, "SEC3", selected=["sec_permissions_brand_new"])]
    items[0]["Choices"].append({"ChoiceId": "sec_permissions_brand_new", "Title": "New"})
    client = tool_client()
    with Stubber(client) as stubber:
        stub_export_reads(stubber, items, ["permissions"])
        plan = export_plan(review=review, workload_arn=ARN, client=client)

    # Sending "None of these" would replace the tool's selection and lose its answer: it is held back, said so.
    assert plan.none_withheld == ["SEC3"]
    assert plan.unchanged == ["SEC3"] and plan.questions == []


def test_questions_missing_in_the_tool_and_a_milestone_per_tool_workload(review, owner):
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    record(review, owner, "SEC4", none_of_these=True)
    items = [summary(review, "SEC1")]
    sec1 = update_params(
        review,
        "SEC1",
        SelectedChoices=["sec_securely_operate_multi_accounts"],
        ChoiceUpdates={
            "sec_securely_operate_multi_accounts": {"Status": "SELECTED", "Reason": "NONE", "Notes": ""}
        },
        Notes="",
        IsApplicable=True,
        Reason="NONE",
    )
    token = milestone_token(parse_workload_arn(ARN), "Exported from reviews")
    milestone = (
        "create_milestone",
        {"WorkloadId": TOOL_ID, "MilestoneNumber": 4},
        {"WorkloadId": TOOL_ID, "MilestoneName": "Exported from reviews", "ClientRequestToken": token},
    )

    plan, report = plan_and_export(
        review,
        owner,
        lambda s: stub_export_reads(s, items, ["securely-operate"]),
        [sec1],
        milestone="Exported  from reviews",
        after=[milestone],
    )

    assert plan.missing_there == ["SEC4"] and report.missing_there == ["SEC4"]
    assert report.milestone_number == 4


def test_nothing_is_written_when_the_tool_changed_since_the_dry_run(review, owner):
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    before = [summary(review, "SEC1")]
    after = [summary(review, "SEC1", selected=["sec_securely_operate_aws_account"])]
    client = tool_client()
    with Stubber(client) as stubber:
        stub_export_reads(stubber, before, ["securely-operate"])
        plan = export_plan(review=review, workload_arn=ARN, client=client)
        stub_export_reads(stubber, after, ["securely-operate"])
        with pytest.raises(ExportPlanChanged, match="changed since the dry run"):
            wa_export(review=review, actor=owner, confirm=plan.digest, workload_arn=ARN, client=client)
        stubber.assert_no_pending_responses()
    assert not AuditEvent.objects.filter(action="watool.export").exists()


def test_an_unchanged_tool_gets_no_update_at_all(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_recorded_reads(stubber, list(recorded()["get_answer"]))
        wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    reads = lambda s: stub_recorded_reads(s, list(recorded()["get_answer"]))  # noqa: E731

    plan, report = plan_and_export(review, owner, reads, [])

    assert plan.questions == [] and report.updated == []
    assert len(plan.unchanged) == 9


def test_export_refuses_a_bad_milestone_name_before_calling_aws(review, owner):
    with pytest.raises(ValidationError) as error:
        export_plan(review=review, workload_arn=ARN, milestone_name="x", client=object())
    assert "milestone_name" in error.value.message_dict


def test_a_round_trip_preserves_choices_reasons_and_notes(review, owner, team):
    record(
        review,
        owner,
        "SEC1",
        selected=["SEC01-BP03", "SEC01-BP05"],
        choices_not_applicable={"SEC01-BP08": "OTHER", "SEC01-BP06": "NONE"},
        choice_notes={"SEC01-BP03": "Objectives from the risk register."},
        notes="Threat model reviewed each quarter.\nOwner: platform team.",
    )
    record(
        review, owner, "SEC2", is_applicable=False, reason="ARCHITECTURE_CONSTRAINTS", notes="Machines only."
    )
    record(review, owner, "SEC3", none_of_these=True, notes="Nothing yet.")
    items = [summary(review, code) for code in ("SEC1", "SEC2", "SEC3")]
    sent: list[dict] = []
    client = tool_client()
    client.meta.events.register(
        "provide-client-params.wellarchitected.UpdateAnswer", lambda params, **_: sent.append(dict(params))
    )
    answered = [wa_id(review, code) for code in ("SEC1", "SEC2", "SEC3")]
    with Stubber(client) as stubber:
        stub_export_reads(stubber, items, answered)
        plan = export_plan(review=review, workload_arn=ARN, client=client)
        stub_export_reads(stubber, items, answered)
        for _ in range(3):
            stubber.add_response("update_answer", {})
        wa_export(review=review, actor=owner, confirm=plan.digest, workload_arn=ARN, client=client)
    assert len(sent) == 3

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
    state, notes, choice_answers = [], {}, {}
    for params in sent:
        code = Question.objects.get(lens_version=copy.lens_version, wa_id=params["QuestionId"]).code
        item = summary(copy, code, selected=params["SelectedChoices"], is_applicable=params["IsApplicable"])
        updates = params["ChoiceUpdates"]
        item["ChoiceAnswerSummaries"] = [
            {"ChoiceId": c, "Status": u["Status"], "Reason": u["Reason"]}
            for c, u in updates.items()
            if u["Status"] == "NOT_APPLICABLE"
        ]
        if not params["IsApplicable"]:
            item["Reason"] = params["Reason"]
        state.append(item)
        notes[params["QuestionId"]] = params["Notes"]
        choice_answers[params["QuestionId"]] = [{"ChoiceId": c, **u} for c, u in updates.items()]
    client = tool_client()
    with Stubber(client) as stubber:
        stub_answers(stubber, copy, [state], notes, choice_answers=choice_answers)
        report = wa_import(review=copy, actor=owner, workload_arn=ARN, client=client)
    assert report.changed == ["SEC1", "SEC2", "SEC3"] and not report.unmapped_choices

    fields = (
        "selected",
        "none_of_these",
        "is_applicable",
        "reason",
        "choices_not_applicable",
        "notes",
        "choice_notes",
        "risk",
    )
    for code in ("SEC1", "SEC2", "SEC3"):
        original = Answer.objects.get(review=review, question__code=code)
        returned = Answer.objects.get(review=copy, question__code=code)
        assert [getattr(returned, f) for f in fields] == [getattr(original, f) for f in fields], code
