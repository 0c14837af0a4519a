"""The audit trail: append-only, and tamper-evident through a keyed hash chain checked against signed checkpoints.

Every write service calls `audit_record` inside its transaction, so a change and its audit entry commit together.
Appends are serialised by a lock held to the end of that transaction (PostgreSQL advisory lock; on SQLite every
transaction begins IMMEDIATE, which already serialises writers), so no two entries ever share a predecessor.
Each entry's fingerprint is an HMAC keyed by AUDIT_HMAC_KEY, which is not in the database; signed checkpoints of
the head (reviewapp/integrity/checkpoints.py) make removing the newest entries detectable too.
The request's IP and id reach it through lib/request_context.py, set by `reviewapp.middleware.RequestContextMiddleware`.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from .integrity.keys import fingerprint, fingerprint_matches, key_known
from .lib.request_context import request_context
from .models import AuditEvent, User

GENESIS = "0" * 64
# pg_advisory_xact_lock key of the chain's tail: any constant no other code uses ("audit" in ASCII).
CHAIN_LOCK_KEY = 0x6175646974


def lock_chain() -> None:
    """Hold the chain's tail until the current transaction ends; the caller must be inside `transaction.atomic`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])


def _jsonable(value: Any) -> Any:
    """Round-trip through JSON so dates, UUIDs and decimals hash the same before and after storage."""
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder)) if value is not None else None


def _canonical(event: AuditEvent) -> str:
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
    return f"{event.prev_hash}{canonical}"


def entry_hash(event: AuditEvent) -> str:
    """The unkeyed SHA-256 of entries written before the chain was keyed (their key_id is empty)."""
    return hashlib.sha256(_canonical(event).encode()).hexdigest()


def entry_fingerprint_matches(event: AuditEvent) -> bool:
    if not event.key_id:
        return entry_hash(event) == event.hash
    return fingerprint_matches(_canonical(event).encode(), event.key_id, event.hash)


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
        # Under the lock the newest committed entry is the tail: READ COMMITTED reads it afresh after the wait.
        lock_chain()
        last = AuditEvent.objects.order_by("-id").only("hash").first()
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
        event.key_id, event.hash = fingerprint(_canonical(event).encode())
        event.save(force_insert=True)
    return event


def audit_chain_problems(limit: int | None = None) -> list[str]:
    """Every place where the stored chain does not verify, against itself and its signed checkpoints; empty when
    the trail is intact."""
    from .integrity.checkpoints import Checkpoint, latest_checkpoints

    checkpoints, problems = latest_checkpoints()
    pending: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        if checkpoint.head_id:
            pending.setdefault(checkpoint.head_id, []).append(checkpoint)
    previous, position, keyed_seen = GENESIS, 0, False
    for event in AuditEvent.objects.order_by("id").iterator(chunk_size=2000):
        position += 1
        if event.prev_hash != previous:
            problems.append(
                f"entry {event.id}: does not follow the entry before it (a row was removed or reordered)"
            )
        if event.key_id and not key_known(event.key_id):
            problems.append(
                f"entry {event.id}: signed with key {event.key_id!r}, which AUDIT_HMAC_KEY does not hold"
            )
        elif not entry_fingerprint_matches(event):
            problems.append(f"entry {event.id}: content does not match its fingerprint (the row was edited)")
        elif keyed_seen and not event.key_id:
            problems.append(f"entry {event.id}: unkeyed after keyed entries (the row was replaced)")
        keyed_seen = keyed_seen or bool(event.key_id)
        for checkpoint in pending.pop(event.id, []):
            if checkpoint.entry_count == position and checkpoint.head_hash == event.hash:
                continue
            problems.append(
                f"entry {event.id}: the {checkpoint.source} checkpoint of {checkpoint.at} recorded it as entry "
                f"{checkpoint.entry_count} with fingerprint {checkpoint.head_hash[:12]}…; it is now entry {position} "
                f"with {event.hash[:12]}… (entries before it were removed, or it was rewritten)"
            )
        previous = event.hash
        if limit is not None and len(problems) >= limit:
            return problems
    for checkpoint in (checkpoint for missing in pending.values() for checkpoint in missing):
        problems.append(
            f"the {checkpoint.source} checkpoint of {checkpoint.at} covers {checkpoint.entry_count} entries up to "
            f"entry {checkpoint.head_id}, which is gone: the trail now has {position} (the newest were removed)"
        )
    return problems[:limit] if limit is not None else problems
