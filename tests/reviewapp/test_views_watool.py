"""The review's Well-Architected Tool page: link or create, preview and import, a dry-run diff before export."""

from __future__ import annotations

import re

import pytest
from botocore.stub import Stubber
from django.urls import reverse

from checks.models import AwsTarget
from reviewapp.models import Answer, AuditEvent, WaToolLink
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def stubbed(monkeypatch):
    """A stubbed wellarchitected client handed out instead of one built through an assumed role."""
    client = tool_client()
    monkeypatch.setattr("reviewapp.wellarchitected.tool.connect", lambda review, tool: client)
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
    assert b"Import preview: nothing saved yet" in response.content
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


def test_the_export_dry_run_shows_the_diff_and_the_confirmation_writes_it(client, owner, review, stubbed):
    WaToolLink.objects.create(review=review, workload_arn=ARN, linked_by=owner)
    question = review.lens_version.questions.get(code="SEC3")
    answer_record(review=review, question=question, actor=owner, base_version=1, selected=["SEC03-BP01"])
    client.force_login(owner)

    stub_recorded_reads(stubbed, ["permissions"])
    dry = client.post(page(review), {"action": "plan"})

    assert dry.status_code == 200
    html = dry.content.decode()
    assert "Export dry run: nothing written yet" in html
    assert "Kept selected, unknown here: <code>sec_permissions_new_2025</code>" in html
    now = "[&#x27;sec_permissions_define&#x27;, &#x27;sec_permissions_least_privileges&#x27;, "
    now += "&#x27;sec_permissions_new_2025&#x27;]"
    after = "[&#x27;sec_permissions_define&#x27;, &#x27;sec_permissions_new_2025&#x27;]"
    assert (
        f"<td>selected</td>\n      <td><code>{now}</code></td>\n      <td><code>{after}</code></td>" in html
    )
    assert not AuditEvent.objects.filter(action="watool.export").exists()
    digest = re.search(r'name="plan_digest" value="([0-9a-f]{64})"', html).group(1)

    stub_recorded_reads(stubbed, ["permissions"])
    stubbed.add_response("update_answer", {})
    done = client.post(page(review), {"action": "export", "plan_digest": digest})

    assert b"1 question written to the tool: SEC3" in done.content
    assert AuditEvent.objects.filter(action="watool.export").exists()
    stubbed.assert_no_pending_responses()


def test_a_lens_mismatch_is_explained_and_offers_the_upgrade(client, owner, review, stubbed):
    client.force_login(owner)
    stub_lens_review(stubbed, version="2022-03-31", status="NOT_CURRENT")
    response = client.post(page(review), {"workload_arn": ARN, "action": "preview"})
    assert response.status_code == 409
    assert b"Lens versions differ: nothing was synced" in response.content
    assert b"Upgrade the lens review in the tool" in response.content


def test_linking_by_id_and_creating(client, owner, review, stubbed):
    AwsTarget.objects.create(
        workload=review.workload,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/WellArchitectedReviews",
        regions=["eu-west-1"],
    )
    client.force_login(owner)
    stubbed.add_response("create_workload", {"WorkloadId": TOOL_ID, "WorkloadArn": ARN})
    created = client.post(
        page(review), {"action": "create", "account_id": "111122223333", "region": "eu-west-1"}
    )
    assert b"Created the workload in the tool" in created.content
    assert f"Linked to <code>{ARN}</code> (created there by this app)".encode() in created.content

    stubbed.add_response("get_workload", {"Workload": {"WorkloadId": TOOL_ID}})
    stubbed.add_response("list_lens_reviews", {"LensReviewSummaries": [{"LensAlias": "wellarchitected"}]})
    linked = client.post(
        page(review),
        {"action": "link", "workload_arn": TOOL_ID, "account_id": "111122223333", "region": "eu-west-1"},
    )
    assert b"Linked to the workload in the tool." in linked.content
    assert WaToolLink.objects.get(review=review).created_in_tool is False


def test_bad_input_is_shown_on_the_form(client, owner, review):
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": "not an arn", "action": "import"})
    assert response.status_code == 400
    assert "workload_arn" in response.context["form"].errors
    response = client.post(page(review), {"workload_arn": ARN, "action": "import"})
    assert "not connected" in str(response.context["form"].errors["workload_arn"])


def test_an_aws_refusal_is_shown(client, owner, review, stubbed):
    stubbed.add_client_error("get_lens_review", "AccessDeniedException", "no", 403)
    client.force_login(owner)
    response = client.post(page(review), {"workload_arn": ARN, "action": "import"})
    assert response.status_code == 502
    assert b"Access denied to GetLensReview" in response.content


def test_the_page_query_count_is_pinned(client, owner, review, django_assert_num_queries):
    WaToolLink.objects.create(review=review, workload_arn=ARN, linked_by=owner)
    client.force_login(owner)
    client.get(page(review))
    # session, user, review with workload, lens and the member's role, connected accounts, link with its author
    with django_assert_num_queries(5):
        assert ARN.encode() in client.get(page(review)).content
