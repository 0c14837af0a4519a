"""Which tool workload a review syncs with, and whether both sides mean the same lens version.

A review is linked to one tool workload: an existing one by its id (or ARN), or one this app creates there
(CreateWorkload with the workload's fields and the Well-Architected lens). Before any import or export the
tool's lens review is read (GetLensReview): when its version is not one this catalogue was written for, the
sync is refused with the reason, and when the tool's own lens review is simply behind (NOT_CURRENT) the
upgrade there is offered (UpgradeLensReview, which saves a milestone first).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from checks.models import AwsTarget

from ..audit import audit_record
from ..models import Environment, Review, User, WaToolLink
from . import tool
from .tool import LENS_ALIAS, ToolWorkload, WaToolError, call, parse_workload_arn

_WORKLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_REGION = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$")
UPGRADE_MILESTONE_PREFIX = "Before lens upgrade"


class LensVersionMismatch(WaToolError):
    """The tool's lens review is not a version this review's catalogue matches; `can_upgrade` when the tool's
    own lens review is behind and upgrading it there would resolve this."""

    def __init__(self, message: str, *, tool_version: str, can_upgrade: bool) -> None:
        super().__init__(message)
        self.tool_version = tool_version
        self.can_upgrade = can_upgrade


@dataclass(frozen=True)
class LensCheck:
    tool_version: str
    status: str


def _require_tool_lens(review: Review) -> list[str]:
    versions = list(review.lens_version.tool_lens_versions)
    if not versions:
        raise ValidationError(
            {
                "workload_arn": [
                    f"{review.lens_version.name} is not a lens of the Well-Architected Tool; only reviews of the "
                    "built-in Security pillar sync with it."
                ]
            }
        )
    return versions


def lens_check(client: Any, review: Review, workload: ToolWorkload) -> LensCheck:
    """Compare the tool's lens version with the review's; raise LensVersionMismatch when they differ."""
    ours = _require_tool_lens(review)
    lens_review = call(client, "get_lens_review", WorkloadId=workload.workload_id, LensAlias=LENS_ALIAS)[
        "LensReview"
    ]
    version = lens_review.get("LensVersion", "")
    status = lens_review.get("LensStatus", "")
    if version in ours:
        return LensCheck(version, status)
    if status == "NOT_CURRENT" and version < max(ours):
        raise LensVersionMismatch(
            f"The tool's workload is reviewed against the Well-Architected lens of {version}, an older "
            f"version than this review ({', '.join(ours)}). Upgrade the lens review there first (the tool saves "
            "a milestone of the old answers), then sync.",
            tool_version=version,
            can_upgrade=True,
        )
    raise LensVersionMismatch(
        f"The tool's workload uses the Well-Architected lens of {version}; this review's catalogue was "
        f"written for {', '.join(ours)}. Question and choice ids may differ, so nothing was synced: load the "
        "matching lens version here (manage.py load_lens) and upgrade this review first.",
        tool_version=version,
        can_upgrade=False,
    )


def lens_upgrade(*, review: Review, actor: User, milestone_name: str, client: Any = None) -> str:
    """Upgrade the linked tool workload's lens review to the tool's current version (UpgradeLensReview).

    The tool saves `milestone_name` as a milestone of the answers before the upgrade. Returns the new version.
    """
    workload = linked_workload(review, "")
    client = client or tool.connect(review, workload)
    name = " ".join(milestone_name.split())
    if not 3 <= len(name) <= 100:
        raise ValidationError({"milestone_name": ["Milestone names there are 3-100 characters."]})
    call(
        client,
        "upgrade_lens_review",
        WorkloadId=workload.workload_id,
        LensAlias=LENS_ALIAS,
        MilestoneName=name,
        ClientRequestToken=tool.milestone_token(workload, name),
    )
    lens_review = call(client, "get_lens_review", WorkloadId=workload.workload_id, LensAlias=LENS_ALIAS)
    version = lens_review["LensReview"].get("LensVersion", "")
    audit_record(
        actor=actor,
        action="watool.lens_upgrade",
        obj=review,
        object_repr=f"{review.workload.name} in the Well-Architected Tool",
        workload_id=review.workload_id,
        after={"workload_arn": workload.arn, "milestone_name": name, "lens_version": version},
    )
    return version


def linked_workload(review: Review, workload_arn: str) -> ToolWorkload:
    """The tool workload to sync with: `workload_arn` when given, else the review's link."""
    if workload_arn.strip():
        return parse_workload_arn(workload_arn)
    link = WaToolLink.objects.filter(review=review).first()
    if link is None:
        raise ValidationError(
            {
                "workload_arn": [
                    "Link this review to a workload in the Well-Architected Tool first (or give its ARN)."
                ]
            }
        )
    return parse_workload_arn(link.workload_arn)


def _target(review: Review, account_id: str) -> AwsTarget:
    target = AwsTarget.objects.filter(workload_id=review.workload_id, account_id=account_id).first()
    if target is None:
        raise ValidationError(
            {"account_id": [f"Account {account_id} is not connected to {review.workload.name}."]}
        )
    return target


def _region(region: str) -> str:
    if not _REGION.match(region):
        raise ValidationError({"region": ["Choose an AWS region such as eu-west-1."]})
    return region


def _store_link(review: Review, actor: User, workload: ToolWorkload, *, created: bool) -> WaToolLink:
    with transaction.atomic():
        link, _ = WaToolLink.objects.update_or_create(
            review=review,
            defaults={"workload_arn": workload.arn, "created_in_tool": created, "linked_by": actor},
        )
        audit_record(
            actor=actor,
            action="watool.create" if created else "watool.link",
            obj=review,
            object_repr=f"{review.workload.name} in the Well-Architected Tool",
            workload_id=review.workload_id,
            after={"workload_arn": workload.arn, "created_in_tool": created},
        )
    return link


def wa_link(
    *,
    review: Review,
    actor: User,
    workload_ref: str,
    account_id: str = "",
    region: str = "",
    client: Any = None,
) -> WaToolLink:
    """Link `review` to an existing tool workload, by ARN or by id (with the connected account and region).

    The workload is read first (GetWorkload, ListLensReviews), so a typo or a workload without the
    Well-Architected lens is refused here rather than at the first sync.
    """
    ref = workload_ref.strip()
    if _WORKLOAD_ID.match(ref):
        workload = ToolWorkload(
            tool.workload_arn(region=_region(region), account_id=account_id, workload_id=ref),
            region,
            account_id,
            ref,
        )
        _target(review, account_id)
    else:
        workload = parse_workload_arn(ref)
    _require_tool_lens(review)
    client = client or tool.connect(review, workload)
    call(client, "get_workload", WorkloadId=workload.workload_id)
    summaries = call(client, "list_lens_reviews", WorkloadId=workload.workload_id).get(
        "LensReviewSummaries", []
    )
    if not any(summary.get("LensAlias") == LENS_ALIAS for summary in summaries):
        raise ValidationError(
            {
                "workload_arn": [
                    "That workload does not use the AWS Well-Architected Framework lens in the tool; add the lens "
                    "there, or link another workload."
                ]
            }
        )
    return _store_link(review, actor, workload, created=False)


def create_params(review: Review, region: str) -> dict:
    """CreateWorkload's parameters from the workload's own fields (lengths as the tool allows them)."""
    workload = review.workload
    description = workload.description.strip() or f"Security review of {workload.name}"
    params: dict[str, Any] = {
        "WorkloadName": workload.name[:100].ljust(3, "_"),
        "Description": description[:250].ljust(3, "."),
        "Environment": workload.environment if workload.environment in Environment.values else "PRODUCTION",
        "AwsRegions": list(workload.aws_regions) or [region],
        "ReviewOwner": workload.review_owner[:255].ljust(3, "_"),
        "Lenses": [LENS_ALIAS],
        # The same workload created again (a retried request) is the same workload there.
        "ClientRequestToken": hashlib.sha256(f"create:{review.pk}:{region}".encode()).hexdigest(),
    }
    if workload.account_ids:
        params["AccountIds"] = list(workload.account_ids)[:100]
    if workload.architecture_url:
        params["ArchitecturalDesign"] = workload.architecture_url
    if workload.industry:
        params["Industry"] = workload.industry[:100]
    if workload.notes:
        params["Notes"] = workload.notes[:2084]
    return params


def wa_create(*, review: Review, actor: User, account_id: str, region: str, client: Any = None) -> WaToolLink:
    """Create the review's workload in the tool (CreateWorkload, Well-Architected lens) and link it."""
    _target(review, account_id)
    _require_tool_lens(review)
    region = _region(region)
    if WaToolLink.objects.filter(review=review).exists():
        raise ValidationError(
            {"workload_arn": ["This review is already linked to a workload in the tool; sync with that one."]}
        )
    placeholder = ToolWorkload("", region, account_id, "")
    client = client or tool.connect(review, placeholder)
    created = call(client, "create_workload", **create_params(review, region))
    workload = parse_workload_arn(created["WorkloadArn"])
    return _store_link(review, actor, workload, created=True)
