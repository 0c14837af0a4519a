"""Evidence runs: start a collection for a workload, follow its progress, cancel it, read its findings.

Through the same services as the web pages (checks.services), so runs are audited, one run per workload is
active at a time, and a run whose queue is down leaves nothing behind.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Count
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from checks import services as evidence
from checks.models import EvidenceRun, EvidenceTask, FindingStatus, RunState, Severity, TaskState
from checks.registry import get_check
from checks.selectors import FindingFilters, findings_of, status_counts

from ..access import Action, get_run_for_user, get_workload_for_user
from ..lib.display import with_display
from ..lib.queue import QueueUnavailable
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
from .pagination import Key, KeysetPagination
from .schema import ErrorOut


class RunOut(serializers.Serializer):
    id = serializers.UUIDField()
    workload = serializers.UUIDField(source="workload_id")
    state = serializers.ChoiceField(choices=RunState.choices)
    trigger = serializers.CharField()
    started_by = serializers.CharField(source="started_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    total_tasks = serializers.IntegerField()
    done_tasks = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Tasks done, in percent.")
    error = serializers.CharField(help_text="Why the run failed or was cancelled; empty otherwise.")


class TaskCountsOut(serializers.Serializer):
    queued = serializers.IntegerField()
    running = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class FindingCountsOut(serializers.Serializer):
    passed = serializers.IntegerField(source="PASS")
    failed = serializers.IntegerField(source="FAIL")
    error = serializers.IntegerField(source="ERROR")
    not_applicable = serializers.IntegerField(source="NOT_APPLICABLE")


class RunDetailOut(RunOut):
    tasks = TaskCountsOut(source="task_counts", help_text="Tasks (account x region x check group) by state.")
    findings = FindingCountsOut(source="finding_counts")


class FindingOut(serializers.Serializer):
    check_id = serializers.CharField()
    check_title = serializers.SerializerMethodField()
    best_practices = serializers.ListField(child=serializers.CharField(), source="bp_codes")
    status = serializers.ChoiceField(choices=FindingStatus.choices)
    severity = serializers.ChoiceField(choices=Severity.choices)
    account_id = serializers.CharField(help_text="The account AWS said the session belonged to.")
    region = serializers.CharField()
    resource_arn = serializers.CharField()
    message = serializers.CharField()
    remediation = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()

    def get_check_title(self, finding) -> str:
        check = get_check(finding.check_id)
        return check.title if check else finding.check_id

    def get_remediation(self, finding) -> str:
        check = get_check(finding.check_id)
        return check.remediation if check else ""


class RunQuery(serializers.Serializer):
    state = serializers.ChoiceField(choices=RunState.choices, required=False)
    ordering = ordering_field(["created_at"], default="-created_at")


class FindingQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=FindingStatus.choices, required=False)
    check_id = serializers.CharField(required=False, max_length=64)
    account_id = serializers.RegexField(r"^\d{12}$", required=False)
    region = serializers.CharField(required=False, max_length=32)
    ordering = ordering_field(
        ["status", "check_id", "account_id", "region"],
        default="status",
        help_text="status puts failures first; also check_id, account_id or region; prefix - for descending.",
    )


RUN_EXAMPLE = {
    "id": ex.RUN_ID,
    "workload": ex.WORKLOAD_ID,
    "state": "RUNNING",
    "trigger": "MANUAL",
    "started_by": ex.USERNAME,
    "created_at": ex.WHEN,
    "started_at": ex.WHEN,
    "finished_at": None,
    "total_tasks": 12,
    "done_tasks": 5,
    "percent": 42,
    "error": "",
}
RUN_DETAIL_EXAMPLE = RUN_EXAMPLE | {
    "tasks": {"queued": 6, "running": 1, "succeeded": 5, "failed": 0, "cancelled": 0},
    "findings": {"passed": 31, "failed": 4, "error": 1, "not_applicable": 2},
}
FINDING_EXAMPLE = {
    "check_id": "iam.root_mfa",
    "check_title": "The root user has MFA",
    "best_practices": ["SEC02-BP01"],
    "status": "FAIL",
    "severity": "HIGH",
    "account_id": "111122223333",
    "region": "global",
    "resource_arn": "arn:aws:iam::111122223333:root",
    "message": "The root user of 111122223333 has no MFA device.",
    "remediation": "Add a hardware MFA device to the root user and lock the credentials away.",
    "created_at": ex.WHEN,
}
CONFLICT = OpenApiResponse(
    ErrorOut,
    description="The run's state does not allow this (a run is still active, or this one already ended).",
    examples=[OpenApiExample("Active", value={"detail": "A collection started at 09:26 is still running."})],
)
QUEUE_DOWN = OpenApiResponse(
    ErrorOut,
    description="The task queue is unreachable; nothing was started.",
    examples=[OpenApiExample("Queue down", value={"detail": "Evidence collection could not be queued."})],
)


def _detail(run: EvidenceRun) -> dict:
    counts = dict(
        EvidenceTask.objects.filter(run=run).values_list("state").annotate(n=Count("id")).order_by()
    )
    with_display(
        run,
        task_counts={state.lower(): counts.get(state, 0) for state in TaskState.values},
        finding_counts=status_counts(run),
    )
    return RunDetailOut(run).data


def _conflict(message: str) -> Response:
    return Response({"detail": message}, status=status.HTTP_409_CONFLICT)


class RunList(ApiView):
    @extend_schema(
        operation_id="evidence_runs_list",
        summary="A workload's evidence runs, newest first",
        parameters=[RunQuery],
        responses=RunOut(many=True),
        examples=[OpenApiExample("Runs", value=RUN_EXAMPLE, response_only=True)],
        tags=["evidence"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        query = self.query(RunQuery)
        runs = EvidenceRun.objects.filter(workload=workload).select_related("started_by")
        if "state" in query:
            runs = runs.filter(state=query["state"])
        return self.paginated(runs.order_by(query["ordering"], "pk"), RunOut)

    @extend_schema(
        operation_id="evidence_runs_start",
        summary="Start collecting evidence from the workload's connected AWS accounts",
        request=None,
        responses={202: RunDetailOut, 409: CONFLICT, 503: QUEUE_DOWN},
        examples=[
            OpenApiExample(
                "Queued",
                value=RUN_DETAIL_EXAMPLE | {"state": "QUEUED", "done_tasks": 0, "percent": 0},
                response_only=True,
                status_codes=["202"],
            )
        ],
        tags=["evidence"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
        try:
            run = evidence.run_start(workload=workload, actor=request.user)
        except evidence.RunAlreadyActive as exc:
            return _conflict(exc.messages[0])
        except QueueUnavailable as exc:
            return Response({"detail": exc.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        # With the embedded eager queue the run may already have finished: report it as it is now.
        run = get_run_for_user(request.user, run.pk)
        return Response(_detail(run), status=status.HTTP_202_ACCEPTED)


class RunDetail(ApiView):
    @extend_schema(
        operation_id="evidence_runs_retrieve",
        summary="An evidence run's state and progress",
        responses=RunDetailOut,
        examples=[OpenApiExample("Run", value=RUN_DETAIL_EXAMPLE, response_only=True)],
        tags=["evidence"],
    )
    def get(self, request: ApiRequest, run_id) -> Response:
        return Response(_detail(get_run_for_user(request.user, run_id)))


class RunCancel(ApiView):
    @extend_schema(
        operation_id="evidence_runs_cancel",
        summary="Cancel an active evidence run",
        request=None,
        responses={200: RunDetailOut, 409: CONFLICT},
        examples=[
            OpenApiExample(
                "Cancelled",
                value=RUN_DETAIL_EXAMPLE | {"state": "CANCELLED", "error": "Cancelled by Olivia Owner."},
                response_only=True,
            )
        ],
        tags=["evidence"],
    )
    def post(self, request: ApiRequest, run_id) -> Response:
        run = get_run_for_user(request.user, run_id, Action.EDIT)
        try:
            evidence.run_cancel(run=run, actor=request.user)
        except ValidationError as exc:
            return _conflict(exc.messages[0])
        return Response(_detail(get_run_for_user(request.user, run_id)))


class RunFindings(ApiView):
    pagination_class = KeysetPagination

    @extend_schema(
        operation_id="evidence_runs_findings",
        summary="The findings of an evidence run",
        parameters=[FindingQuery],
        responses=FindingOut(many=True),
        examples=[OpenApiExample("Findings", value=FINDING_EXAMPLE, response_only=True)],
        tags=["evidence"],
    )
    def get(self, request: ApiRequest, run_id) -> Response:
        run = get_run_for_user(request.user, run_id)
        query = self.query(FindingQuery)
        filters = FindingFilters(
            **{key: query.get(key, "") for key in ("status", "check_id", "account_id", "region")}
        )
        field = query["ordering"].lstrip("-")
        keys = [Key(field, query["ordering"].startswith("-"))]
        keys += [Key(name) for name in FINDING_ORDER if name != field]
        paginator = KeysetPagination()
        page = paginator.page(findings_of(run, filters), keys, request)
        return paginator.get_paginated_response(FindingOut(page, many=True).data)


# Ties after the chosen ordering: a run can hold tens of thousands of findings, so they page by keyset.
FINDING_ORDER = ("status", "check_id", "account_id", "region", "resource_arn", "pk")
