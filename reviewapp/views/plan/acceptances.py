"""Risk acceptance pages: request (PLAN), decide (a security lead or, for the levels allowed, a team owner; never
the requester), revoke (PLAN). reviewapp.access decides who may; services in reviewapp/acceptance write."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from ...acceptance.services import acceptance_decide, acceptance_request, acceptance_revoke, item_level
from ...access import Action, acceptance_deciders_refusal, get_acceptance_for_user, get_workload_for_user
from ...forms import AcceptRiskForm, DecisionForm, RevokeForm, add_service_errors
from .. import AuthenticatedRequest
from .items import plan_item, plan_row, plan_url


@require_http_methods(["GET", "POST"])
def accept_risk(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    """Request the acceptance of an item's risk; it takes effect once someone else approves it."""
    workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
    item = plan_item(workload, item_id)
    level = item_level(item)
    form = AcceptRiskForm(request.POST or None, today=timezone.localdate(), level=level)
    if request.method == "POST" and form.is_valid():
        try:
            acceptance_request(item=item, actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Acceptance of {item.bp_code} requested: it applies once approved.")
            return redirect("plan_item_edit", workload.pk, item.pk)
    return render(
        request,
        "plan/accept_risk.html",
        {"workload": workload, "item": item, "row": plan_row(item), "form": form, "level": level},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def acceptance_decision(
    request: AuthenticatedRequest, workload_id: UUID, item_id: UUID, acceptance_id: UUID
) -> HttpResponse:
    acceptance = get_acceptance_for_user(request.user, acceptance_id, item_id=item_id)
    item = acceptance.item
    if item.workload_id != workload_id:
        raise Http404("No such risk acceptance")
    refusal = acceptance_deciders_refusal(request.user, acceptance)
    if refusal:
        raise PermissionDenied(refusal)
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            acceptance_decide(
                acceptance=acceptance,
                actor=request.user,
                approve=approve,
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            verdict = "approved" if approve else "rejected"
            messages.success(request, f"Acceptance of {item.bp_code} {verdict}.")
            return redirect(plan_url(item.workload, item))
    return render(
        request,
        "plan/acceptance_decide.html",
        {
            "workload": item.workload,
            "item": item,
            "row": plan_row(item),
            "acceptance": acceptance,
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@require_POST
def acceptance_end(
    request: AuthenticatedRequest, workload_id: UUID, item_id: UUID, acceptance_id: UUID
) -> HttpResponse:
    """Revoke an approved acceptance or withdraw a pending request; the item reopens."""
    acceptance = get_acceptance_for_user(request.user, acceptance_id, Action.PLAN, item_id=item_id)
    item = acceptance.item
    form = RevokeForm(request.POST)
    if form.is_valid():
        try:
            acceptance_revoke(acceptance=acceptance, actor=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Acceptance of {item.bp_code} ended.")
            return redirect("plan_item_edit", item.workload_id, item.pk)
    for problem in form.errors.get("reason", []) + form.non_field_errors():
        messages.error(request, str(problem))
    return redirect("plan_item_edit", item.workload_id, item.pk)
