"""Jira in the browser: the team owner's connection page, and the Jira actions of the improvement plan.

The connection is the team OWNER's (access.get_jira_team_for_user); creating issues, linking, syncing and
keeping an item open need PLAN on the workload; confirming Jira's "done" needs EDIT, since it answers the
review. Every action answers with a redirect to the plan, where each item shows its issue, state or error.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST

from ..access import Action, get_item_for_user, get_jira_team_for_user, get_workload_for_user
from ..forms.jira import JiraConnectionForm, JiraLevelForm, JiraLinkForm
from ..jira.client import JiraError
from ..jira.models import JiraConnection, JiraLink
from ..jira.services import (
    jira_connection_remove,
    jira_connection_save,
    jira_connection_test,
    jira_done_confirm,
    jira_done_dismiss,
    jira_issue_link,
    jira_issues_request,
    jira_sync_request,
)
from ..lib.queue import QueueUnavailable
from ..models import WORK_LEFT, ImprovementItem
from ..selectors import plan_rows
from . import AuthenticatedRequest


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


@require_http_methods(["GET", "POST"])
def team_jira(request: AuthenticatedRequest, team_id: UUID) -> HttpResponse:
    team = get_jira_team_for_user(request.user, team_id)
    connection = JiraConnection.objects.filter(team=team).first()
    form = JiraConnectionForm(request.POST or None, connection=connection)
    if request.method == "POST" and form.is_valid():
        try:
            jira_connection_save(team=team, actor=request.user, **form.service_fields())
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            messages.success(request, f"Jira connection of {team.name} saved.")
            return redirect("team_jira", team_id=team.pk)
    context = {
        "team": team,
        "connection": connection,
        "form": form,
        "links": connection.links.count() if connection else 0,
    }
    return render(request, "teams/jira.html", context, status=400 if form.errors else 200)


@require_POST
def team_jira_test(request: AuthenticatedRequest, team_id: UUID) -> HttpResponse:
    team = get_jira_team_for_user(request.user, team_id)
    connection = JiraConnection.objects.filter(team=team).first()
    if connection is None:
        messages.error(request, "Save the connection first.")
    else:
        try:
            messages.success(request, jira_connection_test(connection))
        except JiraError as error:
            messages.error(request, f"The connection does not work: {error.message}")
    return redirect("team_jira", team_id=team.pk)


@require_POST
def team_jira_remove(request: AuthenticatedRequest, team_id: UUID) -> HttpResponse:
    team = get_jira_team_for_user(request.user, team_id)
    connection = JiraConnection.objects.filter(team=team).first()
    if connection is not None:
        links = jira_connection_remove(connection=connection, actor=request.user)
        messages.success(
            request,
            f"Jira connection removed with its token and {links} item link{'s' if links != 1 else ''}.",
        )
    return redirect("team_jira", team_id=team.pk)


def _back(item: ImprovementItem) -> HttpResponse:
    url = reverse("workload_plan", kwargs={"workload_id": item.workload_id})
    return redirect(f"{url}#item-{item.pk}")


def _item(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID, action: Action) -> ImprovementItem:
    return get_item_for_user(request.user, item_id, action, workload_id=workload_id)


def _run(request: AuthenticatedRequest, call, success: str) -> None:  # noqa: ANN001
    try:
        result = call()
    except ValidationError as error:
        messages.error(request, _errors(error))
    except QueueUnavailable as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success.format(result=result))


@require_POST
def item_jira_create(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    item = _item(request, workload_id, item_id, Action.PLAN)
    _run(
        request,
        lambda: jira_issues_request(items=[item], actor=request.user),
        f"A Jira issue for {item.bp_code} was asked for; its row shows the key once it exists.",
    )
    return _back(item)


@require_POST
def item_jira_link(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    item = _item(request, workload_id, item_id, Action.PLAN)
    form = JiraLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Enter the key of the Jira issue to link, such as SEC-123.")
        return _back(item)
    _run(
        request,
        lambda: jira_issue_link(item=item, actor=request.user, issue_key=form.cleaned_data["issue_key"]),
        f"{item.bp_code} is now linked to {{result.issue_key}}.",
    )
    return _back(item)


@require_POST
def item_jira_sync(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    item = _item(request, workload_id, item_id, Action.PLAN)
    links = JiraLink.objects.filter(item=item)
    _run(
        request,
        lambda: jira_sync_request(links=links, actor=request.user, workload_id=item.workload_id),
        f"{item.bp_code} was synced with Jira.",
    )
    return _back(item)


@require_POST
def item_jira_confirm(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    item = _item(request, workload_id, item_id, Action.EDIT)
    link = JiraLink.objects.select_related("item__workload").filter(item=item).first()
    if link is None:
        messages.error(request, f"{item.bp_code} has no Jira issue.")
        return _back(item)
    _run(
        request,
        lambda: jira_done_confirm(link=link, actor=request.user),
        f"{item.bp_code} is done: the practice is now selected in the review.",
    )
    return _back(item)


@require_POST
def item_jira_dismiss(request: AuthenticatedRequest, workload_id: UUID, item_id: UUID) -> HttpResponse:
    item = _item(request, workload_id, item_id, Action.PLAN)
    link = JiraLink.objects.select_related("item__workload").filter(item=item).first()
    if link is None:
        messages.error(request, f"{item.bp_code} has no Jira issue.")
        return _back(item)
    _run(request, lambda: jira_done_dismiss(link=link, actor=request.user), f"{item.bp_code} stays open.")
    return _back(item)


@require_POST
def workload_jira_create(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    """A Jira issue for every item of one level on the plan that has work left and no issue yet."""
    workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
    form = JiraLevelForm(request.POST)
    url = reverse("workload_plan", kwargs={"workload_id": workload.pk})
    if not form.is_valid():
        messages.error(request, "Choose the level (high, medium or low) of the items to send to Jira.")
        return redirect(url)
    level = form.cleaned_data["level"]
    rows = plan_rows(ImprovementItem.objects.filter(workload=workload, is_active=True, status__in=WORK_LEFT))
    items = [row.item for row in rows if row.level == level]
    if not items:
        messages.error(request, f"No {level.lower()}-level item on this plan has work left.")
        return redirect(url)
    try:
        links, skipped = jira_issues_request(items=items, actor=request.user)
    except ValidationError as error:
        messages.error(request, _errors(error))
    except QueueUnavailable as error:
        messages.error(request, error.message)
    else:
        note = f"; {skipped} already had one" if skipped else ""
        messages.success(request, f"Jira issues asked for {len(links)} {level.lower()}-level items{note}.")
    return redirect(url)


@require_POST
def workload_jira_sync(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
    links = list(JiraLink.objects.filter(item__workload=workload))
    _run(
        request,
        lambda: jira_sync_request(links=links, actor=request.user, workload_id=workload.pk),
        "{result} Jira link(s) synced.",
    )
    return redirect("workload_plan", workload_id=workload.pk)


_ITEM = "workloads/<uuid:workload_id>/plan/items/<uuid:item_id>/jira"
urlpatterns = [
    path("teams/<uuid:team_id>/jira/", team_jira, name="team_jira"),
    path("teams/<uuid:team_id>/jira/test/", team_jira_test, name="team_jira_test"),
    path("teams/<uuid:team_id>/jira/remove/", team_jira_remove, name="team_jira_remove"),
    path(f"{_ITEM}/create/", item_jira_create, name="item_jira_create"),
    path(f"{_ITEM}/link/", item_jira_link, name="item_jira_link"),
    path(f"{_ITEM}/sync/", item_jira_sync, name="item_jira_sync"),
    path(f"{_ITEM}/confirm/", item_jira_confirm, name="item_jira_confirm"),
    path(f"{_ITEM}/dismiss/", item_jira_dismiss, name="item_jira_dismiss"),
    path("workloads/<uuid:workload_id>/plan/jira/create/", workload_jira_create, name="workload_jira_create"),
    path("workloads/<uuid:workload_id>/plan/jira/sync/", workload_jira_sync, name="workload_jira_sync"),
]
