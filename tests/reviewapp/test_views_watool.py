"""The review's Well-Architected Tool page: preview, import and export from the browser, with clear errors."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from django.urls import reverse

from reviewapp.models import Answer, AuditEvent
from tests.reviewapp.watool_stubs import ARN, list_params, stub_answers, summary, tool_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def stubbed(monkeypatch):
    """A stubbed wellarchitected client handed out instead of one built through an assumed role."""
    client = tool_client()
    monkeypatch.setattr("reviewapp.wellarchitected.connect", lambda review, tool: client)
    with Stubber(client) as stubber:
        yield stubber


def page(review) -> str:
    return reverse("review_wa_tool", kwargs={"review_id": review.pk})


def test_a_viewer_sees_the_page_without_the_form(client, viewer, review):
    client.force_login(viewer)
    response = client.get(page(review))
    assert response.status_code == 200
    assert b"not import or export" in response.content
    assert b'name="workload_arn"' not in response.content


def test_a_viewer_cannot_post(client, viewer, review):
    client.force_login(viewer)
    assert client.post(page(review), {"workload_arn": ARN, "action": "import"}).status_code == 403
    assert not review.answers.exclude(version=1).exists()


def test_an_outsider_gets_404(client, outsider, review):
    client.force_login(outsider)
    assert client.get(page(review)).status_code == 404


def test_a_preview_lists_changes_and_saves_nothing(client, owner, review, stubbed):
    stub_answers(stubbed, review, [[summary(review, "SEC1", selected=["sec_securely_operate_no"])]], {})
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": ARN, "action": "preview"})
    assert response.status_code == 200
    assert b"Preview: nothing saved yet" in response.content
    assert b"Would change" in response.content and b"SEC1" in response.content
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1


def test_an_import_saves_and_reports_unmapped_choices(client, owner, review, stubbed):
    tool_page = [summary(review, "SEC1", selected=["sec_securely_operate_multi_accounts", "sec_brand_new"])]
    stub_answers(stubbed, review, [tool_page], {"securely-operate": "<b>notes</b>"})
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": ARN, "action": "import"})
    assert b"Imported" in response.content
    assert b"<code>sec_brand_new</code>" in response.content
    answer = Answer.objects.get(review=review, question__code="SEC1")
    assert answer.selected == ["SEC01-BP01"] and answer.notes == "<b>notes</b>"
    # The ARN is remembered (from the audit trail) for the next visit.
    assert ARN.encode() in client.get(page(review)).content


def test_an_export_reports_what_was_written(client, owner, review, stubbed):
    stubbed.add_response("list_answers", {"AnswerSummaries": [summary(review, "SEC1")]}, list_params())
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": ARN, "action": "export"})
    assert response.status_code == 200
    assert b"0 questions written" in response.content
    assert AuditEvent.objects.filter(action="watool.export").exists()


def test_bad_input_is_shown_on_the_form(client, owner, review):
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": "not an arn", "action": "import"})
    assert response.status_code == 200
    assert "workload_arn" in response.context["form"].errors
    response = client.post(page(review), {"workload_arn": ARN, "action": "import"})
    assert "not connected" in str(response.context["form"].errors["workload_arn"])


def test_an_aws_refusal_is_shown(client, owner, review, stubbed):
    stubbed.add_client_error("list_answers", "AccessDeniedException", "no", 403)
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": ARN, "action": "import"})
    assert b"Access denied to ListAnswers" in response.content
