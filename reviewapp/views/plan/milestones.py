"""Milestones of a workload: the list with its risk trend, saving one, reading one, comparing two (or one and
now). Reading needs VIEW; saving needs EDIT, like answering the review."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_POST

from questionnaire.rating import Risk

from ...access import Action, get_workload_for_user, may
from ...forms import MilestoneForm, add_service_errors
from ...lib.charts import risk_trend_svg
from ...models import Answer, ItemStatus, Milestone, NotApplicableReason, Review, Workload
from ...risk import RiskCounts
from ...selectors import milestone_trend
from ...services import compare_snapshots, milestone_create, milestone_verify, review_snapshot
from ...services.milestones import MAX_MILESTONES_PER_WORKLOAD
from .. import AuthenticatedRequest

NOW = "now"


def _reviews(workload: Workload) -> list[Review]:
    return list(Review.objects.filter(workload=workload).select_related("lens", "lens_version", "workload"))


def _list_context(
    request: AuthenticatedRequest, workload: Workload, form: MilestoneForm | None = None
) -> dict[str, Any]:
    reviews = _reviews(workload)
    trend = milestone_trend(workload)
    points = [(point.name, point.high, point.medium) for point in trend]
    if reviews:
        risks = Answer.objects.filter(review__workload=workload).values_list("risk", flat=True)
        now = RiskCounts.of(Risk(risk) for risk in risks)
        points.append(("Now", now.high, now.medium))
    return {
        "workload": workload,
        "milestones": list(reversed(trend)),
        "reviews": reviews,
        "form": form
        or MilestoneForm(reviews=reviews, initial={"name": f"Review {timezone.localdate():%d %B %Y}"}),
        "can_edit": may(request.user, workload, Action.EDIT) and bool(reviews),
        "at_limit": len(trend) >= MAX_MILESTONES_PER_WORKLOAD,
        "limit": MAX_MILESTONES_PER_WORKLOAD,
        # Built from escaped parts in lib/charts.py.
        "chart": mark_safe(risk_trend_svg(points)) if len(points) > 1 else "",  # noqa: S308  # nosec B308 B703
        "points": points,
    }


@require_GET
def milestone_list(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    return render(request, "plan/milestones.html", _list_context(request, workload))


@require_POST
def milestone_new(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
    form = MilestoneForm(request.POST, reviews=_reviews(workload))
    if form.is_valid():
        try:
            milestone = milestone_create(
                review=form.cleaned_data["review"], actor=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Milestone “{milestone.name}” saved.")
            return redirect("milestone_detail", workload_id=workload.pk, milestone_id=milestone.pk)
    return render(request, "plan/milestones.html", _list_context(request, workload, form), status=400)


@require_GET
def milestone_detail(request: AuthenticatedRequest, workload_id: UUID, milestone_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    milestone = get_object_or_404(
        Milestone.objects.select_related("created_by", "lens_version"), pk=milestone_id, workload=workload
    )
    snapshot = milestone.snapshot
    titles = {bp["code"]: bp["title"] for q in snapshot["questions"] for bp in q["best_practices"]}
    questions = [
        {
            **question,
            "selected_titles": [(code, titles.get(code, code)) for code in question["selected"]],
            "na_titles": [
                (code, titles.get(code, code), why) for code, why in question["not_applicable"].items()
            ],
            "reason_label": _label(NotApplicableReason, question["reason"]),
        }
        for question in snapshot["questions"]
    ]
    items = [
        {
            **item,
            "title": titles.get(item["bp_code"], item["bp_code"]),
            "status_label": _label(ItemStatus, item["status"]),
        }
        for item in snapshot["items"]
    ]
    return render(
        request,
        "plan/milestone_detail.html",
        {
            "workload": workload,
            "milestone": milestone,
            "snapshot": snapshot,
            "counts": RiskCounts(**snapshot["counts"]),
            "questions": questions,
            "open_items": [item for item in items if item["is_active"] and item["status"] != "DONE"],
            "verified": milestone_verify(milestone),
        },
    )


def _label(choices: type[ItemStatus] | type[NotApplicableReason], value: str) -> str:
    """The display name of a stored value; a value no longer in the choices shows as stored."""
    return str(dict(choices.choices).get(value, value))


def _side(workload: Workload, value: str, other: Milestone | None) -> tuple[dict[str, Any], Milestone | None]:
    """A snapshot for one side of a comparison: a stored milestone, or the review as it is now."""
    if value == NOW:
        review_id = other.review_id if other else None
        review = (
            Review.objects.select_related("workload", "lens", "lens_version")
            .filter(workload=workload, **({"pk": review_id} if review_id else {}))
            .order_by("created_at")
            .first()
        )
        if review is None:
            raise Http404("This workload has no review to compare with")
        return review_snapshot(review, name="Now"), None
    try:
        milestone = Milestone.objects.filter(workload=workload, pk=UUID(value)).first()
    except ValueError:
        milestone = None
    if milestone is None:
        raise Http404("No such milestone")
    return milestone.snapshot, milestone


@require_GET
def milestone_compare(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    """Compare ?a= (older) with ?b= (newer), each a milestone id or "now"; by default the latest milestone
    with now."""
    workload = get_workload_for_user(request.user, workload_id)
    choices = list(
        Milestone.objects.filter(workload=workload).order_by("-created_at").values("pk", "name", "created_at")
    )
    a = request.GET.get("a") or (str(choices[0]["pk"]) if choices else "")
    b = request.GET.get("b") or NOW
    context: dict[str, Any] = {"workload": workload, "choices": choices, "a": a, "b": b}
    if not a:
        context["problem"] = "Save a milestone first: then you can compare it with the review as it is now."
        return render(request, "plan/milestone_compare.html", context)
    if a == b:
        context["problem"] = "Choose two different points to compare."
        return render(request, "plan/milestone_compare.html", context, status=400)
    # Resolve the milestone side first, so "now" uses the same review as the milestone it is compared with.
    if a == NOW:
        after, after_milestone = _side(workload, b, None)
        before, _ = _side(workload, a, after_milestone)
    else:
        before, before_milestone = _side(workload, a, None)
        after, _ = _side(workload, b, before_milestone)
    context["comparison"] = compare_snapshots(before, after)
    return render(request, "plan/milestone_compare.html", context)
