"""Consolidated reports across workloads, saved dashboard filters and the dashboard's totals, through the API.

A consolidated report is requested here and then followed and downloaded like any report
(/api/v1/reports/<id>/ and .../download/): it belongs to the person who asked, and covers only the workloads
they may see. Filters are checked by the same form as the web page, so both refuse the same input.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import get_saved_filter_for_user
from ..forms import dashboard_filter_form
from ..forms.portfolio import consolidated_report_form
from ..lib.queue import QueueUnavailable
from ..models import Environment, ReportJob, SavedFilter
from ..reports.jobs import consolidated_jobs_of, consolidated_request
from ..selectors import dashboard_totals_for, dashboard_workloads, risk_by_area
from ..services.saved_filters import saved_filter_create, saved_filter_delete
from . import examples as ex
from .base import ApiRequest, ApiView
from .reports import REPORT_EXAMPLE, ReportOut
from .schema import ErrorOut

# Named in SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"]: other "risk" and "format" fields have other choices.
DASHBOARD_RISKS = ["HIGH", "MEDIUM", "NONE", "UNANSWERED", "NOT_REVIEWED"]
CONSOLIDATED_FORMATS = ["pdf", "xlsx"]


class FilterFields(serializers.Serializer):
    team = serializers.UUIDField(required=False, help_text="A team you may see.")
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    risk = serializers.ChoiceField(
        choices=DASHBOARD_RISKS,
        required=False,
        help_text="The workload's highest risk.",
    )
    owner = serializers.IntegerField(required=False, help_text="A person who owns items with work left.")
    tag = serializers.CharField(required=False, max_length=200, help_text="key or key=value")


class ConsolidatedIn(FilterFields):
    saved_filter = serializers.UUIDField(
        required=False, help_text="One of your saved filters; used instead of the filter fields."
    )
    since = serializers.DateField(required=False, help_text="Start of the trend; default 180 days ago.")
    format = serializers.ChoiceField(choices=CONSOLIDATED_FORMATS, default="pdf")


def _form_data(data: dict) -> dict[str, str]:
    return {key: str(value) for key, value in data.items() if value not in (None, "")}


def _form_errors(form) -> dict[str, list[str]]:
    return {
        ("non_field_errors" if key == "__all__" else key): list(errors) for key, errors in form.errors.items()
    }


CONSOLIDATED_EXAMPLE = REPORT_EXAMPLE | {
    "review": None,
    "kind": "consolidated",
    "filename": "portfolio-security-report-2025-03-14.pdf",
    "scope": {"filters": {"environment": "PRODUCTION"}, "since": "2024-09-15", "label": "Production"},
    "download": f"/api/v1/reports/{ex.REPORT_ID}/download/",
}


class ConsolidatedReportList(ApiView):
    @extend_schema(
        operation_id="consolidated_reports_list",
        summary="Your consolidated reports, newest first",
        responses=ReportOut(many=True),
        examples=[OpenApiExample("Reports", value=CONSOLIDATED_EXAMPLE, response_only=True)],
        tags=["reports"],
    )
    def get(self, request: ApiRequest) -> Response:
        return self.paginated(consolidated_jobs_of(request.user), ReportOut)

    @extend_schema(
        operation_id="consolidated_reports_request",
        summary="Ask for a consolidated report across the workloads you may see",
        description="Choose workloads by team, environment, highest risk, item owner, tag or one of your saved "
        "filters. Poll /api/v1/reports/{id}/ until its state is DONE (progress shows how far it got), then "
        "fetch `download`. An identical report still being made is returned instead of a new one.",
        request=ConsolidatedIn,
        responses={
            202: ReportOut,
            400: OpenApiResponse(
                ErrorOut, description="A filter, date or format was refused; nothing was queued."
            ),
            503: OpenApiResponse(ErrorOut, description="The task queue is unreachable; nothing was queued."),
        },
        examples=[
            OpenApiExample(
                "Production, XLSX",
                value={"environment": "PRODUCTION", "since": "2024-09-15", "format": "xlsx"},
                request_only=True,
            ),
            OpenApiExample(
                "Queued",
                value=CONSOLIDATED_EXAMPLE
                | {"state": "QUEUED", "progress": 0, "filename": "", "size": 0, "finished_at": None}
                | {"download": None},
                response_only=True,
                status_codes=["202"],
            ),
        ],
        tags=["reports"],
    )
    def post(self, request: ApiRequest) -> Response:
        serializer = ConsolidatedIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        form = consolidated_report_form(request.user, _form_data(serializer.validated_data))
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        try:
            job = consolidated_request(
                actor=request.user, scope=form.scope(), fmt=form.cleaned_data["format"]
            )
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages) from exc
        except QueueUnavailable as exc:
            return Response({"detail": exc.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        job = ReportJob.objects.defer("content").get(pk=job.pk)
        return Response(ReportOut(job).data, status=status.HTTP_202_ACCEPTED)


class SavedFilterOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    filters = serializers.JSONField(help_text="The dashboard filters it stands for.")
    created_at = serializers.DateTimeField()


class SavedFilterIn(FilterFields):
    name = serializers.CharField(max_length=80)


SAVED_EXAMPLE = {
    "id": ex.REPORT_ID,
    "name": "Production, high risk",
    "filters": {"environment": "PRODUCTION", "risk": "HIGH"},
    "created_at": ex.WHEN,
}


class SavedFilterList(ApiView):
    @extend_schema(
        operation_id="dashboard_filters_list",
        summary="Your saved dashboard filters",
        responses=SavedFilterOut(many=True),
        examples=[OpenApiExample("Filters", value=SAVED_EXAMPLE, response_only=True)],
        tags=["dashboard"],
    )
    def get(self, request: ApiRequest) -> Response:
        return self.paginated(SavedFilter.objects.filter(user=request.user).order_by("name"), SavedFilterOut)

    @extend_schema(
        operation_id="dashboard_filters_create",
        summary="Save a dashboard filter under a name",
        request=SavedFilterIn,
        responses={
            201: SavedFilterOut,
            400: OpenApiResponse(ErrorOut, description="Refused; nothing saved."),
        },
        examples=[
            OpenApiExample(
                "Production, high risk",
                value={"name": "Production, high risk", "environment": "PRODUCTION", "risk": "HIGH"},
                request_only=True,
            ),
            OpenApiExample("Filter", value=SAVED_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["dashboard"],
    )
    def post(self, request: ApiRequest) -> Response:
        serializer = SavedFilterIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        name = data.pop("name")
        form = dashboard_filter_form(request.user, _form_data(data))
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        try:
            saved = saved_filter_create(user=request.user, name=name, filters=form.filters())
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return Response(SavedFilterOut(saved).data, status=status.HTTP_201_CREATED)


class SavedFilterDetail(ApiView):
    @extend_schema(
        operation_id="dashboard_filters_retrieve",
        summary="One of your saved filters",
        responses=SavedFilterOut,
        examples=[OpenApiExample("Filter", value=SAVED_EXAMPLE, response_only=True)],
        tags=["dashboard"],
    )
    def get(self, request: ApiRequest, filter_id) -> Response:
        return Response(SavedFilterOut(get_saved_filter_for_user(request.user, filter_id)).data)

    @extend_schema(
        operation_id="dashboard_filters_delete",
        summary="Delete one of your saved filters",
        responses={204: None},
        tags=["dashboard"],
    )
    def delete(self, request: ApiRequest, filter_id) -> Response:
        saved_filter_delete(saved=get_saved_filter_for_user(request.user, filter_id), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class QuestionRisksOut(serializers.Serializer):
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    none = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    unanswered = serializers.IntegerField()


class AreaRisksOut(QuestionRisksOut):
    area = serializers.CharField()


class DashboardTotalsOut(serializers.Serializer):
    workloads = serializers.IntegerField(help_text="Workloads you may see that match the filters.")
    reviewed = serializers.IntegerField(help_text="Of those, workloads with a review started.")
    questions = QuestionRisksOut(source="counts", help_text="Questions by risk, across those workloads.")
    open_high = serializers.IntegerField(help_text="Open or in-progress items of high level.")
    open_items = serializers.IntegerField()
    overdue = serializers.IntegerField()
    expiring = serializers.IntegerField(help_text="Accepted risks whose acceptance ends within 30 days.")
    by_area = AreaRisksOut(many=True, help_text="Questions by risk per best-practice area.")


TOTALS_EXAMPLE = {
    "workloads": 120,
    "reviewed": 112,
    "questions": {"high": 210, "medium": 304, "none": 640, "not_applicable": 41, "unanswered": 37},
    "open_high": 388,
    "open_items": 1260,
    "overdue": 57,
    "expiring": 4,
    "by_area": [
        {
            "area": "Security foundations",
            "high": 12,
            "medium": 30,
            "none": 70,
            "not_applicable": 0,
            "unanswered": 0,
        }
    ],
}


class DashboardTotals(ApiView):
    @extend_schema(
        operation_id="dashboard_totals",
        summary="The dashboard's totals across the workloads you may see",
        description="The same figures as the dashboard page, with the same filters, counted by the database.",
        parameters=[FilterFields],
        responses={
            200: DashboardTotalsOut,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Each filter that is not valid, with its reasons (field: [reason]).",
            ),
        },
        examples=[OpenApiExample("Totals", value=TOTALS_EXAMPLE, response_only=True)],
        tags=["dashboard"],
    )
    def get(self, request: ApiRequest) -> Response:
        fields = FilterFields(data=request.query_params)
        fields.is_valid(raise_exception=True)
        form = dashboard_filter_form(request.user, _form_data(fields.validated_data))
        if not form.is_valid():
            return Response(_form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        workloads = dashboard_workloads(request.user, form.filters())
        totals = dashboard_totals_for(workloads)
        by_area = [{"area": area, **counts} for area, counts in risk_by_area(workloads)]
        return Response(DashboardTotalsOut({**vars(totals), "by_area": by_area}).data)
