"""The one place that decides who may see or do what. Views, API views, services and selectors ask here;
nothing else compares a role (tests/test_access_rules.py fails the build if something does).

Visibility first: an object the user may not see does not exist for them (404, never a 403 that confirms it is
there). Among visible objects, each action needs a role; a visible object the user may not change is a 403.

Roles: team OWNER does everything on the team's workloads and manages the team; CONTRIBUTOR answers reviews,
edits workloads and works the plan; VIEWER reads. Organisation SECURITY_LEAD reads everything and manages plans;
ADMIN does everything.

The rule for a workload is `workload_actions` (one object) with its list form `workloads_visible_to` (and
`user_sees_workload`, the same rule as a filter over many users). A workload shared with another team
(sharing/models.py) gives that team's members the share's role, capped by their own role in their team, until
the share's expiry day is over; the three functions apply that side by side, and nothing else reads shares.
Every object under a workload (review, improvement item, milestone, evidence run, evidence file, AWS account,
report) is decided by its workload's rule, through `get_<thing>_for_user`, which fetches AND authorises in one
call, with the select_related its callers need, and leaves the decision on the instance it returns (`grant`,
see models.Grant) for `may()`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, TypeAlias, TypeVar

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from checks.models import AwsTarget, EvidenceImport, EvidenceRun

from .models import (
    Action,
    ApiToken,
    AuditEvent,
    EvidenceFile,
    Grant,
    ImprovementItem,
    Membership,
    Milestone,
    ReportJob,
    Review,
    ReviewTemplate,
    RiskAcceptance,
    Role,
    SavedFilter,
    Team,
    User,
    Workload,
    WorkloadShare,
)

__all__ = [
    "Action",
    "AuditScope",
    "Grant",
    "Viewer",
    "acceptance_deciders_refusal",
    "acceptances_awaiting",
    "audit_events_visible_to",
    "audit_scope",
    "audit_workloads",
    "get_acceptance_for_user",
    "get_audit_scope_for_user",
    "get_evidence_file_for_user",
    "get_evidence_import_for_user",
    "get_item_for_user",
    "get_jira_team_for_user",
    "get_milestone_for_user",
    "get_report_job_for_user",
    "get_review_for_report_request",
    "get_review_for_user",
    "get_run_for_user",
    "get_saved_filter_for_user",
    "get_share_for_user",
    "get_target_for_user",
    "get_team_for_user",
    "get_template_for_user",
    "get_token_for_user",
    "get_workload_for_user",
    "may",
    "may_administer",
    "may_manage_catalogue",
    "may_see_audit",
    "report_jobs_of",
    "require_administrator",
    "require_whole_audit_trail",
    "team_actions",
    "teams_visible_to",
    "team_owners",
    "teams_writable_by",
    "token_lifetime_refusal",
    "token_teams_refusal",
    "template_actions",
    "template_teams_for",
    "templates_visible_to",
    "user_sees_workload",
    "workload_actions",
    "workloads_visible_to",
]

# Who is asking: request.user is a User or, before sign-in, an AnonymousUser (who may do nothing).
Viewer: TypeAlias = User | AnonymousUser

_TEAM_ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.CONTRIBUTOR: frozenset({Action.VIEW, Action.EDIT, Action.PLAN}),
    Role.VIEWER: frozenset({Action.VIEW}),
}
# Roles whose members may create workloads in the team.
_CREATING_ROLES = (Role.OWNER, Role.CONTRIBUTOR)
_LEAD_ACTIONS = frozenset({Action.VIEW, Action.PLAN})
_READS_EVERYTHING = (User.OrgRole.SECURITY_LEAD, User.OrgRole.ADMIN)


def _active(user: Viewer) -> User | None:
    """The user when signed in and active; None for anyone who may do nothing at all."""
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def _token_teams(person: User) -> frozenset[Any] | None:
    """The teams an API token limited to teams reaches (set by api/authentication.py); None: no limit."""
    return person.token_team_ids or None


def _within_token_teams(person: User, teams: QuerySet[Any], team_field: str) -> QuerySet[Any]:
    limit = _token_teams(person)
    return teams if limit is None else teams.filter(**{f"{team_field}__in": limit})


# --- The rules ----------------------------------------------------------------------------------------------


def _team_role(user: Viewer, team_id: Any) -> str | None:
    person = _active(user)
    if person is None:
        return None
    return Membership.objects.filter(user=person, team_id=team_id).values_list("role", flat=True).first()


# A caller that has not fetched the user's role in the team (most of them): the rule looks it up.
_UNFETCHED = object()


def _team_role_actions(user: Viewer, team_id: Any, role: Any = _UNFETCHED) -> frozenset[Action]:
    """What `user` may do with the workloads of `team_id` through their team and organisation roles; `role` is
    their role in that team when the caller fetched it along with the object (None: not a member)."""
    person = _active(user)
    if person is None:
        return frozenset()
    limit = _token_teams(person)
    if limit is not None and team_id not in limit:
        return frozenset()
    if person.is_org_admin:
        return frozenset(Action)
    if role is _UNFETCHED:
        role = _team_role(person, team_id)
    actions = _TEAM_ROLE_ACTIONS.get(role or "", frozenset())
    if person.reads_everything:
        actions = actions | _LEAD_ACTIONS
    return actions


def _active_shares() -> Q:
    """Shares that still grant their role: the expiry day itself included, nothing after it (no job needed)."""
    return Q(expires_on__gte=timezone.localdate())


def _share_actions(share_role: str, member_role: str) -> frozenset[Action]:
    """A share grants its role to the members of the team it names, never more than each member's own role in
    that team: a VIEWER of the receiving team stays a viewer under a CONTRIBUTOR share. OWNER is never shared,
    so a share never lets anyone archive, connect accounts or share the workload further."""
    return _TEAM_ROLE_ACTIONS.get(share_role, frozenset()) & _TEAM_ROLE_ACTIONS.get(member_role, frozenset())


def workload_actions(user: Viewer, workload: Workload, *, team_role: Any = _UNFETCHED) -> frozenset[Action]:
    """THE rule for one workload and everything under it: the user's role in the workload's team, their
    organisation role, and the active shares of the workload with other teams they belong to. One query.
    `team_role`: the user's role in the workload's team, when fetched in the same query (see _member_role); an
    OWNER's actions are then decided with no query at all, since no share grants more than an owner has."""
    person = _active(user)
    if person is None:
        return frozenset()
    if person.is_org_admin or team_role == Role.OWNER:
        return _team_role_actions(person, workload.team_id, team_role)
    limit = _token_teams(person)
    if limit is not None and workload.team_id not in limit:
        return frozenset()
    # The user's memberships that matter here: in the owning team, or in a team with an active share.
    share = FilteredRelation(
        "team__workload_shares",
        condition=Q(team__workload_shares__workload_id=workload.pk)
        & Q(team__workload_shares__expires_on__gte=timezone.localdate()),
    )
    rows = (
        Membership.objects.annotate(share=share)
        .filter(Q(team_id=workload.team_id) | Q(share__isnull=False), user=person)
        .values_list("team_id", "role", "share__role")
    )
    actions: frozenset[Action] = frozenset()
    for team_id, member_role, share_role in rows:
        if team_id == workload.team_id:
            actions |= _TEAM_ROLE_ACTIONS.get(member_role, frozenset())
        elif share_role:
            actions |= _share_actions(share_role, member_role)
    if person.reads_everything:
        actions |= _LEAD_ACTIONS
    return actions


def _member_role(user: Viewer, team_path: str) -> Subquery:
    """The user's role in the team at `team_path` as an annotation, so the object and the decision about it
    come in one query; NULL when they are not a member."""
    person = _active(user)
    # No one signed in is a member of nothing (and _team_role_actions gives them nothing anyway).
    memberships = (
        Membership.objects.filter(user=person, team_id=OuterRef(team_path))
        if person is not None
        else Membership.objects.none()
    )
    # order_by(): a membership's default ordering would join the team and user for nothing.
    return Subquery(memberships.order_by().values("role")[:1])


def team_actions(user: Viewer, team: Team) -> frozenset[Action]:
    """On the team itself: VIEW its page, EDIT = add workloads to it, ADMINISTER = manage its members."""
    return _team_role_actions(user, team.pk)


def teams_visible_to(user: Viewer) -> QuerySet[Team]:
    person = _active(user)
    if person is None:
        return Team.objects.none()
    if person.reads_everything:
        return _within_token_teams(person, Team.objects.all(), "pk")
    return _within_token_teams(person, Team.objects.filter(memberships__user=person), "pk")


def teams_writable_by(user: Viewer) -> QuerySet[Team]:
    """Teams in which the user may create workloads."""
    person = _active(user)
    if person is None:
        return Team.objects.none()
    if person.is_org_admin:
        return _within_token_teams(person, Team.objects.all(), "pk")
    writable = Team.objects.filter(memberships__user=person, memberships__role__in=_CREATING_ROLES)
    return _within_token_teams(person, writable, "pk")


def workloads_visible_to(user: Viewer) -> QuerySet[Workload]:
    """The list form of workload_actions: every workload on which the user may VIEW."""
    person = _active(user)
    if person is None:
        return Workload.objects.none()
    if person.reads_everything:
        return _within_token_teams(person, Workload.objects.all(), "team_id")
    member = Membership.objects.filter(team_id=OuterRef("team_id"), user=person)
    shared = WorkloadShare.objects.filter(
        _active_shares(), workload_id=OuterRef("pk"), team__memberships__user=person
    )
    return _within_token_teams(person, Workload.objects.filter(Exists(member) | Exists(shared)), "team_id")


def user_sees_workload(user_path: str, workload_path: str) -> Q:
    """The same rule as a filter over many users: the (active) user at `user_path` may see the workload at
    `workload_path`. For jobs such as reminders, which ask it of every item owner at once."""
    member = Membership.objects.filter(
        team_id=OuterRef(f"{workload_path}__team_id"), user_id=OuterRef(f"{user_path}_id")
    )
    shared = WorkloadShare.objects.filter(
        _active_shares(),
        workload_id=OuterRef(f"{workload_path}__id"),
        team__memberships__user_id=OuterRef(f"{user_path}_id"),
    )
    return Q(**{f"{user_path}__is_active": True}) & (
        Q(Exists(member))
        | Q(Exists(shared))
        | Q(**{f"{user_path}__is_superuser": True})
        | Q(**{f"{user_path}__org_role__in": _READS_EVERYTHING})
    )


def may_administer(user: Viewer) -> bool:
    """Organisation administrators: create teams, import lenses, reset other people's second factor."""
    person = _active(user)
    return person is not None and person.is_org_admin


def require_administrator(user: Viewer, refusal: str) -> User:
    """The user, when an organisation administrator; else PermissionDenied with `refusal` as the reason."""
    person = _active(user)
    if person is None or not person.is_org_admin:
        raise PermissionDenied(refusal)
    return person


# --- Fetch and authorise in one call ------------------------------------------------------------------------


def _authorise(actions: frozenset[Action], action: Action, what: str) -> Grant:
    if Action.VIEW not in actions:
        raise Http404(f"No such {what}")
    if action not in actions:
        raise PermissionDenied(f"Your role does not allow you to {action} here.")
    return Grant(actions)


def _workload_grant(
    user: Viewer, workload: Workload, action: Action, what: str, team_role: Any = _UNFETCHED
) -> Workload:
    """Authorise `action` on an object under `workload` (404/403) and leave the decision on the workload."""
    workload.grant = _authorise(workload_actions(user, workload, team_role=team_role), action, what)
    return workload


UnderWorkload = TypeVar(
    "UnderWorkload", ImprovementItem, Milestone, EvidenceRun, EvidenceImport, AwsTarget, WorkloadShare
)


def _get_under_workload(
    user: Viewer, queryset: QuerySet[UnderWorkload], action: Action, what: str, **pins: Any
) -> UnderWorkload:
    """The object `pins` pick from `queryset` (a pin of None is left out), authorised through its workload."""
    found = queryset.filter(**{field: value for field, value in pins.items() if value is not None}).first()
    if found is None:
        raise Http404(f"No such {what}")
    _workload_grant(user, found.workload, action, what)
    return found


def get_workload_for_user(user: Viewer, workload_id: Any, action: Action = Action.VIEW) -> Workload:
    workload = Workload.objects.select_related("team").filter(pk=workload_id).first()
    if workload is None:
        raise Http404("No such workload")
    return _workload_grant(user, workload, action, "workload")


def get_review_for_user(
    user: Viewer, review_id: Any, action: Action = Action.VIEW, *, queryset: QuerySet[Review] | None = None
) -> Review:
    """A review with its workload, team and lens; `queryset` lets a page annotate what it needs in the same
    query. The user's role in the team comes in that query too."""
    review = (
        (queryset if queryset is not None else Review.objects.all())
        .select_related("workload__team", "lens_version", "lens")
        .annotate(team_role=_member_role(user, "workload__team_id"))
        .filter(pk=review_id)
        .order_by()  # one row by its key: the default ordering (by workload name) would only cost
        .first()
    )
    if review is None:
        raise Http404("No such review")
    review.grant = _workload_grant(user, review.workload, action, "review", review.team_role).grant
    return review


def get_review_for_report_request(user: Viewer, review_id: Any) -> Review:
    """A review whose reports `user` may request. A report job takes a worker's time and a queue slot, so it is
    a write: viewers may read reports but not make new ones (team contributors and owners may, and so may
    security leads, who plan across teams)."""
    return get_review_for_user(user, review_id, Action.PLAN)


def get_item_for_user(
    user: Viewer, item_id: Any, action: Action = Action.VIEW, *, workload_id: Any = None
) -> ImprovementItem:
    """An improvement item (with its owner, acceptor and workload); `workload_id` pins it to one workload."""
    items = ImprovementItem.objects.select_related("owner", "accepted_by", "workload__team")
    return _get_under_workload(user, items, action, "improvement item", pk=item_id, workload_id=workload_id)


def get_milestone_for_user(
    user: Viewer,
    milestone_id: Any,
    action: Action = Action.VIEW,
    *,
    workload_id: Any = None,
    queryset: QuerySet[Milestone] | None = None,
) -> Milestone:
    """A milestone with its workload; `queryset` lets a caller defer the snapshot or annotate counts."""
    milestones = (queryset if queryset is not None else Milestone.objects.all()).select_related(
        "workload__team"
    )
    return _get_under_workload(
        user, milestones, action, "milestone", pk=milestone_id, workload_id=workload_id
    )


def get_run_for_user(user: Viewer, run_id: Any, action: Action = Action.VIEW) -> EvidenceRun:
    """An evidence run with who started it and its workload."""
    runs = EvidenceRun.objects.select_related("started_by", "workload__team")
    return _get_under_workload(user, runs, action, "evidence run", pk=run_id)


def get_evidence_import_for_user(
    user: Viewer, import_id: Any, action: Action = Action.VIEW
) -> EvidenceImport:
    """An imported scanner file (Prowler, Security Hub) with who imported it and its workload."""
    imports = EvidenceImport.objects.select_related("imported_by", "workload__team")
    return _get_under_workload(user, imports, action, "evidence import", pk=import_id)


def get_target_for_user(
    user: Viewer, target_id: Any, action: Action = Action.VIEW, *, workload_id: Any = None
) -> AwsTarget:
    """A connected AWS account with its workload; `workload_id` pins it to one workload."""
    targets = AwsTarget.objects.select_related("workload__team")
    what = "AWS account on this workload"
    return _get_under_workload(user, targets, action, what, pk=target_id, workload_id=workload_id)


def get_share_for_user(
    user: Viewer, share_id: Any, action: Action = Action.VIEW, *, workload_id: Any = None
) -> WorkloadShare:
    """A share of a workload with another team (with that team and the workload)."""
    shares = WorkloadShare.objects.select_related("team", "created_by", "workload__team")
    return _get_under_workload(user, shares, action, "share", pk=share_id, workload_id=workload_id)


def get_evidence_file_for_user(
    user: Viewer, file_id: Any, action: Action = Action.VIEW, *, review_id: Any = None
) -> EvidenceFile:
    """An evidence file with its uploader and its review's workload; `review_id` pins it to one review."""
    files = EvidenceFile.objects.select_related("uploaded_by", "review__workload__team", "review__lens")
    if review_id is not None:
        files = files.filter(review_id=review_id)
    found = files.filter(pk=file_id).first()
    if found is None:
        raise Http404("No such evidence file")
    found.review.grant = _workload_grant(user, found.review.workload, action, "evidence file").grant
    return found


def get_report_job_for_user(
    user: Viewer, job_id: Any, action: Action = Action.VIEW, *, review_id: Any = None
) -> ReportJob:
    """A report (without its file, which may be large) with its review and workload.

    A consolidated report spans many workloads and has no review: it is seen only by the person who asked for
    it and by organisation administrators (it lists what the requester may see, which may be more than others
    may); for anyone else it does not exist."""
    jobs = (
        ReportJob.objects.defer("content")
        .select_related("review__workload__team", "review__lens", "milestone")
        .filter(pk=job_id)
    )
    if review_id is not None:
        jobs = jobs.filter(review_id=review_id)
    job = jobs.first()
    if job is None:
        raise Http404("No such report")
    if job.review is None:
        person = _active(user)
        if person is None or (job.created_by_id != person.pk and not person.is_org_admin):
            raise Http404("No such report")
        return job
    job.review.grant = _workload_grant(user, job.review.workload, action, "report").grant
    return job


def report_jobs_of(user: Viewer) -> QuerySet[ReportJob]:
    """The consolidated reports and plan exports `user` lists: their own (admins open others' by id, and do
    not list them)."""
    person = _active(user)
    if person is None:
        return ReportJob.objects.none()
    return ReportJob.objects.filter(
        kind__in=[ReportJob.Kind.CONSOLIDATED, ReportJob.Kind.PLAN_EXPORT], created_by=person
    )


def get_saved_filter_for_user(user: Viewer, filter_id: Any) -> SavedFilter:
    """A saved dashboard filter: private to its owner; for anyone else (an administrator included) it does
    not exist."""
    person = _active(user)
    saved = SavedFilter.objects.filter(pk=filter_id, user=person).first() if person is not None else None
    if saved is None:
        raise Http404("No such saved filter")
    return saved


def get_token_for_user(user: Viewer, token_id: Any) -> ApiToken:
    """A personal API token: only its owner sees it, and may do anything with it; for anyone else (an
    administrator included) it does not exist."""
    person = _active(user)
    token = ApiToken.objects.filter(pk=token_id, user=person).first() if person is not None else None
    if token is None:
        raise Http404("No such token")
    return token


def token_teams_refusal(user: Viewer, teams: list[Team]) -> str | None:
    """Why `user` may not create a token limited to `teams` (empty: no limit), or None when they may.

    A token reaches at most what its creator sees. Created with another token that is limited to teams, it must
    be limited to some of those teams too: no token makes one with more reach than itself."""
    person = _active(user)
    if person is None:
        return "Sign in to create tokens."
    visible = set(teams_visible_to(person).values_list("pk", flat=True))
    if any(team.pk not in visible for team in teams):
        return "Limit the token to teams you can see."
    if _token_teams(person) is not None and not teams:
        return "The token you are using is limited to teams: limit the new one to some of them too."
    return None


def token_lifetime_refusal(expires_at: datetime, via: ApiToken | None) -> str | None:
    """Why a token expiring at `expires_at` may not be made with the token `via` (None: not made with a token),
    or None: a token outlives nothing, so it cannot make one that would outlive it."""
    if via is not None and expires_at > via.expires_at:
        return (
            f"A token cannot outlive the token that creates it (expires {via.expires_at:%Y-%m-%d %H:%M} UTC)."
        )
    return None


def get_team_for_user(user: Viewer, team_id: Any, action: Action = Action.VIEW) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404("No such team")
    team.grant = _authorise(team_actions(user, team), action, "team")
    return team


def get_jira_team_for_user(user: Viewer, team_id: Any) -> Team:
    """A team whose Jira connection `user` may set up, change or remove: ADMINISTER on the team, which is its
    OWNERs' (and organisation administrators'). Other members get 403; outsiders 404."""
    return get_team_for_user(user, team_id, Action.ADMINISTER)


def may(user: Viewer, obj: Workload | Review | Team, action: Action) -> bool:
    """For pages that fetched `obj` through a get_*_for_user helper: the decision made then, without a query.
    An instance fetched another way is decided afresh for `user`."""
    if obj.grant is not None:
        return obj.grant.allows(action)
    if isinstance(obj, Team):
        return action in team_actions(user, obj)
    return action in workload_actions(user, obj.workload if isinstance(obj, Review) else obj)


# --- Risk acceptance -----------------------------------------------------------------------------------------


def acceptance_deciders_refusal(user: Viewer, acceptance: RiskAcceptance) -> str | None:
    """Why `user` may not approve or reject `acceptance`, or None when they may.

    Security leads and administrators decide every level; a team OWNER decides the levels listed in
    RISK_ACCEPTANCE_OWNER_APPROVES for their team's workloads. Nobody decides their own request: the point of
    approval is a second person."""
    person = _active(user)
    if person is None:
        return "Sign in to decide risk acceptances."
    if acceptance.requested_by_id == person.pk:
        return "You asked for this acceptance: someone else must approve or reject it."
    if person.reads_everything:
        return None
    if acceptance.level in settings.RISK_ACCEPTANCE_OWNER_APPROVES and (
        _team_role(person, acceptance.item.workload.team_id) == Role.OWNER
    ):
        return None
    if acceptance.level in settings.RISK_ACCEPTANCE_OWNER_APPROVES:
        return "Only a security lead or an owner of this team may decide this acceptance."
    return f"Only a security lead may decide the acceptance of a {acceptance.level.lower()} risk."


def get_acceptance_for_user(
    user: Viewer, acceptance_id: Any, action: Action = Action.VIEW, *, item_id: Any = None
) -> RiskAcceptance:
    """A risk acceptance with its item, workload and people, authorised through its workload; `item_id` pins
    it to one item. Deciding it is asked separately (acceptance_deciders_refusal)."""
    acceptances = RiskAcceptance.objects.select_related(
        "item__workload__team", "item__owner", "requested_by", "decided_by", "ended_by"
    ).filter(pk=acceptance_id)
    if item_id is not None:
        acceptances = acceptances.filter(item_id=item_id)
    acceptance = acceptances.first()
    if acceptance is None:
        raise Http404("No such risk acceptance")
    _workload_grant(user, acceptance.item.workload, action, "risk acceptance")
    return acceptance


def acceptances_awaiting(user: Viewer) -> QuerySet[RiskAcceptance]:
    """The pending requests `user` may decide (the list form of acceptance_deciders_refusal)."""
    person = _active(user)
    if person is None:
        return RiskAcceptance.objects.none()
    pending = RiskAcceptance.objects.filter(state="PENDING").exclude(requested_by=person)
    if person.reads_everything:
        return pending
    return pending.filter(
        level__in=settings.RISK_ACCEPTANCE_OWNER_APPROVES,
        item__workload__team__memberships__user=person,
        item__workload__team__memberships__role=Role.OWNER,
    )


def team_owners(team_id: Any) -> QuerySet[User]:
    """The active OWNERs of a team: who is told when its accepted risks are about to come back."""
    return User.objects.filter(
        is_active=True, memberships__team_id=team_id, memberships__role=Role.OWNER
    ).distinct()


# --- Review templates ---------------------------------------------------------------------------------------


def template_actions(user: Viewer, template: ReviewTemplate) -> frozenset[Action]:
    """A team's template: its members read it, those who may add workloads to the team (EDIT) change it. The
    organisation's template (no team): every signed-in person reads it, only administrators change it."""
    person = _active(user)
    if person is None:
        return frozenset()
    if template.team_id is None:
        return frozenset(Action) if person.is_org_admin else frozenset({Action.VIEW})
    on_team = _team_role_actions(person, template.team_id)
    return on_team & frozenset({Action.VIEW, Action.EDIT, Action.ADMINISTER})


def templates_visible_to(user: Viewer) -> QuerySet[ReviewTemplate]:
    """The list form of template_actions: the organisation's templates and those of the teams the user sees."""
    person = _active(user)
    if person is None:
        return ReviewTemplate.objects.none()
    if person.reads_everything:
        return ReviewTemplate.objects.all()
    return ReviewTemplate.objects.filter(Q(team__isnull=True) | Q(team__memberships__user=person))


def template_teams_for(user: Viewer) -> tuple[QuerySet[Team], bool]:
    """Where the user may create templates: these teams (the same rule as creating workloads), and the
    organisation itself (True) for administrators."""
    return teams_writable_by(user), may_administer(user)


def get_template_for_user(user: Viewer, template_id: Any, action: Action = Action.VIEW) -> ReviewTemplate:
    template = ReviewTemplate.objects.select_related("team", "lens").filter(pk=template_id).first()
    if template is None:
        raise Http404("No such template")
    template.grant = _authorise(template_actions(user, template), action, "template")
    return template


# --- The audit trail ----------------------------------------------------------------------------------------


class AuditScope(StrEnum):
    # Security leads and administrators: every entry.
    ALL = "all"
    # Team owners: the entries about their teams' workloads.
    OWNED = "owned"


def audit_scope(user: Viewer) -> AuditScope | None:
    """Which part of the audit trail the user may read; None for most people, who may read none of it."""
    person = _active(user)
    if person is None:
        return None
    if person.reads_everything:
        return AuditScope.ALL
    if person.memberships.owners().exists():
        return AuditScope.OWNED
    return None


def may_see_audit(user: Viewer, scope: AuditScope | None = None) -> bool:
    """Whether the user may read the audit trail at all, or (given `scope`) that part of it."""
    granted = audit_scope(user)
    if granted is None:
        return False
    return scope is None or granted == AuditScope.ALL or scope == granted


def require_whole_audit_trail(user: Viewer) -> None:
    """The API's audit trail is the whole trail, for security leads and administrators; anyone else: 403."""
    if not may_see_audit(user, AuditScope.ALL) or audit_scope(user) != AuditScope.ALL:
        raise PermissionDenied("The audit trail API is open to security leads and administrators.")


def get_audit_scope_for_user(user: Viewer) -> AuditScope:
    scope = audit_scope(user)
    if scope is None:
        raise PermissionDenied("The audit trail is open to security leads, administrators and team owners.")
    return scope


def audit_workloads(user: Viewer, scope: AuditScope) -> QuerySet[Workload]:
    """The workloads whose entries the user reads in `scope`."""
    person = _active(user)
    if person is None:
        return Workload.objects.none()
    if scope == AuditScope.ALL and person.reads_everything:
        return Workload.objects.all()
    return Workload.objects.filter(team__memberships__user=person, team__memberships__role=Role.OWNER)


def audit_events_visible_to(user: Viewer, scope: AuditScope | None = None) -> QuerySet[AuditEvent]:
    """Leads and admins: every entry. Team owners: entries about their teams' workloads. Others: none."""
    scope = scope if scope is not None else audit_scope(user)
    if scope == AuditScope.ALL and may_see_audit(user, AuditScope.ALL):
        return AuditEvent.objects.all()
    if scope == AuditScope.OWNED:
        return AuditEvent.objects.filter(workload_id__in=audit_workloads(user, scope).values("id"))
    return AuditEvent.objects.none()


def may_manage_catalogue(user: Viewer) -> bool:
    """Lenses are shared by every team, so importing one is an organisation administrator's job."""
    return may_administer(user)
