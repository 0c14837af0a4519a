"""/api/v1/reviews/<id>/wa-tool/import/ and /export/: the Well-Architected Tool round trip for automation."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from django.urls import reverse

from reviewapp.models import Answer
from tests.reviewapp.watool_stubs import ARN, list_params, stub_answers, summary, tool_client

from .conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def stubbed(monkeypatch):
    client = tool_client()
    monkeypatch.setattr("reviewapp.wellarchitected.connect", lambda review, tool: client)
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
    assert body["unmapped_choices"] == [{"question_id": "securely-operate", "choice_id": "sec_brand_new"}]
    assert Answer.objects.get(review=review, question__code="SEC1").notes == "From the tool"


def test_a_dry_run_changes_nothing(api, owner, review, stubbed):
    stub_answers(stubbed, review, [[summary(review, "SEC1", selected=["sec_securely_operate_no"])]], {})
    response = as_user(api, owner).post(
        url(review, "import"), {"workload_arn": ARN, "dry_run": True}, format="json"
    )
    assert response.json()["changed"] == ["SEC1"]
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1


def test_it_exports_with_a_milestone(api, owner, review, stubbed):
    stubbed.add_response("list_answers", {"AnswerSummaries": []}, list_params())
    stubbed.add_response("create_milestone", {"MilestoneNumber": 2})
    response = as_user(api, owner).post(
        url(review, "export"), {"workload_arn": ARN, "milestone_name": "From CI"}, format="json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["milestone_number"] == 2 and len(body["not_answered_here"]) == 11


def test_field_messages_for_bad_input(api, owner, review):
    as_user(api, owner)
    response = api.post(url(review, "import"), {"workload_arn": "arn:nope"}, format="json")
    assert response.status_code == 400 and "workload_arn" in response.json()
    response = api.post(url(review, "export"), {"workload_arn": ARN, "milestone_name": "ab"}, format="json")
    assert response.status_code == 400 and "milestone_name" in response.json()
    response = api.post(url(review, "import"), {"workload_arn": ARN}, format="json")
    assert "not connected" in response.json()["workload_arn"][0]


def test_an_aws_refusal_is_502(api, owner, review, stubbed):
    stubbed.add_client_error("list_answers", "ThrottlingException", "slow down", 400)
    response = as_user(api, owner).post(url(review, "import"), {"workload_arn": ARN}, format="json")
    assert response.status_code == 502
    assert "ThrottlingException" in response.json()["detail"]


def test_viewers_get_403_and_outsiders_404(api, viewer, outsider, review):
    for direction in ("import", "export"):
        assert (
            as_user(api, viewer)
            .post(url(review, direction), {"workload_arn": ARN}, format="json")
            .status_code
            == 403
        )
        assert (
            as_user(api, outsider)
            .post(url(review, direction), {"workload_arn": ARN}, format="json")
            .status_code
            == 404
        )


def test_a_read_only_token_cannot_import(api, owner, review):
    response = as_user(api, owner, read_only=True).post(
        url(review, "import"), {"workload_arn": ARN}, format="json"
    )
    assert response.status_code == 403
    assert not review.answers.exclude(version=1).exists()
