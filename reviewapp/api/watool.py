"""Round trips with the AWS Well-Architected Tool for one review: import its answers, or export ours."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import Action, get_review_for_user
from ..lib.display import with_display
from ..wellarchitected import MILESTONE_NAME_MAX, WaToolError, wa_export, wa_import
from .base import ApiRequest, ApiView
from .schema import ErrorOut

ARN_EXAMPLE = "arn:aws:wellarchitected:eu-west-1:111122223333:workload/0123456789abcdef0123456789abcdef"


class ImportIn(serializers.Serializer):
    workload_arn = serializers.CharField(max_length=200, help_text="The workload's ARN in the tool.")
    dry_run = serializers.BooleanField(
        default=False, help_text="true: report what would change, save nothing."
    )


class ExportIn(serializers.Serializer):
    workload_arn = serializers.CharField(max_length=200, help_text="The workload's ARN in the tool.")
    milestone_name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=MILESTONE_NAME_MAX,
        help_text="Also save a milestone there with this name (3-100 characters).",
    )


class UnmappedChoiceOut(serializers.Serializer):
    question_id = serializers.CharField(help_text="The tool's QuestionId.")
    choice_id = serializers.CharField(help_text="The tool's ChoiceId that matches no best practice here.")


class ImportReportOut(serializers.Serializer):
    workload_arn = serializers.CharField()
    dry_run = serializers.BooleanField()
    changed = serializers.ListField(child=serializers.CharField(), help_text="Question codes changed here.")
    unchanged = serializers.ListField(child=serializers.CharField())
    not_answered_there = serializers.ListField(
        child=serializers.CharField(), help_text="Left as they are here."
    )
    unmapped_questions = serializers.ListField(child=serializers.CharField())
    unmapped_choices = UnmappedChoiceOut(many=True, source="unmapped_choice_rows")


class ExportReportOut(serializers.Serializer):
    workload_arn = serializers.CharField()
    updated = serializers.ListField(child=serializers.CharField(), help_text="Question codes written there.")
    not_answered_here = serializers.ListField(child=serializers.CharField(), help_text="Not sent.")
    missing_there = serializers.ListField(child=serializers.CharField())
    unmapped_practices = serializers.ListField(
        child=serializers.CharField(), help_text="Best practices with no choice there, not sent."
    )
    milestone_number = serializers.IntegerField(allow_null=True)


UPSTREAM_ERROR = OpenApiResponse(
    ErrorOut,
    description="AWS refused or could not be reached; nothing was changed here.",
    examples=[
        OpenApiExample(
            "Refused",
            value={
                "detail": "The Well-Architected Tool refused: Access denied to ListAnswers: the role lacks "
                "this permission (AccessDeniedException: not allowed)"
            },
        )
    ],
)


def _upstream(exc: WaToolError) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_502_BAD_GATEWAY)


class WaToolImport(ApiView):
    @extend_schema(
        operation_id="wa_tool_import",
        summary="Import a review's answers from the AWS Well-Architected Tool",
        description="Reads the Security pillar answers of the tool's workload (every page) through the "
        "connected account's role. Questions answered there replace the answers here when they differ, all "
        "or nothing; choices that match no best practice here are listed, not imported.",
        request=ImportIn,
        responses={200: ImportReportOut, 502: UPSTREAM_ERROR},
        examples=[
            OpenApiExample(
                "Import", value={"workload_arn": ARN_EXAMPLE, "dry_run": False}, request_only=True
            ),
            OpenApiExample(
                "Imported",
                value={
                    "workload_arn": ARN_EXAMPLE,
                    "dry_run": False,
                    "changed": ["SEC1", "SEC3"],
                    "unchanged": ["SEC2"],
                    "not_answered_there": ["SEC4"],
                    "unmapped_questions": [],
                    "unmapped_choices": [
                        {"question_id": "securely-operate", "choice_id": "sec_new_practice"}
                    ],
                },
                response_only=True,
            ),
        ],
        tags=["well-architected tool"],
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id, Action.EDIT)
        serializer = ImportIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            report = wa_import(review=review, actor=request.user, **serializer.validated_data)
        except WaToolError as exc:
            return _upstream(exc)
        rows = [
            {"question_id": question, "choice_id": choice} for question, choice in report.unmapped_choices
        ]
        with_display(report, unmapped_choice_rows=rows)
        return Response(ImportReportOut(report).data)


class WaToolExport(ApiView):
    @extend_schema(
        operation_id="wa_tool_export",
        summary="Export a review's answers to the AWS Well-Architected Tool",
        description="UpdateAnswer for every question answered here (selected choices, not-applicable choices "
        "with their reasons, notes, whether the question applies), then optionally CreateMilestone.",
        request=ExportIn,
        responses={200: ExportReportOut, 502: UPSTREAM_ERROR},
        examples=[
            OpenApiExample(
                "Export",
                value={"workload_arn": ARN_EXAMPLE, "milestone_name": "Q2 review"},
                request_only=True,
            ),
            OpenApiExample(
                "Exported",
                value={
                    "workload_arn": ARN_EXAMPLE,
                    "updated": ["SEC1", "SEC2", "SEC3"],
                    "not_answered_here": ["SEC4"],
                    "missing_there": [],
                    "unmapped_practices": [],
                    "milestone_number": 3,
                },
                response_only=True,
            ),
        ],
        tags=["well-architected tool"],
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id, Action.EDIT)
        serializer = ExportIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            report = wa_export(review=review, actor=request.user, **serializer.validated_data)
        except WaToolError as exc:
            return _upstream(exc)
        return Response(ExportReportOut(report).data)
