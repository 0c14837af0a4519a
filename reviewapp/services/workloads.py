"""Teams, memberships and workloads: every write audited, every invariant checked before it is saved."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from questionnaire.models import max_length

from ..audit import audit_record
from ..lib.workload_fields import workload_field_problems
from ..models import Membership, Role, Team, User, Workload, is_owner_role

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


def _name_error(team: Team, name: str) -> ValidationError:
    return ValidationError({"name": [f"{team.name} already has a workload called {name!r}."]})


def _check(workload: Workload) -> None:
    """The rules the model cannot express (regions, account ids, tags, links), then the model's own."""
    errors = workload_field_problems({field: getattr(workload, field) for field in WORKLOAD_FIELDS})
    # Django enforces a TextField's max_length only in forms; the API and scripts come through here.
    for field in ("description", "notes"):
        limit, value = max_length(Workload, field), getattr(workload, field) or ""
        if len(value) > limit:
            errors[field] = [f"Ensure this value has at most {limit} characters (it has {len(value)})."]
    try:
        # The name rule is ours (with a clearer message), checked before this and by the database after it.
        workload.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(m for m in messages if m not in errors.get(field, []))
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def workload_create(*, team: Team, actor: User, **fields: Any) -> Workload:
    unknown = set(fields) - set(WORKLOAD_FIELDS)
    if unknown:
        raise TypeError(f"unknown workload fields: {sorted(unknown)}")
    if _name_taken(team, fields.get("name", "")):
        raise _name_error(team, fields["name"])
    workload = Workload(team=team, created_by=actor, **fields)
    _check(workload)
    try:
        with transaction.atomic():
            workload.save(force_insert=True)
    except IntegrityError as exc:
        # Someone else took the name between our check and the insert.
        raise _name_error(team, workload.name) from exc
    audit_record(
        actor=actor,
        action="workload.create",
        obj=workload,
        workload_id=workload.pk,
        after=_workload_values(workload),
    )
    return workload


@transaction.atomic
def workload_update(*, workload: Workload, actor: User, **fields: Any) -> Workload:
    unknown = set(fields) - set(WORKLOAD_FIELDS)
    if unknown:
        raise TypeError(f"unknown workload fields: {sorted(unknown)}")
    before = _workload_values(workload)
    if "name" in fields and _name_taken(workload.team, fields["name"], exclude=workload.pk):
        raise _name_error(workload.team, fields["name"])
    original = {field: getattr(workload, field) for field in fields}
    for field, value in fields.items():
        setattr(workload, field, value)
    try:
        _check(workload)
        try:
            with transaction.atomic():
                workload.save()
        except IntegrityError as exc:
            raise _name_error(workload.team, workload.name) from exc
    except ValidationError:
        # The caller still holds this object (e.g. to show the page again): leave it as stored.
        for field, value in original.items():
            setattr(workload, field, value)
        raise
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
    name, description = name.strip(), description.strip()
    if not name:
        raise ValidationError({"name": ["A team needs a name."]})
    name_max = max_length(Team, "name")
    if len(name) > name_max:
        raise ValidationError(
            {"name": [f"A team name is at most {name_max} characters (you have {len(name)})."]}
        )
    description_max = max_length(Team, "description")
    if len(description) > description_max:
        message = f"A description is at most {description_max:,} characters (you have {len(description):,})."
        raise ValidationError({"description": [message]})
    if Team.objects.filter(name__iexact=name).exists():
        raise ValidationError({"name": [f"A team called {name!r} already exists."]})
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, description=description)
    except IntegrityError as exc:
        raise ValidationError({"name": [f"A team called {name!r} already exists."]}) from exc
    audit_record(
        actor=actor, action="team.create", obj=team, after={"name": name, "description": description}
    )
    membership_set(team=team, user=owner or actor, role=Role.OWNER, actor=actor)
    return team


@transaction.atomic
def membership_set(*, team: Team, user: User, role: str, actor: User) -> Membership:
    if role not in Role.values:
        raise ValidationError({"role": [f"{role!r} is not a team role."]})
    membership = Membership.objects.select_for_update().filter(team=team, user=user).first()
    before = {"role": membership.role} if membership else None
    if membership is not None and membership.is_owner and not is_owner_role(role):
        _keep_an_owner(team, leaving=membership)
    if membership is None:
        try:
            with transaction.atomic():
                membership = Membership.objects.create(team=team, user=user, role=role)
        except IntegrityError as exc:
            # Added by someone else a moment ago: say so rather than overwrite their choice of role.
            raise ValidationError(
                {"user": [f"{user.get_username()} was just added to {team.name}."]}
            ) from exc
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
    # Lock the team's owners so two owners demoting each other at once cannot leave the team with none.
    owners = Membership.objects.select_for_update().filter(team=team).owners().exclude(pk=leaving.pk)
    if not list(owners.values_list("pk", flat=True)):
        raise ValidationError(
            {"role": [f"{team.name} must keep at least one owner: make someone else an owner first."]}
        )


@transaction.atomic
def membership_remove(*, membership: Membership, actor: User) -> None:
    if membership.is_owner:
        _keep_an_owner(membership.team, leaving=membership)
    audit_record(
        actor=actor,
        action="membership.remove",
        obj=membership,
        object_repr=f"{membership.user.get_username()} in {membership.team.name}",
        before={
            "role": membership.role,
            "user": membership.user.get_username(),
            "team": membership.team.name,
        },
    )
    membership.delete()
