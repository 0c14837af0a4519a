"""The one place that decides who may see or change a workload and everything under it.

Visibility first: an object the user may not see does not exist for them (404, never a 403 that confirms it is
there). Among visible objects, each action needs a role; a visible object the user may not change is a 403.

Roles: team OWNER does everything on the team's workloads and manages the team; CONTRIBUTOR answers reviews,
edits workloads and works the plan; VIEWER reads. Organisation SECURITY_LEAD reads everything and manages plans;
ADMIN does everything.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from .models import (
    ImprovementItem,
    Membership,
    ReportJob,
    Review,
    Role,
    SavedFilter,
    Team,
    User,
    Workload,
)


class Action(StrEnum):
    VIEW = "view"
    # Answer reviews, edit workload fields, save milestones, start evidence collection.
    EDIT = "edit"
    # Change improvement items: owners, due dates, statuses, accepted risks.
    PLAN = "plan"
    # Archive the workload, connect AWS accounts or Jira, manage the team's members.
    ADMINISTER = "administer"


_TEAM_ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.CONTRIBUTOR: frozenset({Action.VIEW, Action.EDIT, Action.PLAN}),
    Role.VIEWER: frozenset({Action.VIEW}),
}
_LEAD_ACTIONS = frozenset({Action.VIEW, Action.PLAN})


def team_role(user: User, team_id: Any) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(user=user, team_id=team_id).values_list("role", flat=True).first()


def allowed_actions(user: User, team_id: Any, role: str | None = None) -> frozenset[Action]:
    """What `user` may do on a workload of `team_id`; pass `role` when the caller already has it."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    if user.is_org_admin:
        return frozenset(Action)
    actions = _TEAM_ROLE_ACTIONS.get(role or team_role(user, team_id) or "", frozenset())
    if user.org_role == User.OrgRole.SECURITY_LEAD:
        actions = actions | _LEAD_ACTIONS
    return actions


def teams_visible_to(user: User) -> QuerySet[Team]:
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.reads_everything:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user)


def teams_writable_by(user: User) -> QuerySet[Team]:
    """Teams in which the user may create workloads."""
    if not user.is_authenticated or not user.is_active:
        return Team.objects.none()
    if user.is_org_admin:
        return Team.objects.all()
    return Team.objects.filter(memberships__user=user, memberships__role__in=[Role.OWNER, Role.CONTRIBUTOR])


def workloads_visible_to(user: User) -> QuerySet[Workload]:
    if not user.is_authenticated or not user.is_active:
        return Workload.objects.none()
    if user.reads_everything:
        return Workload.objects.all()
    return Workload.objects.filter(team__memberships__user=user)


def _authorise(user: User, team_id: Any, action: Action) -> frozenset[Action]:
    actions = allowed_actions(user, team_id)
    if Action.VIEW not in actions:
        raise Http404("No such object")
    if action not in actions:
        raise PermissionDenied(f"Your role does not allow you to {action} here.")
    return actions


def get_workload_for_user(user: User, workload_id: Any, action: Action = Action.VIEW) -> Workload:
    workload = Workload.objects.select_related("team").filter(pk=workload_id).first()
    if workload is None:
        raise Http404("No such workload")
    workload.allowed_actions = _authorise(user, workload.team_id, action)
    return workload


def get_review_for_user(user: User, review_id: Any, action: Action = Action.VIEW) -> Review:
    review = (
        Review.objects.select_related("workload__team", "lens_version__lens", "lens")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise Http404("No such review")
    review.allowed_actions = review.workload.allowed_actions = _authorise(
        user, review.workload.team_id, action
    )
    return review


def get_team_for_user(user: User, team_id: Any, action: Action = Action.VIEW) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team")
    team.allowed_actions = _authorise(user, team.pk, action)
    return team


def may(user: User, obj: Workload | Review | Team, action: Action) -> bool:
    """For templates and views that already fetched `obj` through a get_*_for_user helper."""
    actions = getattr(obj, "allowed_actions", None)
    if actions is None:
        team_id = (
            obj.pk
            if isinstance(obj, Team)
            else (obj.workload.team_id if isinstance(obj, Review) else obj.team_id)
        )
        actions = allowed_actions(user, team_id)
    return action in actions


def may_manage_catalogue(user: User) -> bool:
    """Lenses are shared by every team, so importing one is an organisation administrator's job."""
    return bool(user.is_authenticated and user.is_active and user.is_org_admin)


# --- Consolidated reports, saved filters and Jira ---------------------------------------------------------------


def report_jobs_of(user: User) -> QuerySet[ReportJob]:
    """The consolidated reports `user` may list: their own. (Admins may open anyone's by id, not list them.)"""
    if not user.is_authenticated or not user.is_active:
        return ReportJob.objects.none()
    return ReportJob.objects.filter(kind=ReportJob.Kind.CONSOLIDATED, created_by=user)


def get_report_job_for_user(user: User, job_id: Any) -> ReportJob:
    """A report job without its file. A review's report follows its review (VIEW); a consolidated report
    spans many workloads and is seen only by the person who asked for it and by organisation admins."""
    job = ReportJob.objects.defer("content").filter(pk=job_id).first()
    if job is None:
        raise Http404("No such report")
    if job.review_id is not None:
        get_review_for_user(user, job.review_id)
        return job
    if not user.is_authenticated or not user.is_active:
        raise Http404("No such report")
    if job.created_by_id != user.pk and not user.is_org_admin:
        raise Http404("No such report")
    return job


def get_saved_filter_for_user(user: User, filter_id: Any) -> SavedFilter:
    """Saved dashboard filters are private: only their owner may use or delete one."""
    saved = (
        SavedFilter.objects.filter(pk=filter_id, user_id=user.pk).first() if user.is_authenticated else None
    )
    if saved is None:
        raise Http404("No such saved filter")
    return saved


def get_jira_team_for_user(user: User, team_id: Any) -> Team:
    """A team whose Jira connection `user` may set up or remove: its OWNER (or an organisation admin).
    Team members who may not manage it get 403; outsiders 404."""
    return get_team_for_user(user, team_id, Action.ADMINISTER)


def get_item_for_user(user: User, item_id: Any, action: Action = Action.VIEW) -> ImprovementItem:
    """An improvement item with its workload, team and Jira link, authorised on its workload's team."""
    item = (
        ImprovementItem.objects.select_related("workload__team", "owner", "jira_link__connection")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404("No such improvement item")
    item.allowed_actions = item.workload.allowed_actions = _authorise(user, item.workload.team_id, action)
    return item
