"""The improvement plan page: filters, inline edits (htmx, with a plain-form fallback), bulk actions, risk
acceptance. Reading needs VIEW; every change needs PLAN (team owners and contributors, security leads)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ...access import Action, acceptance_deciders_refusal, get_workload_for_user, may
from ...forms import BulkForm, ItemForm, PlanFilterForm, add_service_errors
from ...models import AcceptanceState, ImprovementItem, ItemStatus, JiraConnection, Review, User, Workload
from ...selectors import (
    acceptance_history,
    improvement_plan,
    lens_upgrade_available,
    plan_items,
    plan_rows,
    plan_status_counts,
)
from ...services import item_update, items_bulk_update
from ...services.plan import ItemConflict
from .. import AuthenticatedRequest


def is_htmx(request: AuthenticatedRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def team_members(workload: Workload) -> list[User]:
    """Who may own the workload's items: its team's active members, by name."""
    return list(
        User.objects.filter(memberships__team_id=workload.team_id, is_active=True).order_by(
            "first_name", "last_name", "username"
        )
    )


def plan_url(workload: Workload, item: ImprovementItem | None = None) -> str:
    url = reverse("workload_plan", kwargs={"workload_id": workload.pk})
    return f"{url}#item-{item.pk}" if item else url


def _plan_context(request: AuthenticatedRequest, workload: Workload, **extra: Any) -> dict[str, Any]:
    members = team_members(workload)
    filter_form = PlanFilterForm(request.GET or None, members=members)
    filters = filter_form.filters()
    rows = improvement_plan(workload, filters)
    reviews = list(Review.objects.filter(workload=workload).select_related("lens", "lens_version"))
    return {
        "workload": workload,
        "rows": rows,
        "counts": plan_status_counts(plan_items(ImprovementItem.objects.filter(workload=workload), filters)),
        "filter_form": filter_form,
        "filtered": bool(
            filter_form.is_bound and any(filter_form.data.get(key) for key in filter_form.fields)
        ),
        "bulk_form": extra.pop("bulk_form", None) or BulkForm(members=members),
        "can_plan": may(request.user, workload, Action.PLAN),
        "can_edit": may(request.user, workload, Action.EDIT),
        "jira_connected": JiraConnection.objects.filter(team_id=workload.team_id).exists(),
        "reviews": reviews,
        "upgrades": [(review, lens_upgrade_available(review)) for review in reviews],
        "today": timezone.localdate(),
        **extra,
    }


@require_GET
def plan_page(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    return render(request, "plan/plan.html", _plan_context(request, workload))


def plan_item(workload: Workload, item_id: UUID) -> ImprovementItem:
    return get_object_or_404(
        ImprovementItem.objects.select_related("owner", "accepted_by"), pk=item_id, workload=workload
    )


def acceptance_context(request: AuthenticatedRequest, item: ImprovementItem) -> dict[str, Any]:
    """The item's acceptance history, and which of its pending requests this person may decide."""
    history = acceptance_history(item)
    return {
        "acceptances": history,
        "decidable": {
            acceptance.pk
            for acceptance in history
            if acceptance.state == AcceptanceState.PENDING
            and acceptance_deciders_refusal(request.user, acceptance) is None
        },
    }


def plan_row(item: ImprovementItem):
    return plan_rows(ImprovementItem.objects.filter(pk=item.pk))[0]


def _base_version(request: AuthenticatedRequest, form: ItemForm) -> int:
    """The version this save builds on: the form's, or the newer one the person chose to overwrite when a
    conflict screen offered "Keep mine"."""
    chosen = request.POST.get("keep_mine", "")
    return int(chosen) if chosen.isdigit() else form.cleaned_data["version"]


@require_http_methods(["GET", "POST"])
def item_edit(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    """Edit one item: an htmx request swaps the table row; a plain request gets a page of its own."""
    workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
    item = plan_item(workload, item_id)
    members = team_members(workload)
    theirs: ImprovementItem | None = None
    if request.method == "GET":
        form = ItemForm(initial=ItemForm.initial_for(item), item=item, members=members)
    else:
        form = ItemForm(request.POST, item=item, members=members)
        if form.is_valid():
            try:
                item = item_update(
                    item=item,
                    actor=request.user,
                    base_version=_base_version(request, form),
                    **form.service_fields(),
                )
            except ItemConflict as conflict:
                theirs = conflict.current
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                if is_htmx(request):
                    return render(
                        request,
                        "plan/_item_row.html",
                        {"row": plan_row(item), "workload": workload, "can_plan": True},
                    )
                messages.success(request, f"{item.bp_code} updated.")
                return redirect(plan_url(workload, item))
    context = {
        "workload": workload,
        "item": item,
        "row": plan_row(item),
        "form": form,
        "theirs": theirs,
        **acceptance_context(request, item),
    }
    if theirs is not None:
        context["mine"] = form.cleaned_data | {"status": ItemStatus(form.cleaned_data["status"]).label}
    if is_htmx(request):
        # htmx swaps only 2xx answers, so a refused inline edit comes back as 200 with its errors.
        return render(request, "plan/_item_form_row.html", context)
    status = 409 if theirs is not None else 400 if form.errors else 200
    return render(request, "plan/item_edit.html", context, status=status)


@require_POST
def bulk_update(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    """Assign an owner and/or a due date to the ticked items of this workload's plan, all or none."""
    workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
    form = BulkForm(request.POST, members=team_members(workload))
    wanted = request.POST.getlist("items")
    items: list[ImprovementItem] = []
    if form.is_valid():
        try:
            ids = {UUID(value) for value in wanted}
        except ValueError:
            ids = set()
            form.add_error(None, "The selection was not understood; tick the items again.")
        items = list(ImprovementItem.objects.filter(workload=workload, pk__in=ids))
        if len(items) != len(ids):
            form.add_error(
                None, "Some of the ticked items are not on this plan; reload the page and try again."
            )
    if form.is_valid():
        try:
            changed = items_bulk_update(items=items, actor=request.user, **form.changes())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"{changed} of {len(items)} selected item{'s' if len(items) != 1 else ''} changed."
            )
            return redirect(plan_url(workload))
    return render(
        request,
        "plan/plan.html",
        _plan_context(request, workload, bulk_form=form, ticked=set(wanted)),
        status=400,
    )
