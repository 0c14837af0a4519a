"""Reports of a review: request one (PDF, JSON, or the plan as CSV/XLSX), follow it, download the file.

Through reviewapp.reports.jobs, as the web page: with Redis a worker renders the report and the job moves from
QUEUED to DONE; on the embedded default it is rendered before the request returns. Anyone who may view the
review may ask for its reports; a report shows nothing the review pages do not.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import get_report_job_for_user, get_review_for_report_request, get_review_for_user
from ..lib.queue import QueueUnavailable
from ..models import Milestone, ReportJob
from ..reports.jobs import REVIEW_KIND_CHOICES, content_type_of, jobs_of, report_request
from . import examples as ex
from .base import ApiRequest, ApiView
from .schema import ErrorOut


class ReportOut(serializers.Serializer):
    id = serializers.UUIDField()
    review = serializers.UUIDField(
        source="review_id", allow_null=True, help_text="Null for a consolidated report."
    )
    milestone = serializers.UUIDField(source="milestone_id", allow_null=True)
    kind = serializers.ChoiceField(choices=ReportJob.Kind.choices)
    format = serializers.ChoiceField(choices=ReportJob.Format.choices)
    state = serializers.ChoiceField(choices=ReportJob.State.choices)
    filename = serializers.CharField(help_text="Set once the report is ready.")
    size = serializers.IntegerField(help_text="Bytes, once ready.")
    error = serializers.CharField(help_text="Why it failed; empty otherwise.")
    progress = serializers.IntegerField(help_text="How far the render has got, in percent.")
    scope = serializers.JSONField(
        help_text="Consolidated reports: the filters, the trend's start (since) and a label; {} otherwise."
    )
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download = serializers.SerializerMethodField(help_text="Where to fetch the file once it is ready.")

    def get_download(self, job) -> str | None:
        if job.state != ReportJob.State.DONE:
            return None
        return f"/api/v1/reports/{job.pk}/download/"


class ReportRequestIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=REVIEW_KIND_CHOICES, default=ReportJob.Kind.FULL)
    format = serializers.ChoiceField(choices=ReportJob.Format.choices, default=ReportJob.Format.PDF)
    milestone = serializers.UUIDField(
        required=False, allow_null=True, help_text="A milestone of this review; default: the current answers."
    )


REPORT_EXAMPLE: dict[str, Any] = {
    "id": ex.REPORT_ID,
    "review": ex.REVIEW_ID,
    "milestone": None,
    "kind": "full",
    "format": "pdf",
    "state": "DONE",
    "filename": "checkout-api-security-review-2025-03-14.pdf",
    "size": 184320,
    "error": "",
    "progress": 100,
    "scope": {},
    "created_at": ex.WHEN,
    "finished_at": ex.WHEN,
    "download": f"/api/v1/reports/{ex.REPORT_ID}/download/",
}
# The JSON report is documented as an object; the other formats are files.
BINARY_TYPES = [
    "application/pdf",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]


class ReportList(ApiView):
    @extend_schema(
        operation_id="reports_list",
        summary="A review's reports, newest first",
        responses=ReportOut(many=True),
        examples=[OpenApiExample("Reports", value=REPORT_EXAMPLE, response_only=True)],
        tags=["reports"],
    )
    def get(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id)
        return self.paginated(jobs_of(review), ReportOut)

    @extend_schema(
        operation_id="reports_request",
        summary="Ask for a report of a review",
        description="An identical report still being made is returned instead of a new one. Poll the report "
        "until its state is DONE (or FAILED), then fetch `download`.",
        request=ReportRequestIn,
        responses={
            202: ReportOut,
            503: OpenApiResponse(ErrorOut, description="The task queue is unreachable; nothing was queued."),
        },
        examples=[
            OpenApiExample("PDF", value={"kind": "executive", "format": "pdf"}, request_only=True),
            OpenApiExample(
                "Queued",
                value=REPORT_EXAMPLE
                | {"kind": "executive", "state": "QUEUED", "filename": "", "size": 0, "finished_at": None}
                | {"download": None},
                response_only=True,
                status_codes=["202"],
            ),
        ],
        tags=["reports"],
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_report_request(request.user, review_id)
        serializer = ReportRequestIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        milestone = None
        if data.get("milestone"):
            milestone = Milestone.objects.filter(review=review, pk=data["milestone"]).first()
            if milestone is None:
                raise serializers.ValidationError({"milestone": ["No such milestone of this review."]})
        try:
            job = report_request(
                review=review, actor=request.user, kind=data["kind"], fmt=data["format"], milestone=milestone
            )
        except QueueUnavailable as exc:
            return Response({"detail": exc.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        job = ReportJob.objects.defer("content").get(pk=job.pk)
        return Response(ReportOut(job).data, status=status.HTTP_202_ACCEPTED)


class ReportDetail(ApiView):
    @extend_schema(
        operation_id="reports_retrieve",
        summary="A report's state",
        responses=ReportOut,
        examples=[OpenApiExample("Report", value=REPORT_EXAMPLE, response_only=True)],
        tags=["reports"],
    )
    def get(self, request: ApiRequest, job_id) -> Response:
        return Response(ReportOut(get_report_job_for_user(request.user, job_id)).data)


class ReportDownload(ApiView):
    @extend_schema(
        operation_id="reports_download",
        summary="Download a finished report",
        responses={
            **{(200, media): OpenApiTypes.BINARY for media in BINARY_TYPES},
            (200, "application/json"): OpenApiTypes.OBJECT,
            409: OpenApiResponse(
                ErrorOut,
                description="The report is not ready (or failed).",
                examples=[OpenApiExample("Not ready", value={"detail": "The report is still queued."})],
            ),
        },
        examples=[
            OpenApiExample(
                "JSON report",
                description="The review as JSON (wa-security-review/1); PDF, CSV and XLSX come as files.",
                value={"format": "wa-security-review/1", "workload": {"name": "Checkout API"}, "answers": []},
                media_type="application/json",
                response_only=True,
                status_codes=["200"],
            )
        ],
        tags=["reports"],
    )
    def get(self, request: ApiRequest, job_id) -> HttpResponse:
        job = get_report_job_for_user(request.user, job_id)
        if job.state != ReportJob.State.DONE:
            reason = job.error or f"The report is still {job.get_state_display().lower()}."
            return Response({"detail": reason}, status=status.HTTP_409_CONFLICT)
        content = ReportJob.objects.filter(pk=job.pk).values_list("content", flat=True).get()
        response = HttpResponse(bytes(content or b""), content_type=content_type_of(job))
        response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        return response

    def perform_content_negotiation(self, request, force=False):
        # Clients asking for the file's type must still be able to read a JSON error.
        return super().perform_content_negotiation(request, force=True)
