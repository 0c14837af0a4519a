"""Access table for the improvement plan, milestones and lens upgrade pages (reviewapp/views/plan/)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import Route, World


def prepare(world: World) -> None:
    from reviewapp.models import ImprovementItem, RiskAcceptance, User
    from reviewapp.services import milestone_create

    world.extra["item"] = ImprovementItem.objects.create(
        workload=world.workload, lens=world.review.lens, bp_code="SEC01-BP02"
    )
    # A low-risk request by someone who is none of the personas, so each may decide it as their role allows.
    world.extra["accepting_item"] = ImprovementItem.objects.create(
        workload=world.workload, lens=world.review.lens, bp_code="SEC03-BP07"
    )
    world.extra["acceptance"] = RiskAcceptance.objects.create(
        item=world.accepting_item,
        level="LOW",
        justification="Compensating control in place until the rebuild next quarter.",
        expires_on=timezone.localdate() + timedelta(days=30),
        requested_by=User.objects.create_user(username="rita_requester"),
    )
    world.extra["milestone"] = milestone_create(
        review=world.review, actor=world.owner, name="Access baseline"
    )


def _workload(world: World) -> dict:
    return {"workload_id": world.workload.pk}


def _version(world: World) -> int:
    """The item's version now: each persona's edit starts from what is stored, as a freshly loaded form does."""
    from reviewapp.models import ImprovementItem

    return ImprovementItem.objects.values_list("version", flat=True).get(pk=world.item.pk)


def _item(world: World) -> dict:
    return {"workload_id": world.workload.pk, "item_id": world.item.pk}


def _acceptance(world: World) -> dict:
    return {
        "workload_id": world.workload.pk,
        "item_id": world.accepting_item.pk,
        "acceptance_id": world.acceptance.pk,
    }


ROUTES = {
    "workload_plan": Route(scope="object", kwargs=_workload),
    "plan_bulk": Route(
        scope="object",
        needs="plan",
        kwargs=_workload,
        read=False,
        write="post",
        data=lambda world: {"items": [str(world.item.pk)], "owner": str(world.owner.pk)},
    ),
    "plan_item_edit": Route(
        scope="object",
        needs="plan",
        kwargs=_item,
        write="post",
        viewer_reads=False,
        data=lambda world: {
            "status": "IN_PROGRESS",
            "owner": "",
            "due_date": "",
            "ticket_url": "",
            "notes": "x",
            "version": _version(world),
        },
    ),
    "plan_item_accept": Route(
        scope="object",
        needs="plan",
        kwargs=_item,
        write="post",
        viewer_reads=False,
        data=lambda world: {
            "justification": "Compensating control in place until the rebuild next quarter.",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
    ),
    # Deciding is a security lead's or (for this low risk) a team owner's: personas.py's "decide".
    "acceptance_decide": Route(
        scope="object",
        needs="decide",
        kwargs=_acceptance,
        write="post",
        viewer_reads=False,
        data=lambda world: {"decision": "approve", "comment": "Agreed for a month."},
    ),
    "acceptance_revoke": Route(
        scope="object",
        needs="plan",
        kwargs=_acceptance,
        read=False,
        write="post",
        data=lambda world: {"reason": "The request is no longer needed."},
    ),
    "workload_plan_export": Route(scope="object", kwargs=lambda world: {**_workload(world), "fmt": "csv"}),
    "milestone_list": Route(scope="object", kwargs=_workload),
    "milestone_create": Route(
        scope="object",
        kwargs=_workload,
        read=False,
        write="post",
        data=lambda world: {"name": "Access check"},
    ),
    "milestone_detail": Route(
        scope="object", kwargs=lambda world: {**_workload(world), "milestone_id": world.milestone.pk}
    ),
    "milestone_compare": Route(scope="object", kwargs=_workload),
    # With no newer lens version loaded, the owner's upgrade is refused with a message and a redirect (302).
    "review_upgrade": Route(
        scope="object", kwargs=lambda world: {"review_id": world.review.pk}, write="post"
    ),
}
