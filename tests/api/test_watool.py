"""/api/v1/reviews/<id>/wa-tool/...: the Well-Architected Tool round trip for automation."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from django.urls import reverse

from checks.models import AwsTarget
from reviewapp.models import Answer, WaToolLink
from reviewapp.services import answer_record
from tests.reviewapp.watool_stubs import (
    ARN,
    TOOL_ID,
    stub_answers,
    stub_lens_review,
    stub_recorded_reads,
    summary,
    tool_client,
)

from .conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stubbed(monkeypatch):
    client = tool_client()
    monkeypatch.setattr("reviewapp.wellarchitected.tool.connect", lambda review, tool: client)
    with Stubber(client) as stubber:
        yield stubber


def url(review, direction: str) -> str:
    return reverse(f"api_wa_tool_{direction}", kwargs={"review_id": review.pk})


def test_it_imports_and_reports(api, contributor, review, stubbed):
    tool_page = [summary(review, "SEC1", selected=["sec_securely_operate_multi_accounts", "sec_brand_new"])]
    stub_answers(stubbed, review, [tool_page], {"securely-operate": "From the tool"})
    response = as_user(api, contributor).post(url(review, "import"), {"workload_arn": ARN}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["changed"] == ["SEC1"] and body["dry_run"] is False
    assert body["lens_version"] == "2024-06-27" and "SEC2" in body["missing_there"]
    assert body["unmapped_choices"] == [{"question_id": "securely-operate", "choice_id": "sec_brand_new"}]
    assert Answer.objects.get(review=review, question__code="SEC1").notes == "From the tool"


def test_a_dry_run_changes_nothing(api, owner, review, stubbed):
    stub_answers(stubbed, review, [[summary(review, "SEC1", selected=["sec_securely_operate_no"])]], {})
    response = as_user(api, owner).post(
        url(review, "import"), {"workload_arn": ARN, "dry_run": True}, format="json"
    )
    assert response.json()["changed"] == ["SEC1"]
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1


def test_an_export_is_a_dry_run_first_then_the_confirmed_write(api, owner, review, stubbed):
    question = review.lens_version.questions.get(code="SEC3")
    answer_record(review=review, question=question, actor=owner, base_version=1, selected=["SEC03-BP01"])
    as_user(api, owner)

    stub_recorded_reads(stubbed, ["permissions"])
    dry = api.post(
        url(review, "export"),
        {"workload_arn": ARN, "dry_run": True, "milestone_name": "From CI"},
        format="json",
    )

    assert dry.status_code == 200, dry.json()
    plan = dry.json()
    [sec3] = plan["questions"]
    assert sec3["question"] == "SEC3" and sec3["kept_unknown"] == ["sec_permissions_new_2025"]
    assert sec3["changes"] == [
        {
            "field": "selected",
            "before": [
                "sec_permissions_define",
                "sec_permissions_least_privileges",
                "sec_permissions_new_2025",
            ],
            "after": ["sec_permissions_define", "sec_permissions_new_2025"],
        },
        {"field": "notes", "before": "New practice ticked in the console.", "after": ""},
    ]
    stub_recorded_reads(stubbed, ["permissions"])
    stubbed.add_response("update_answer", {})
    stubbed.add_response("create_milestone", {"WorkloadId": TOOL_ID, "MilestoneNumber": 2})
    done = api.post(
        url(review, "export"),
        {"workload_arn": ARN, "confirm": plan["digest"], "milestone_name": "From CI"},
        format="json",
    )
    assert done.status_code == 200, done.json()
    body = done.json()
    assert body["updated"] == ["SEC3"] and body["milestone_number"] == 2
    assert body["kept_unknown"] == {"SEC3": ["sec_permissions_new_2025"]}
    stubbed.assert_no_pending_responses()


def test_an_export_without_a_confirmed_dry_run_is_refused(api, owner, review):
    response = as_user(api, owner).post(url(review, "export"), {"workload_arn": ARN}, format="json")
    assert response.status_code == 400
    assert response.json()["confirm"] == [
        "Run the export with dry_run=true first and send its digest here to write it."
    ]


def test_an_export_of_a_plan_that_changed_is_a_conflict(api, owner, review, stubbed):
    stub_lens_review(stubbed)
    stubbed.add_response("list_answers", {"AnswerSummaries": []})
    response = as_user(api, owner).post(
        url(review, "export"), {"workload_arn": ARN, "confirm": "0" * 64}, format="json"
    )
    assert response.status_code == 409
    assert "changed since the dry run" in response.json()["detail"]


def test_a_lens_version_mismatch_is_a_conflict_that_says_whether_an_upgrade_helps(
    api, owner, review, stubbed
):
    stub_lens_review(stubbed, version="2022-03-31", status="NOT_CURRENT")
    response = as_user(api, owner).post(url(review, "import"), {"workload_arn": ARN}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["tool_lens_version"] == "2022-03-31" and body["can_upgrade"] is True


def test_link_create_and_upgrade(api, owner, review, stubbed):
    AwsTarget.objects.create(
        workload=review.workload,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/WellArchitectedReviews",
        regions=["eu-west-1"],
    )
    as_user(api, owner)
    stubbed.add_response("create_workload", {"WorkloadId": TOOL_ID, "WorkloadArn": ARN})
    created = api.post(
        url(review, "create"), {"account_id": "111122223333", "region": "eu-west-1"}, format="json"
    )
    assert created.status_code == 201, created.json()
    assert created.json() == {"workload_arn": ARN, "created_in_tool": True}

    stubbed.add_response("get_workload", {"Workload": {"WorkloadId": TOOL_ID}})
    stubbed.add_response("list_lens_reviews", {"LensReviewSummaries": [{"LensAlias": "wellarchitected"}]})
    linked = api.post(url(review, "link"), {"workload": ARN}, format="json")
    assert linked.status_code == 200 and linked.json()["created_in_tool"] is False

    stubbed.add_response("upgrade_lens_review", {})
    stub_lens_review(stubbed, version="2024-06-27")
    upgraded = api.post(url(review, "upgrade"), {"milestone_name": "Before upgrade"}, format="json")
    assert upgraded.status_code == 200 and upgraded.json() == {"lens_version": "2024-06-27"}
    assert WaToolLink.objects.get(review=review).workload_arn == ARN


def test_field_messages_for_bad_input(api, owner, review):
    as_user(api, owner)
    response = api.post(url(review, "import"), {"workload_arn": "arn:nope"}, format="json")
    assert response.status_code == 400 and "workload_arn" in response.json()
    response = api.post(
        url(review, "export"), {"workload_arn": ARN, "milestone_name": "ab", "dry_run": True}, format="json"
    )
    assert response.status_code == 400 and "milestone_name" in response.json()
    response = api.post(url(review, "import"), {"workload_arn": ARN}, format="json")
    assert "not connected" in response.json()["workload_arn"][0]
    response = api.post(url(review, "import"), {}, format="json")
    assert "Link this review" in response.json()["workload_arn"][0]


def test_an_aws_refusal_is_502(api, owner, review, stubbed):
    stubbed.add_client_error("get_lens_review", "AccessDeniedException", "no", 403)
    response = as_user(api, owner).post(url(review, "import"), {"workload_arn": ARN}, format="json")
    assert response.status_code == 502
    assert "AccessDeniedException" in response.json()["detail"]


def test_viewers_get_403_and_outsiders_404(api, viewer, outsider, review):
    for direction in ("import", "export", "link", "create", "upgrade"):
        assert as_user(api, viewer).post(url(review, direction), {}, format="json").status_code == 403
        assert as_user(api, outsider).post(url(review, direction), {}, format="json").status_code == 404


def test_a_read_only_token_cannot_import(api, owner, review):
    response = as_user(api, owner, read_only=True).post(
        url(review, "import"), {"workload_arn": ARN}, format="json"
    )
    assert response.status_code == 403
    assert not review.answers.exclude(version=1).exists()
