"""Linking a review to a workload in the AWS Well-Architected Tool, creating it there, and the lens-version
check every sync starts with (botocore's Stubber validates every call against the service model)."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from django.core.exceptions import ValidationError

from checks.models import AwsTarget
from reviewapp.models import AuditEvent, WaToolLink
from reviewapp.wellarchitected import (
    LENS_ALIAS,
    LensVersionMismatch,
    create_params,
    lens_upgrade,
    milestone_token,
    parse_workload_arn,
    wa_create,
    wa_import,
    wa_link,
)

from .watool_stubs import ARN, TOOL_ID, stub_answers, stub_lens_review, summary, tool_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def target(review):
    return AwsTarget.objects.create(
        workload=review.workload,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/WellArchitectedReviews",
        regions=["eu-west-1"],
    )


def stub_workload_reads(stubber, lenses=(LENS_ALIAS,)) -> None:
    stubber.add_response(
        "get_workload",
        {"Workload": {"WorkloadId": TOOL_ID, "WorkloadArn": ARN, "WorkloadName": "Payments"}},
        {"WorkloadId": TOOL_ID},
    )
    stubber.add_response(
        "list_lens_reviews",
        {
            "WorkloadId": TOOL_ID,
            "LensReviewSummaries": [{"LensAlias": alias, "LensVersion": "2024-06-27"} for alias in lenses],
        },
        {"WorkloadId": TOOL_ID},
    )


def test_a_review_links_to_an_existing_workload_by_id(review, owner, target):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_workload_reads(stubber)
        link = wa_link(
            review=review,
            actor=owner,
            workload_ref=TOOL_ID,
            account_id="111122223333",
            region="eu-west-1",
            client=client,
        )
        stubber.assert_no_pending_responses()
    assert link.workload_arn == ARN and not link.created_in_tool
    assert AuditEvent.objects.get(action="watool.link").after == {
        "workload_arn": ARN,
        "created_in_tool": False,
    }


def test_a_linked_review_syncs_without_an_arn(review, owner, target):
    WaToolLink.objects.create(review=review, workload_arn=ARN, linked_by=owner)
    client = tool_client()
    with Stubber(client) as stubber:
        stub_answers(stubber, review, [[summary(review, "SEC1", selected=["sec_securely_operate_no"])]], {})
        report = wa_import(review=review, actor=owner, client=client)
    assert report.workload_arn == ARN and report.changed == ["SEC1"]


def test_without_a_link_or_an_arn_a_sync_asks_for_one(review, owner):
    with pytest.raises(ValidationError, match="Link this review"):
        wa_import(review=review, actor=owner, client=tool_client())


def test_a_workload_without_the_well_architected_lens_is_not_linked(review, owner, target):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_workload_reads(stubber, lenses=("serverless",))
        with pytest.raises(ValidationError, match="does not use the AWS Well-Architected Framework lens"):
            wa_link(review=review, actor=owner, workload_ref=ARN, client=client)
    assert not WaToolLink.objects.exists()


def test_linking_by_id_needs_a_connected_account(review, owner):
    with pytest.raises(ValidationError) as error:
        wa_link(
            review=review, actor=owner, workload_ref=TOOL_ID, account_id="999988887777", region="eu-west-1"
        )
    assert "not connected" in error.value.message_dict["account_id"][0]


def test_the_workload_is_created_in_the_tool_from_its_fields(review, owner, target):
    workload = review.workload
    workload.account_ids = ["111122223333"]
    workload.notes = "Card payments."
    workload.save()
    params = create_params(review, "eu-west-1")
    assert {
        key: params[key] for key in ("WorkloadName", "Environment", "AwsRegions", "Lenses", "AccountIds")
    } == {
        "WorkloadName": workload.name,
        "Environment": workload.environment,
        "AwsRegions": workload.aws_regions,
        "Lenses": ["wellarchitected"],
        "AccountIds": ["111122223333"],
    }
    assert (params["Description"], params["ReviewOwner"], params["Notes"]) == (
        workload.description,
        workload.review_owner,
        "Card payments.",
    )
    client = tool_client()
    with Stubber(client) as stubber:
        # The expected parameters are checked, and Stubber checks them against CreateWorkload's model.
        stubber.add_response("create_workload", {"WorkloadId": TOOL_ID, "WorkloadArn": ARN}, params)
        link = wa_create(
            review=review, actor=owner, account_id="111122223333", region="eu-west-1", client=client
        )
    assert link.workload_arn == ARN and link.created_in_tool
    assert AuditEvent.objects.filter(action="watool.create").count() == 1
    with pytest.raises(ValidationError, match="already linked"):
        wa_create(review=review, actor=owner, account_id="111122223333", region="eu-west-1", client=client)


def test_a_newer_lens_in_the_tool_is_refused_with_the_reason(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_lens_review(stubber, version="2026-01-15", status="CURRENT")
        with pytest.raises(LensVersionMismatch) as error:
            wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert not error.value.can_upgrade and error.value.tool_version == "2026-01-15"
    assert "uses the Well-Architected lens of 2026-01-15" in str(error.value)
    assert "nothing was synced" in str(error.value)


def test_an_older_lens_review_in_the_tool_is_offered_the_upgrade(review, owner, target):
    WaToolLink.objects.create(review=review, workload_arn=ARN, linked_by=owner)
    client = tool_client()
    with Stubber(client) as stubber:
        stub_lens_review(stubber, version="2022-03-31", status="NOT_CURRENT")
        with pytest.raises(LensVersionMismatch) as error:
            wa_import(review=review, actor=owner, client=client)
        assert error.value.can_upgrade
        stubber.add_response(
            "upgrade_lens_review",
            {},
            {
                "WorkloadId": TOOL_ID,
                "LensAlias": LENS_ALIAS,
                "MilestoneName": "Before lens upgrade",
                "ClientRequestToken": milestone_token(parse_workload_arn(ARN), "Before lens upgrade"),
            },
        )
        stub_lens_review(stubber, version="2024-06-27")
        version = lens_upgrade(
            review=review, actor=owner, milestone_name="Before  lens upgrade", client=client
        )
        stubber.assert_no_pending_responses()
    assert version == "2024-06-27"
    assert AuditEvent.objects.get(action="watool.lens_upgrade").after["lens_version"] == "2024-06-27"


def test_a_lens_version_this_catalogue_matches_syncs_even_if_the_tool_has_a_newer_one(review, owner):
    client = tool_client()
    with Stubber(client) as stubber:
        stub_lens_review(stubber, version="2023-10-03", status="NOT_CURRENT")
        stubber.add_response(
            "list_answers",
            {"AnswerSummaries": []},
            {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "PillarId": "security", "MaxResults": 50},
        )
        report = wa_import(review=review, actor=owner, workload_arn=ARN, client=client)
    assert report.lens_version == "2023-10-03"
