"""Teams: the list (and, for administrators, creating teams), a team's page, and managing its members.

Members are managed by the team's owners and organisation administrators (Action.ADMINISTER). A refused change
(the last owner leaving, a user who is already a member) re-renders the team page with the reason next to the
form or member it concerns.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_POST

from ..access import Action, get_team_for_user, may, may_administer, require_administrator, teams_visible_to
from ..forms import MemberAddForm, MemberRoleForm, TeamForm, add_service_errors
from ..lib.display import with_display
from ..models import Membership, Role, Team
from ..selectors import team_rows, with_review_summary
from ..services import membership_remove, membership_set, team_create
from . import AuthenticatedRequest

_ROLE_ORDER = Case(
    *(When(role=role, then=Value(rank)) for rank, role in enumerate(Role.values)), output_field=IntegerField()
)


def _list_response(request: AuthenticatedRequest, form: TeamForm | None, status: int = 200) -> HttpResponse:
    teams = team_rows(request.user).order_by("name")
    return render(request, "teams/list.html", {"teams": teams, "form": form}, status=status)


@require_GET
def team_list(request: AuthenticatedRequest) -> HttpResponse:
    return _list_response(request, TeamForm() if may_administer(request.user) else None)


@require_POST
def team_create_view(request: AuthenticatedRequest) -> HttpResponse:
    actor = require_administrator(request.user, "Only organisation administrators can create teams.")
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = team_create(
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                owner=form.cleaned_data["owner"],
                actor=actor,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Team “{team.name}” created. Add its members below.")
            return redirect("team_detail", team_id=team.pk)
    return _list_response(request, form, status=400)


def _detail_response(
    request: AuthenticatedRequest,
    team: Team,
    *,
    add_form: MemberAddForm | None = None,
    member_errors: dict[int, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    can_manage = may(request.user, team, Action.ADMINISTER)
    members = list(team.memberships.select_related("user").order_by(_ROLE_ORDER, "user__username"))
    owner_count = sum(1 for member in members if member.is_owner)
    for member in members:
        with_display(
            member,
            errors=(member_errors or {}).get(member.pk, []),
            is_last_owner=member.is_owner and owner_count == 1,
        )
    workloads = with_review_summary(team.workloads.all()).order_by("is_archived", "name")
    return render(
        request,
        "teams/detail.html",
        {
            "team": team,
            "members": members,
            "workloads": workloads,
            "can_manage": can_manage,
            "can_add_workload": may(request.user, team, Action.EDIT),
            "add_form": add_form or (MemberAddForm(team=team) if can_manage else None),
            "roles": Role.choices,
        },
        status=status,
    )


@require_GET
def team_detail(request: AuthenticatedRequest, team_id: UUID) -> HttpResponse:
    return _detail_response(request, get_team_for_user(request.user, team_id))


@require_POST
def member_add(request: AuthenticatedRequest, team_id: UUID) -> HttpResponse:
    team = get_team_for_user(request.user, team_id, Action.ADMINISTER)
    form = MemberAddForm(request.POST, team=team)
    if form.is_valid():
        user, role = form.cleaned_data["username"], form.cleaned_data["role"]
        try:
            membership_set(team=team, user=user, role=role, actor=request.user)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Added {user.get_username()} to {team.name} as {Role(role).label.lower()}."
            )
            return redirect("team_detail", team_id=team.pk)
    return _detail_response(request, team, add_form=form, status=400)


def _membership(team: Team, membership_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user", "team"), pk=membership_id, team=team)


@require_POST
def member_role(request: AuthenticatedRequest, team_id: UUID, membership_id: int) -> HttpResponse:
    team = get_team_for_user(request.user, team_id, Action.ADMINISTER)
    membership = _membership(team, membership_id)
    form = MemberRoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["role"]
        try:
            membership_set(team=team, user=membership.user, role=role, actor=request.user)
        except ValidationError as error:
            return _detail_response(request, team, member_errors={membership.pk: error.messages}, status=400)
        messages.success(
            request, f"{membership.user.get_username()} is now {Role(role).label.lower()} of {team.name}."
        )
        return _after_change(request, team)
    errors = [str(message) for messages_ in form.errors.values() for message in messages_]
    return _detail_response(request, team, member_errors={membership.pk: errors}, status=400)


@require_POST
def member_remove(request: AuthenticatedRequest, team_id: UUID, membership_id: int) -> HttpResponse:
    team = get_team_for_user(request.user, team_id, Action.ADMINISTER)
    membership = _membership(team, membership_id)
    username = membership.user.get_username()
    try:
        membership_remove(membership=membership, actor=request.user)
    except ValidationError as error:
        return _detail_response(request, team, member_errors={membership.pk: error.messages}, status=400)
    messages.success(request, f"Removed {username} from {team.name}.")
    return _after_change(request, team)


def _after_change(request: AuthenticatedRequest, team: Team) -> HttpResponse:
    """Back to the team, unless the user just removed or demoted themselves out of seeing it."""
    if teams_visible_to(request.user).filter(pk=team.pk).exists():
        return redirect("team_detail", team_id=team.pk)
    return redirect("team_list")


urlpatterns = [
    path("", team_list, name="team_list"),
    path("new/", team_create_view, name="team_create"),
    path("<uuid:team_id>/", team_detail, name="team_detail"),
    path("<uuid:team_id>/members/", member_add, name="team_member_add"),
    path("<uuid:team_id>/members/<int:membership_id>/role/", member_role, name="team_member_role"),
    path("<uuid:team_id>/members/<int:membership_id>/remove/", member_remove, name="team_member_remove"),
]
