"""Round trips with the AWS Well-Architected Tool for one review: link or create the workload there, import its
answers, and export ours after a dry run whose digest the client sends back to confirm."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drf_spectacular.utils import OpenApiExample, OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import Action, get_review_for_user
from ..lib.display import with_display
from ..models import Review
from ..wellarchitected import (
    MILESTONE_NAME_MAX,
    ExportPlanChanged,
    LensVersionMismatch,
    WaToolError,
    export_plan,
    lens_upgrade,
    wa_create,
    wa_export,
    wa_import,
    wa_link,
)
from .base import ApiRequest, ApiView
from .schema import ErrorOut

ARN_EXAMPLE = "arn:aws:wellarchitected:eu-west-1:111122223333:workload/0123456789abcdef0123456789abcdef"
TAGS = ["well-architected tool"]
ARN_FIELD: dict[str, Any] = {
    "required": False,
    "allow_blank": True,
    "default": "",
    "max_length": 200,
    "help_text": "The workload's ARN in the tool; default: the workload this review is linked to.",
}


class ImportIn(serializers.Serializer):
    workload_arn = serializers.CharField(**ARN_FIELD)
    dry_run = serializers.BooleanField(
        default=False, help_text="true: report what would change, save nothing."
    )


class ExportIn(serializers.Serializer):
    workload_arn = serializers.CharField(**ARN_FIELD)
    milestone_name = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MILESTONE_NAME_MAX,
        help_text="Also save a milestone there with this name (3-100 characters).",
    )
    dry_run = serializers.BooleanField(
        default=False, help_text="true: answer the per-question diff and its digest; write nothing."
    )
    confirm = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        required=False,
        help_text="The digest of the dry run you accept; required to write.",
    )

    def validate(self, attrs: dict) -> dict:
        if not attrs["dry_run"] and "confirm" not in attrs:
            raise serializers.ValidationError(
                {"confirm": ["Run the export with dry_run=true first and send its digest here to write it."]}
            )
        return attrs


class LinkIn(serializers.Serializer):
    workload = serializers.CharField(
        max_length=200,
        help_text="The tool workload's ARN, or its 32-character id with account_id and region.",
    )
    account_id = serializers.RegexField(r"^\d{12}$", required=False, default="")
    region = serializers.CharField(required=False, default="", max_length=32)


class CreateIn(serializers.Serializer):
    account_id = serializers.RegexField(r"^\d{12}$", help_text="A connected AWS account of the workload.")
    region = serializers.CharField(
        max_length=32, help_text="Where the tool keeps the workload, e.g. eu-west-1."
    )


class UpgradeIn(serializers.Serializer):
    milestone_name = serializers.CharField(
        max_length=MILESTONE_NAME_MAX, help_text="The milestone the tool saves before upgrading (3-100)."
    )


class UnmappedChoiceOut(serializers.Serializer):
    question_id = serializers.CharField(help_text="The tool's QuestionId.")
    choice_id = serializers.CharField(help_text="The tool's ChoiceId that matches no best practice here.")


class ImportReportOut(serializers.Serializer):
    workload_arn = serializers.CharField()
    dry_run = serializers.BooleanField()
    lens_version = serializers.CharField(help_text="The tool's lens version.")
    changed = serializers.ListField(child=serializers.CharField(), help_text="Question codes changed here.")
    unchanged = serializers.ListField(child=serializers.CharField())
    not_answered_there = serializers.ListField(
        child=serializers.CharField(), help_text="Left as they are here."
    )
    missing_there = serializers.ListField(
        child=serializers.CharField(), help_text="Questions of this review the tool workload lacks."
    )
    unmapped_questions = serializers.ListField(child=serializers.CharField())
    unmapped_choices = UnmappedChoiceOut(many=True, source="unmapped_choice_rows")


class ChangeOut(serializers.Serializer):
    field = serializers.CharField(
        help_text="selected, not_applicable, choice_notes, is_applicable, reason or notes."
    )
    before = serializers.JSONField(help_text="In the tool now.")
    after = serializers.JSONField(help_text="In the tool after the export.")


class QuestionPlanOut(serializers.Serializer):
    question = serializers.CharField(source="code")
    question_id = serializers.CharField()
    changes = ChangeOut(many=True)
    kept_unknown = serializers.ListField(
        child=serializers.CharField(),
        help_text="Choices selected in the tool that this app does not know: kept.",
    )
    none_withheld = serializers.BooleanField(
        help_text="true: 'None of these' is not sent because the tool has unknown choices selected."
    )


class ExportPlanOut(serializers.Serializer):
    dry_run = serializers.BooleanField(default=True)
    digest = serializers.CharField(help_text="Send as `confirm` to write exactly this.")
    workload_arn = serializers.CharField()
    milestone_name = serializers.CharField(allow_blank=True)
    lens_version = serializers.CharField()
    questions = QuestionPlanOut(many=True, help_text="The questions that would change, tool now -> after.")
    unchanged = serializers.ListField(child=serializers.CharField())
    not_answered_here = serializers.ListField(child=serializers.CharField())
    missing_there = serializers.ListField(child=serializers.CharField())
    no_choices_there = serializers.ListField(
        child=serializers.CharField(), help_text="Listed by the tool without Choices: skipped."
    )
    unmapped_questions = serializers.ListField(child=serializers.CharField())
    unmapped_practices = serializers.ListField(child=serializers.CharField())
    none_withheld = serializers.ListField(
        child=serializers.CharField(),
        help_text="'None of these' here, not sent: the tool has choices selected that this app does not know.",
    )


class ExportReportOut(serializers.Serializer):
    workload_arn = serializers.CharField()
    updated = serializers.ListField(child=serializers.CharField(), help_text="Question codes written there.")
    unchanged = serializers.ListField(child=serializers.CharField())
    not_answered_here = serializers.ListField(child=serializers.CharField(), help_text="Not sent.")
    missing_there = serializers.ListField(child=serializers.CharField())
    no_choices_there = serializers.ListField(child=serializers.CharField())
    unmapped_questions = serializers.ListField(child=serializers.CharField())
    unmapped_practices = serializers.ListField(
        child=serializers.CharField(), help_text="Best practices with no choice there, not sent."
    )
    kept_unknown = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Question code -> tool choices unknown here that stayed selected.",
    )
    milestone_number = serializers.IntegerField(allow_null=True)


class LinkOut(serializers.Serializer):
    workload_arn = serializers.CharField()
    created_in_tool = serializers.BooleanField()


class UpgradeOut(serializers.Serializer):
    lens_version = serializers.CharField(help_text="The tool's lens version after the upgrade.")


class MismatchOut(serializers.Serializer):
    detail = serializers.CharField()
    tool_lens_version = serializers.CharField()
    can_upgrade = serializers.BooleanField(help_text="true: POST wa-tool/upgrade/ resolves it.")


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
MISMATCH = OpenApiResponse(MismatchOut, description="The tool's lens version differs; nothing was synced.")
LINK_EXAMPLE = OpenApiExample(
    "Linked", value={"workload_arn": ARN_EXAMPLE, "created_in_tool": False}, response_only=True
)
PLAN_EXAMPLE = {
    "dry_run": True,
    "digest": "3f1d" + "0" * 60,
    "workload_arn": ARN_EXAMPLE,
    "milestone_name": "Q2 review",
    "lens_version": "2024-06-27",
    "questions": [
        {
            "question": "SEC3",
            "question_id": "permissions",
            "changes": [
                {
                    "field": "selected",
                    "before": ["sec_permissions_define", "sec_permissions_new_2025"],
                    "after": [
                        "sec_permissions_define",
                        "sec_permissions_least_privileges",
                        "sec_permissions_new_2025",
                    ],
                }
            ],
            "kept_unknown": ["sec_permissions_new_2025"],
            "none_withheld": False,
        }
    ],
    "unchanged": ["SEC1"],
    "not_answered_here": ["SEC4"],
    "missing_there": [],
    "no_choices_there": [],
    "unmapped_questions": [],
    "unmapped_practices": [],
    "none_withheld": [],
}
EXPORTED_EXAMPLE = {
    "workload_arn": ARN_EXAMPLE,
    "updated": ["SEC3"],
    "unchanged": ["SEC1"],
    "not_answered_here": ["SEC4"],
    "missing_there": [],
    "no_choices_there": [],
    "unmapped_questions": [],
    "unmapped_practices": [],
    "kept_unknown": {"SEC3": ["sec_permissions_new_2025"]},
    "milestone_number": 3,
}


def _guarded(action: Callable[[], Response]) -> Response:
    """The tool's refusals as answers a client can act on: 409 for a lens mismatch or a changed plan, 502."""
    try:
        return action()
    except LensVersionMismatch as exc:
        body = {"detail": str(exc), "tool_lens_version": exc.tool_version, "can_upgrade": exc.can_upgrade}
        return Response(body, status=status.HTTP_409_CONFLICT)
    except ExportPlanChanged as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    except WaToolError as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_502_BAD_GATEWAY)


class _WaToolView(ApiView):
    input_class: type[serializers.Serializer]

    def review_and_input(self, request: ApiRequest, review_id: Any) -> tuple[Review, dict]:
        review = get_review_for_user(request.user, review_id, Action.EDIT)
        serializer = self.input_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return review, serializer.validated_data


class WaToolImport(_WaToolView):
    input_class = ImportIn

    @extend_schema(
        operation_id="wa_tool_import",
        summary="Import a review's answers from the AWS Well-Architected Tool",
        description="Checks the tool's lens version (GetLensReview), then reads the Security pillar answers "
        "of the tool's workload (every ListAnswers page, GetAnswer for notes and choice notes). Questions "
        "answered there replace the answers here when they differ, all or nothing; reasons come across 1:1; "
        "choices that match no best practice here and questions missing on either side are listed.",
        request=ImportIn,
        responses={200: ImportReportOut, 409: MISMATCH, 502: UPSTREAM_ERROR},
        examples=[
            OpenApiExample("Import", value={"workload_arn": ARN_EXAMPLE, "dry_run": True}, request_only=True),
            OpenApiExample(
                "Imported",
                value={
                    "workload_arn": ARN_EXAMPLE,
                    "dry_run": True,
                    "lens_version": "2024-06-27",
                    "changed": ["SEC1", "SEC3"],
                    "unchanged": ["SEC2"],
                    "not_answered_there": ["SEC4"],
                    "missing_there": [],
                    "unmapped_questions": [],
                    "unmapped_choices": [
                        {"question_id": "permissions", "choice_id": "sec_permissions_new_2025"}
                    ],
                },
                response_only=True,
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review, data = self.review_and_input(request, review_id)

        def run() -> Response:
            report = wa_import(review=review, actor=request.user, **data)
            rows = [{"question_id": q, "choice_id": choice} for q, choice in report.unmapped_choices]
            with_display(report, unmapped_choice_rows=rows)
            return Response(ImportReportOut(report).data)

        return _guarded(run)


class WaToolExport(_WaToolView):
    input_class = ExportIn

    @extend_schema(
        operation_id="wa_tool_export",
        summary="Export a review's answers to the AWS Well-Architected Tool (dry run, then confirm)",
        description="With dry_run=true: the per-question diff of the tool's answers now and after the export, "
        "and its digest; nothing is written. Then the same call with confirm=<digest> writes it (UpdateAnswer "
        "per changed question, then optionally CreateMilestone), or answers 409 if the tool or the review "
        "changed meanwhile. Choices selected in the tool that this app does not know stay selected; questions "
        "the tool lists without choices are skipped and reported.",
        request=ExportIn,
        responses={
            200: OpenApiResponse(
                PolymorphicProxySerializer(
                    component_name="WaToolExportResult",
                    serializers=[ExportPlanOut, ExportReportOut],
                    resource_type_field_name=None,
                ),
                description="The dry run (dry_run=true), or what was written.",
            ),
            409: MISMATCH,
            502: UPSTREAM_ERROR,
        },
        examples=[
            OpenApiExample(
                "Dry run", value={"milestone_name": "Q2 review", "dry_run": True}, request_only=True
            ),
            OpenApiExample(
                "Confirm",
                value={"milestone_name": "Q2 review", "confirm": "3f1d" + "0" * 60},
                request_only=True,
            ),
            OpenApiExample("The dry run", value=PLAN_EXAMPLE, response_only=True),
            OpenApiExample("Written", value=EXPORTED_EXAMPLE, response_only=True),
        ],
        tags=TAGS,
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review, data = self.review_and_input(request, review_id)
        common = {
            "review": review,
            "workload_arn": data["workload_arn"],
            "milestone_name": data["milestone_name"],
        }

        def run() -> Response:
            if data["dry_run"]:
                plan = export_plan(**common)
                return Response(ExportPlanOut(plan).data)
            report = wa_export(actor=request.user, confirm=data["confirm"], **common)
            return Response(ExportReportOut(report).data)

        return _guarded(run)


class WaToolLinkView(_WaToolView):
    input_class = LinkIn

    @extend_schema(
        operation_id="wa_tool_link",
        summary="Link a review to an existing workload in the AWS Well-Architected Tool",
        description="Reads the workload (GetWorkload) and its lenses (ListLensReviews) first: it must use the "
        "Well-Architected Framework lens. Later imports and exports use the link.",
        request=LinkIn,
        responses={200: LinkOut, 502: UPSTREAM_ERROR},
        examples=[OpenApiExample("By ARN", value={"workload": ARN_EXAMPLE}, request_only=True), LINK_EXAMPLE],
        tags=TAGS,
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review, data = self.review_and_input(request, review_id)
        return _guarded(
            lambda: Response(
                LinkOut(
                    wa_link(
                        review=review,
                        actor=request.user,
                        workload_ref=data["workload"],
                        account_id=data["account_id"],
                        region=data["region"],
                    )
                ).data
            )
        )


class WaToolCreate(_WaToolView):
    input_class = CreateIn

    @extend_schema(
        operation_id="wa_tool_create",
        summary="Create the review's workload in the AWS Well-Architected Tool and link it",
        description="CreateWorkload with the workload's name, description, environment, regions, review owner "
        "and the Well-Architected lens, in a connected account.",
        request=CreateIn,
        responses={201: LinkOut, 502: UPSTREAM_ERROR},
        examples=[
            OpenApiExample(
                "Create", value={"account_id": "111122223333", "region": "eu-west-1"}, request_only=True
            ),
            OpenApiExample(
                "Created",
                value={"workload_arn": ARN_EXAMPLE, "created_in_tool": True},
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=TAGS,
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review, data = self.review_and_input(request, review_id)
        return _guarded(
            lambda: Response(
                LinkOut(wa_create(review=review, actor=request.user, **data)).data,
                status=status.HTTP_201_CREATED,
            )
        )


class WaToolUpgrade(_WaToolView):
    input_class = UpgradeIn

    @extend_schema(
        operation_id="wa_tool_upgrade",
        summary="Upgrade the linked tool workload's lens review to the tool's current lens version",
        description="UpgradeLensReview; the tool first saves the named milestone of the old answers.",
        request=UpgradeIn,
        responses={200: UpgradeOut, 502: UPSTREAM_ERROR},
        examples=[
            OpenApiExample("Upgrade", value={"milestone_name": "Before lens upgrade"}, request_only=True),
            OpenApiExample("Upgraded", value={"lens_version": "2024-06-27"}, response_only=True),
        ],
        tags=TAGS,
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review, data = self.review_and_input(request, review_id)
        return _guarded(
            lambda: Response(
                UpgradeOut({"lens_version": lens_upgrade(review=review, actor=request.user, **data)}).data
            )
        )
