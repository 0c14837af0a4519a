"""Access table for the improvement plan, milestones and lens upgrade pages (reviewapp/views/plan/)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import Route, World


def prepare(world: World) -> None:
    from reviewapp.models import ImprovementItem
    from reviewapp.services import milestone_create

    world.extra["item"] = ImprovementItem.objects.create(
        workload=world.workload, lens=world.review.lens, bp_code="SEC01-BP02"
    )
    world.extra["milestone"] = milestone_create(
        review=world.review, actor=world.owner, name="Access baseline"
    )


def _workload(world: World) -> dict:
    return {"workload_id": world.workload.pk}


def _item(world: World) -> dict:
    return {"workload_id": world.workload.pk, "item_id": world.item.pk}


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
        },
    ),
    "plan_item_accept": Route(
        scope="object",
        needs="plan",
        kwargs=_item,
        write="post",
        viewer_reads=False,
        data=lambda world: {
            "acceptance_justification": "Compensating control in place.",
            "acceptance_expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
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
