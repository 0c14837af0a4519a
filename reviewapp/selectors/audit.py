"""Reads of the audit trail: the filters of the audit page and export (who may see which entries is
access.audit_events_visible_to)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from ..access import workloads_visible_to
from ..models import AuditEvent, User


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def filter_audit_events(events: QuerySet[AuditEvent], filters: dict[str, Any]) -> QuerySet[AuditEvent]:
    """`filters` as cleaned by the audit filter form; dates are whole days in the site's time zone."""
    if filters.get("actor"):
        events = events.filter(actor_label__iexact=filters["actor"])
    if filters.get("action"):
        action = filters["action"]
        # "auth." (or "auth") matches the whole family of actions; anything else must match exactly.
        if action.endswith("."):
            events = events.filter(action__startswith=action)
        else:
            events = events.filter(Q(action=action) | Q(action__startswith=f"{action}."))
    if filters.get("object_type"):
        events = events.filter(object_type__iexact=filters["object_type"])
    if filters.get("workload"):
        events = events.filter(workload_id=filters["workload"])
    if filters.get("since"):
        events = events.filter(at__gte=_day_start(filters["since"]))
    if filters.get("until"):
        events = events.filter(at__lt=_day_start(filters["until"] + timedelta(days=1)))
    return events.order_by("-id")


def workload_names(user: User, ids: set[UUID]) -> dict[UUID, str]:
    """Names of the workloads the entries refer to, for those that still exist and the user may see."""
    if not ids:
        return {}
    return dict(workloads_visible_to(user).filter(pk__in=ids).values_list("id", "name"))
