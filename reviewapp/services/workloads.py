"""Teams, memberships and workloads: every write audited, every invariant checked before the database sees it."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from ..audit import audit_record
from ..models import Membership, Role, Team, User, Workload

WORKLOAD_FIELDS = (
    "name",
    "description",
    "environment",
    "review_owner",
    "aws_regions",
    "other_locations",
    "account_ids",
    "architecture_url",
    "industry",
    "notes",
    "tags",
)


def _workload_values(workload: Workload) -> dict[str, Any]:
    return {field: getattr(workload, field) for field in (*WORKLOAD_FIELDS, "is_archived")} | {
        "team": str(workload.team_id)
    }


def _name_taken(team: Team, name: str, exclude: Any = None) -> bool:
    return Workload.objects.filter(team=team, name__iexact=name).exclude(pk=exclude).exists()


@transaction.atomic
def workload_create(*, team: Team, actor: User, **fields: Any) -> Workload:
    unknown = set(fields) - set(WORKLOAD_FIELDS)
    if unknown:
        raise TypeError(f"unknown workload fields: {sorted(unknown)}")
    if _name_taken(team, fields.get("name", "")):
        raise ValidationError({"name": [f"{team.name} already has a workload called {fields['name']!r}."]})
    workload = Workload(team=team, created_by=actor, **fields)
    workload.full_clean()
    try:
        with transaction.atomic():
            workload.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"name": [f"{team.name} already has a workload called {workload.name!r}."]}) from exc
    audit_record(actor=actor, action="workload.create", obj=workload, workload_id=workload.pk, after=_workload_values(workload))
    return workload


@transaction.atomic
def workload_update(*, workload: Workload, actor: User, **fields: Any) -> Workload:
    unknown = set(fields) - set(WORKLOAD_FIELDS)
    if unknown:
        raise TypeError(f"unknown workload fields: {sorted(unknown)}")
    before = _workload_values(workload)
    if "name" in fields and _name_taken(workload.team, fields["name"], exclude=workload.pk):
        raise ValidationError({"name": [f"{workload.team.name} already has a workload called {fields['name']!r}."]})
    for field, value in fields.items():
        setattr(workload, field, value)
    workload.full_clean()
    workload.save()
    after = _workload_values(workload)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        audit_record(
            actor=actor,
            action="workload.update",
            obj=workload,
            workload_id=workload.pk,
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
        )
    return workload


@transaction.atomic
def workload_set_archived(*, workload: Workload, actor: User, archived: bool) -> Workload:
    if workload.is_archived != archived:
        workload.is_archived = archived
        workload.save(update_fields=["is_archived", "updated_at"])
        audit_record(
            actor=actor,
            action="workload.archive" if archived else "workload.unarchive",
            obj=workload,
            workload_id=workload.pk,
            before={"is_archived": not archived},
            after={"is_archived": archived},
        )
    return workload


@transaction.atomic
def team_create(*, name: str, actor: User, description: str = "", owner: User | None = None) -> Team:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["A team needs a name."]})
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"A team called {name!r} already exists."]})
    team = Team.objects.create(name=name, description=description)
    audit_record(actor=actor, action="team.create", obj=team, after={"name": name, "description": description})
    membership_set(team=team, user=owner or actor, role=Role.OWNER, actor=actor)
    return team


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str, actor: User) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [f"{role!r} is not a team role."]})
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    before = {"role": membership.role} if membership else None
    if membership is not None and membership.role == Role.OWNER and role != Role.OWNER:
        _keep_an_owner(team, leaving=membership)
    if membership is None:
        membership = Membership.objects.create(team=team, user=user, role=role)
    elif membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    else:
        return membership
    audit_record(
        actor=actor,
        action="membership.set",
        obj=membership,
        object_repr=f"{user.get_username()} in {team.name}",
        before=before,
        after={"role": role, "user": user.get_username(), "team": team.name},
    )
    return membership


def _keep_an_owner(team: Team, leaving: Membership) -> None:
    if not Membership.objects.filter(team=team, role=Role.OWNER).exclude(pk=leaving.pk).exists():
        raise ValidationError({"role": [f"{team.name} must keep at least one owner."]})


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    if membership.role == Role.OWNER:
        _keep_an_owner(membership.team, leaving=membership)
    audit_record(
        actor=actor,
        action="membership.remove",
        obj=membership,
        object_repr=f"{membership.user.get_username()} in {membership.team.name}",
        before={"role": membership.role, "user": membership.user.get_username(), "team": membership.team.name},
    )
    membership.delete()
