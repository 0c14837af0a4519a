"""A workload's sharing page: the teams it is shared with (everyone who may see the workload sees the list),
and for those who may administer it, a form to share it with another team and buttons to revoke."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods, require_POST

from ..access import Action, get_share_for_user, get_workload_for_user, may
from ..forms import add_service_errors
from ..forms.sharing import ShareForm
from ..selectors.workloads import share_rows, share_team_choices
from ..services.sharing import share_revoke, share_set
from . import AuthenticatedRequest


@require_http_methods(["GET", "POST"])
def workload_shares(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    writing = request.method == "POST"
    workload = get_workload_for_user(request.user, workload_id, Action.ADMINISTER if writing else Action.VIEW)
    can_share = may(request.user, workload, Action.ADMINISTER)
    form = ShareForm(request.POST or None, teams=share_team_choices(workload)) if can_share else None
    status = 200
    if writing and form is not None:
        if form.is_valid():
            data = form.cleaned_data
            try:
                share = share_set(
                    workload=workload,
                    team=data["team"],
                    role=data["role"],
                    expires_on=data["expires_on"],
                    actor=request.user,
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(
                    request,
                    f"{share.team.name} can use “{workload.name}” as {share.get_role_display().lower()} "
                    f"until {share.expires_on:%d %b %Y}.",
                )
                return redirect("workload_shares", workload_id=workload.pk)
        status = 400
    return render(
        request,
        "workloads/shares.html",
        {"workload": workload, "shares": share_rows(workload), "form": form, "can_share": can_share},
        status=status,
    )


@require_POST
def workload_share_revoke(request: AuthenticatedRequest, workload_id: UUID, share_id: UUID) -> HttpResponse:
    share = get_share_for_user(request.user, share_id, Action.ADMINISTER, workload_id=workload_id)
    share_revoke(share=share, actor=request.user)
    messages.success(request, f"{share.team.name} no longer has access to “{share.workload.name}”.")
    return redirect("workload_shares", workload_id=workload_id)


urlpatterns = [
    path("<uuid:workload_id>/sharing/", workload_shares, name="workload_shares"),
    path(
        "<uuid:workload_id>/sharing/<uuid:share_id>/revoke/",
        workload_share_revoke,
        name="workload_share_revoke",
    ),
]
