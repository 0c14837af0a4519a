"""Sharing a workload with another team: create or change a share, revoke it. Each write audited.

Who may share is access.py's decision (ADMINISTER on the workload); these functions check what a share may
be: another team than the workload's own, a role that is VIEWER or CONTRIBUTOR, and an expiry from today to at
most SHARE_MAX_DAYS ahead. A share that is not active any more simply grants nothing (access.py); revoking
removes it, and the audit trail keeps what it was.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ..audit import audit_record
from ..models import Team, User, Workload, WorkloadShare


def share_latest(today: date | None = None) -> date:
    """The furthest expiry a share made today may have."""
    return (today or timezone.localdate()) + timedelta(days=settings.SHARE_MAX_DAYS)


def _values(share: WorkloadShare) -> dict[str, Any]:
    return {
        "team": str(share.team_id),
        "team_name": share.team.name,
        "role": share.role,
        "expires_on": share.expires_on.isoformat(),
    }


def _problems(workload: Workload, team: Team, role: str, expires_on: date) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if team.pk == workload.team_id:
        errors["team"] = [f"{team.name} owns this workload already; share it with another team."]
    if role not in WorkloadShare.ShareRole.values:
        errors["role"] = ["Choose Viewer or Contributor."]
    today, latest = timezone.localdate(), share_latest()
    if expires_on < today:
        errors["expires_on"] = ["The expiry date has passed: choose today or a later day."]
    elif expires_on > latest:
        errors["expires_on"] = [
            f"A share may last at most {settings.SHARE_MAX_DAYS} days: choose {latest.isoformat()} or earlier."
        ]
    return errors


@transaction.atomic
def share_set(*, workload: Workload, team: Team, role: str, expires_on: date, actor: User) -> WorkloadShare:
    """Share `workload` with `team` as `role` until `expires_on`; a team already shared with gets the new
    role and expiry (one share per team)."""
    errors = _problems(workload, team, role, expires_on)
    if errors:
        raise ValidationError(errors)
    share = WorkloadShare.objects.select_for_update().filter(workload=workload, team=team).first()
    before = _values(share) if share is not None else None
    if share is None:
        share = WorkloadShare(workload=workload, team=team, created_by=actor)
    share.role, share.expires_on = role, expires_on
    share.save()
    after = _values(share)
    if before != after:
        audit_record(
            actor=actor,
            action="workload.share" if before is None else "workload.share_update",
            obj=share,
            workload_id=workload.pk,
            before=before,
            after=after,
        )
    return share


@transaction.atomic
def share_revoke(*, share: WorkloadShare, actor: User) -> None:
    before = _values(share)
    audit_record(
        actor=actor,
        action="workload.share_revoke",
        obj=share,
        workload_id=share.workload_id,
        before=before,
    )
    share.delete()
