"""The audit trail as CSV or JSON, streamed in chunks: the audit page's export and the API's."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from ..models import AuditEvent
from .csvcells import EchoBuffer, safe_cell

EXPORT_COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "object_type",
    "object_id",
    "object",
    "workload_id",
    "before",
    "after",
    "ip",
    "request_id",
    "prev_hash",
    "hash",
)


def audit_row(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "at": event.at.isoformat(),
        "actor": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "object": event.object_repr,
        "workload_id": str(event.workload_id) if event.workload_id else None,
        "before": event.before,
        "after": event.after,
        "ip": event.ip,
        "request_id": event.request_id,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def audit_csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(EchoBuffer())
    yield writer.writerow(EXPORT_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        row = audit_row(event)
        for key in ("before", "after"):
            row[key] = (
                json.dumps(row[key], sort_keys=True, cls=DjangoJSONEncoder) if row[key] is not None else ""
            )
        yield writer.writerow([safe_cell(row[column]) for column in EXPORT_COLUMNS])


def audit_json_chunks(events: QuerySet[AuditEvent]) -> Iterator[str]:
    yield "[\n"
    first = True
    for event in events.iterator(chunk_size=2000):
        yield ("" if first else ",\n") + json.dumps(audit_row(event), sort_keys=True, cls=DjangoJSONEncoder)
        first = False
    yield "\n]\n"
