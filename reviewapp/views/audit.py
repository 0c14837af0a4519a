"""The audit trail: browse and filter it, export it as CSV or JSON.

Security leads and administrators see every entry; team owners see the entries about their teams' workloads;
anyone else is refused. Exports are themselves audited: who took a copy of the trail, and with which filters.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django import forms
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..access import AuditScope, audit_events_visible_to, audit_workloads, get_audit_scope_for_user
from ..audit import audit_record
from ..lib.csvcells import safe_cell
from ..lib.display import with_display
from ..models import AuditEvent, User
from ..selectors import filter_audit_events, workload_names
from . import AuthenticatedRequest

PAGE_SIZE = 50
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


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=150, label="Who", help_text="Username, exactly.")
    action = forms.CharField(
        required=False, max_length=64, label="Action", help_text='e.g. "auth" or "workload.update".'
    )
    object_type = forms.CharField(
        required=False, max_length=64, label="Object type", help_text="e.g. Answer."
    )
    workload = forms.UUIDField(required=False, widget=forms.Select, label="Workload")
    since = forms.DateField(required=False, label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user: User, scope: AuditScope, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        workloads = audit_workloads(user, scope).order_by("name")
        choices = [("", "Any workload")] + [
            (str(pk), name) for pk, name in workloads.values_list("id", "name")
        ]
        self.fields["workload"].widget.choices = choices

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date is before the start date.")
        return data


def _filtered(request: AuthenticatedRequest) -> tuple[AuditFilterForm, QuerySet[AuditEvent], AuditScope]:
    scope = get_audit_scope_for_user(request.user)
    form = AuditFilterForm(request.GET or None, user=request.user, scope=scope)
    filters = form.cleaned_data if form.is_bound and form.is_valid() else {}
    events = filter_audit_events(audit_events_visible_to(request.user, scope), filters)
    return form, events, scope


@require_GET
def audit_list(request: AuthenticatedRequest) -> HttpResponse:
    form, events, scope = _filtered(request)
    page = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    names = workload_names(request.user, {event.workload_id for event in page if event.workload_id})
    for event in page:
        with_display(
            event,
            workload_name=names.get(event.workload_id, "") if event.workload_id else "",
            before_json=json.dumps(event.before, indent=1, sort_keys=True)
            if event.before is not None
            else "",
            after_json=json.dumps(event.after, indent=1, sort_keys=True) if event.after is not None else "",
        )
    # The export links carry the same filters as the page.
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    context = {"form": form, "page": page, "scope": scope, "query": query.urlencode()}
    return render(request, "accounts/audit_list.html", context, status=400 if form.errors else 200)


def _row(event: AuditEvent) -> dict:
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


class _Echo:
    """A file-like object whose write() returns the line, so csv.writer can feed a streaming response."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(events) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(EXPORT_COLUMNS)
    for event in events.iterator(chunk_size=2000):
        row = _row(event)
        for key in ("before", "after"):
            row[key] = (
                json.dumps(row[key], sort_keys=True, cls=DjangoJSONEncoder) if row[key] is not None else ""
            )
        yield writer.writerow([safe_cell(row[column]) for column in EXPORT_COLUMNS])


def _json_chunks(events) -> Iterator[str]:
    yield "[\n"
    first = True
    for event in events.iterator(chunk_size=2000):
        yield ("" if first else ",\n") + json.dumps(_row(event), sort_keys=True, cls=DjangoJSONEncoder)
        first = False
    yield "\n]\n"


@require_GET
def audit_export(request: AuthenticatedRequest) -> HttpResponse | StreamingHttpResponse:
    form, events, scope = _filtered(request)
    if form.errors:
        return HttpResponse(
            "Fix the filters first: "
            + "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    kind = request.GET.get("format", "csv")
    if kind not in ("csv", "json"):
        return HttpResponse(
            "format must be csv or json", status=400, content_type="text/plain; charset=utf-8"
        )
    filters = {key: value for key, value in form.cleaned_data.items() if value} if form.is_bound else {}
    audit_record(actor=request.user, action="audit.export", after={"format": kind, "scope": scope, **filters})
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    if kind == "csv":
        response = StreamingHttpResponse(_csv_lines(events), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(_json_chunks(events), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{kind}"'
    return response
