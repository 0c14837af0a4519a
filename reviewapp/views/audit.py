"""The audit trail: browse and filter it, export it as CSV or JSON.

Security leads and administrators see every entry; team owners see the entries about their teams' workloads;
anyone else is refused. Exports are themselves audited: who took a copy of the trail, and with which filters.
"""

from __future__ import annotations

import json

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..access import AuditScope, audit_events_visible_to, audit_workloads, get_audit_scope_for_user
from ..audit import audit_record
from ..lib.audit_export import audit_csv_lines, audit_json_chunks
from ..lib.display import with_display
from ..models import AuditEvent, User
from ..selectors import filter_audit_events, workload_names
from . import AuthenticatedRequest

PAGE_SIZE = 50


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
        response = StreamingHttpResponse(audit_csv_lines(events), content_type="text/csv; charset=utf-8")
    else:
        response = StreamingHttpResponse(audit_json_chunks(events), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{kind}"'
    return response
