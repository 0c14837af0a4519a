"""The audit trail through the API: filtered and paged as JSON, or exported whole as CSV or JSON.

Security leads and administrators only (team owners read their part in the web app). An export is itself
audited, with its filters, as on the audit page."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..access import AuditScope, audit_events_visible_to, require_whole_audit_trail
from ..audit import audit_record
from ..lib.audit_export import audit_csv_lines, audit_json_chunks
from ..selectors import filter_audit_events
from .base import ApiRequest, ApiView


class AuditQuery(serializers.Serializer):
    actor = serializers.CharField(required=False, max_length=150, help_text="Username, exactly.")
    action = serializers.CharField(
        required=False, max_length=64, help_text='An action or its family, e.g. "auth" or "item.update".'
    )
    object_type = serializers.CharField(required=False, max_length=64, help_text="e.g. ImprovementItem.")
    workload = serializers.UUIDField(required=False)
    since = serializers.DateField(required=False, help_text="From this day (site time zone).")
    until = serializers.DateField(required=False, help_text="Up to and including this day.")
    export = serializers.ChoiceField(
        choices=["csv", "json"],
        required=False,
        help_text="Download every matching entry as a file instead of a page.",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("since") and attrs.get("until") and attrs["since"] > attrs["until"]:
            raise serializers.ValidationError({"until": ["The end date is before the start date."]})
        return attrs


class AuditEventOut(serializers.Serializer):
    """The same fields as the CSV and JSON exports (lib/audit_export.py)."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object = serializers.CharField(source="object_repr")
    workload_id = serializers.UUIDField(allow_null=True)
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    ip = serializers.CharField(allow_null=True)
    request_id = serializers.CharField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


class AuditList(ApiView):
    @extend_schema(
        operation_id="audit_events_list",
        summary="The audit trail, newest first (security leads and administrators)",
        parameters=[AuditQuery],
        responses={200: AuditEventOut(many=True)},
        examples=[
            OpenApiExample(
                "Entries",
                value={
                    "id": 812,
                    "at": "2026-03-02T09:14:03Z",
                    "actor": "lena_lead",
                    "action": "acceptance.approve",
                    "object_type": "RiskAcceptance",
                    "object_id": "3f0c3a52-8a43-4c1e-9d0e-1a2b3c4d5e6f",
                    "object": "Checkout API SEC01-BP02",
                    "workload_id": "9b1d2c3e-4f5a-4b6c-8d7e-0f1a2b3c4d5e",
                    "before": {"state": "PENDING"},
                    "after": {"state": "APPROVED", "comment": "Agreed for a quarter."},
                    "ip": "203.0.113.7",
                    "request_id": "c5e1f0a2b3d44e5f8a9b0c1d2e3f4a5b",
                    "prev_hash": "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce",
                    "hash": "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b",
                },
                response_only=True,
            )
        ],
        description="Add export=csv or export=json to download every matching entry as a file (the export "
        "is itself audited).",
        tags=["audit"],
    )
    def get(self, request: ApiRequest) -> Response | StreamingHttpResponse:
        require_whole_audit_trail(request.user)
        query = self.query(AuditQuery)
        filters = {key: value for key, value in query.items() if key != "export"}
        events = filter_audit_events(audit_events_visible_to(request.user, AuditScope.ALL), filters)
        kind = query.get("export")
        if kind is None:
            return self.paginated(events, AuditEventOut)
        audit_record(
            actor=request.user,
            action="audit.export",
            after={"format": kind, "scope": AuditScope.ALL, "via": "api", **filters},
        )
        chunks = audit_csv_lines(events) if kind == "csv" else audit_json_chunks(events)
        response = StreamingHttpResponse(
            chunks, content_type="text/csv; charset=utf-8" if kind == "csv" else "application/json"
        )
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.{kind}"'
        return response
