"""The audit trail: append-only, and tamper-evident through a hash chain.

Every write service calls `audit_record` inside its transaction, so a change and its audit entry commit together.
The request's IP and id reach it through lib/request_context.py, set by `reviewapp.middleware.RequestContextMiddleware`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from .lib.request_context import request_context
from .models import AuditEvent, User

GENESIS = "0" * 64


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so dates, UUIDs and decimals hash the same before and after storage."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder)) if value is not None else None


def entry_hash(event: AuditEvent) -> str:
    body = {
        "prev": event.prev_hash,
        "at": event.at.isoformat(),
        "actor": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object_repr": event.object_repr,
        "workload": str(event.workload_id) if event.workload_id else None,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "request_id": event.request_id,
    }
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), cls=DjangoJSONEncoder)
    return hashlib.sha256(f"{event.prev_hash}{canonical}".encode()).hexdigest()


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    workload_id: Any = None,
    before: dict | None = None,
    after: dict | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    actor_label: str = "",
) -> AuditEvent:
    context = request_context.get()
    # No savepoint of its own: an entry that cannot be written must undo the change it records, so a failure
    # here fails the caller's whole transaction (and a caller outside one gets a transaction of its own).
    with transaction.atomic(savepoint=False):
        # Serialise writers on the chain's tail so two entries never share a predecessor.
        last = AuditEvent.objects.select_for_update().order_by("-id").only("hash").first()
        event = AuditEvent(
            at=timezone.now(),
            actor=actor if actor is not None and actor.is_authenticated else None,
            actor_label=actor_label
            or (actor.get_username() if actor is not None and actor.is_authenticated else ""),
            action=action,
            object_type=object_type or (type(obj).__name__ if obj is not None else ""),
            object_id=object_id or (str(obj.pk) if obj is not None else ""),
            object_repr=(object_repr or (str(obj) if obj is not None else ""))[:255],
            workload_id=workload_id,
            before=_jsonable(before),
            after=_jsonable(after),
            ip=context.ip,
            request_id=context.request_id,
            prev_hash=last.hash if last else GENESIS,
        )
        event.hash = entry_hash(event)
        event.save(force_insert=True)
    return event


def audit_chain_problems(limit: int | None = None) -> list[str]:
    """Every place where the stored chain does not verify; empty when the trail is intact."""
    problems: list[str] = []
    previous = GENESIS
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        if event.prev_hash != previous:
            problems.append(
                f"entry {event.id}: does not follow the entry before it (a row was removed or reordered)"
            )
        if entry_hash(event) != event.hash:
            problems.append(f"entry {event.id}: content does not match its hash (the row was edited)")
        previous = event.hash
        if limit is not None and len(problems) >= limit:
            break
    return problems
