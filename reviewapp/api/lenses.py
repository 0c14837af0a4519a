"""Lenses: read the catalogue, import AWS custom-lens JSON, export any lens version in that format."""

from __future__ import annotations

import json

from django.db.models import Count, Prefetch
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from questionnaire.catalogue import lens_version_doc
from questionnaire.lensformat import LensExportError, LensFormatError, export_custom_lens
from questionnaire.models import Lens, LensVersion

from ..access import require_administrator
from ..lib.display import with_display
from ..models import User
from ..services.lenses import LensConfirmMismatch, lens_import, lens_import_preview
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
from .parsers import DepthLimitedJSONParser
from .schema import ErrorOut


class LensVersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    # The output key "label" shadows DRF's Field.label attribute, for the type checker only.
    label = serializers.CharField(help_text="The version the file declares.")  # type: ignore[assignment]
    name = serializers.CharField()
    risk_model = serializers.ChoiceField(choices=LensVersion.RiskModel.choices)
    questions = serializers.IntegerField(source="question_count")
    created_at = serializers.DateTimeField()


class LensOut(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    description = serializers.CharField()
    kind = serializers.ChoiceField(choices=Lens.Kind.choices)
    current_version = LensVersionOut(source="latest_version", allow_null=True)
    created_at = serializers.DateTimeField()


class LensDetailOut(LensOut):
    versions = LensVersionOut(source="all_versions", many=True)


class LensPreviewIn(serializers.Serializer):
    slug = serializers.SlugField(
        required=False, max_length=100, help_text="Lens to import into; default: derived from the lens name."
    )
    # A plain object field: DRF's JSONField re-encodes strictly and would refuse a published lens's NaN.
    document = serializers.DictField(
        help_text="The custom-lens JSON (schemaVersion 2021-11-01) as an object."
    )
    strict = serializers.BooleanField(
        default=False, help_text="true: refuse the file if any repair was needed (any warning)."
    )


class LensImportIn(LensPreviewIn):
    confirm = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        help_text="The content_sha256 of the preview you accept: the import writes exactly that content.",
        error_messages={
            "required": "Preview the file first (POST lens-imports/preview/) and send its content_sha256 here.",
            "invalid": "Send the 64-character content_sha256 of the preview.",
        },
    )


class LensWarningOut(serializers.Serializer):
    path = serializers.CharField(help_text="JSON path in the file.")
    message = serializers.CharField(help_text="What was repaired, skipped or left out.")


class PreviewRuleOut(serializers.Serializer):
    condition = serializers.CharField()
    risk = serializers.ChoiceField(choices=["HIGH_RISK", "MEDIUM_RISK", "NO_RISK"])


class PreviewChoiceOut(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()


class PreviewQuestionOut(serializers.Serializer):
    id = serializers.CharField()
    title = serializers.CharField()
    choices = PreviewChoiceOut(many=True)
    risk_rules = PreviewRuleOut(many=True)


class PreviewPillarOut(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    questions = PreviewQuestionOut(many=True)


class PreviewCountsOut(serializers.Serializer):
    pillars = serializers.IntegerField()
    questions = serializers.IntegerField()
    choices = serializers.IntegerField()
    risk_rules = serializers.IntegerField()
    warnings = serializers.IntegerField()


class LensPreviewOut(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the output key shadows Field.label
    description = serializers.CharField(allow_blank=True)
    content_sha256 = serializers.CharField(help_text="Send this as `confirm` to import exactly this content.")
    already_stored_as_version = serializers.IntegerField(
        allow_null=True,
        help_text="The version number when this content is already stored (import is a no-op).",
    )
    counts = PreviewCountsOut()
    pillars = PreviewPillarOut(many=True)
    warnings = LensWarningOut(many=True)


class LensImportOut(serializers.Serializer):
    created = serializers.BooleanField(help_text="false: this content was already stored; nothing changed.")
    lens = LensOut()


class LensQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Lens.Kind.choices, required=False)
    ordering = ordering_field(["name", "slug", "created_at"], default="name")


class ExportQuery(serializers.Serializer):
    version = serializers.IntegerField(
        min_value=1, required=False, help_text="Version number; default: current."
    )


VERSION_EXAMPLE = {
    "number": 1,
    "label": "2025.1",
    "name": "Security pillar",
    "risk_model": "LEVELS",
    "questions": 11,
    "created_at": ex.WHEN,
}
LENS_EXAMPLE = {
    "slug": "wellarchitected-security",
    "name": "Security pillar",
    "description": "The Security pillar of the AWS Well-Architected Framework.",
    "kind": "BUILTIN",
    "current_version": VERSION_EXAMPLE,
    "created_at": ex.WHEN,
}
CUSTOM_LENS_DOCUMENT = {
    "schemaVersion": "2021-11-01",
    "name": "Payments controls",
    "description": "Controls our payments teams agreed on.",
    "_version": "2025.1",
    "pillars": [
        {
            "id": "payments",
            "name": "Payments",
            "questions": [
                {
                    "id": "card_data",
                    "title": "How do you keep card data out of logs?",
                    "choices": [
                        {
                            "id": "card_data_masked",
                            "title": "Card numbers are masked before logging",
                            "improvementPlan": {"displayText": "Mask card numbers in the logging library."},
                        },
                        {"id": "card_data_no", "title": "None of these"},
                    ],
                    "riskRules": [
                        {"condition": "card_data_masked", "risk": "NO_RISK"},
                        {"condition": "default", "risk": "HIGH_RISK"},
                    ],
                }
            ],
        }
    ],
}
CUSTOM_LENS_EXAMPLE = LENS_EXAMPLE | {
    "slug": "payments-controls",
    "name": "Payments controls",
    "description": "Controls our payments teams agreed on.",
    "kind": "CUSTOM",
    "current_version": VERSION_EXAMPLE | {"name": "Payments controls", "risk_model": "RULES", "questions": 1},
}


def _lenses():
    versions = LensVersion.objects.annotate(question_count=Count("questions")).order_by("-number")
    return Lens.objects.prefetch_related(Prefetch("versions", queryset=versions, to_attr="all_versions"))


def _shaped(lens: Lens) -> Lens:
    versions = vars(lens).get("all_versions") or []  # prefetched by _lenses()
    return with_display(lens, latest_version=versions[0] if versions else None)


class LensList(ApiView):
    @extend_schema(
        operation_id="lenses_list",
        summary="The lenses reviews can use",
        parameters=[LensQuery],
        responses=LensOut(many=True),
        examples=[OpenApiExample("Lenses", value=LENS_EXAMPLE, response_only=True)],
        tags=["lenses"],
    )
    def get(self, request: ApiRequest) -> Response:
        query = self.query(LensQuery)
        lenses = _lenses()
        if "kind" in query:
            lenses = lenses.filter(kind=query["kind"])
        return self.paginated([_shaped(lens) for lens in lenses.order_by(query["ordering"], "pk")], LensOut)


class LensFileParser(DepthLimitedJSONParser):
    """Published lens files may hold a bare `NaN` where a title or description is missing (Python's JSON writer
    puts it there). The lens reader skips or repairs those with a warning, so they must reach it."""

    strict = False


def _catalogue_admin(request: ApiRequest) -> User:
    """The administrator asking: the catalogue is shared by every team, so changing it is their job."""
    return require_administrator(request.user, "Only organisation administrators may import lenses.")


def _format_refusal(exc: LensFormatError) -> serializers.ValidationError:
    messages = [str(problem) for problem in exc.problems]
    field = "slug" if all(problem.path == "slug" for problem in exc.problems) else "document"
    return serializers.ValidationError({field: messages})


PREVIEW_EXAMPLE = {
    "slug": "payments-controls",
    "name": "Payments controls",
    "label": "2025.1",
    "description": "Controls our payments teams agreed on.",
    "content_sha256": "9f2c" + "0" * 60,
    "already_stored_as_version": None,
    "counts": {"pillars": 1, "questions": 1, "choices": 1, "risk_rules": 2, "warnings": 1},
    "pillars": [
        {
            "id": "payments",
            "name": "Payments",
            "questions": [
                {
                    "id": "card_data",
                    "title": "How do you keep card data out of logs?",
                    "choices": [
                        {"id": "card_data_masked", "title": "Card numbers are masked before logging"}
                    ],
                    "risk_rules": [
                        {"condition": "card_data_masked", "risk": "NO_RISK"},
                        {"condition": "default", "risk": "HIGH_RISK"},
                    ],
                }
            ],
        }
    ],
    "warnings": [
        {
            "path": "$.pillars[0].questions[0].choices[0].helpfulResource.url",
            "message": "surrounding whitespace removed",
        }
    ],
}


class LensImportPreview(ApiView):
    parser_classes = [LensFileParser]

    @extend_schema(
        operation_id="lenses_import_preview",
        summary="Preview an AWS custom-lens import (organisation administrators)",
        description="Reads the file completely and shows what an import would store: pillars, questions, "
        "choices, risk rules, and a warning (JSON path and message) for every repair made on the way "
        "(trimmed text, re-encoded links, skipped questions, an added default rule). Writes nothing. A file "
        "with any problem is refused with every problem at its path.",
        request=LensPreviewIn,
        responses={200: LensPreviewOut},
        examples=[
            OpenApiExample(
                "Custom lens",
                value={"slug": "payments-controls", "document": CUSTOM_LENS_DOCUMENT},
                request_only=True,
            ),
            OpenApiExample("Preview", value=PREVIEW_EXAMPLE, response_only=True),
        ],
        tags=["lenses"],
    )
    def post(self, request: ApiRequest) -> Response:
        _catalogue_admin(request)
        serializer = LensPreviewIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            preview = lens_import_preview(
                text=json.dumps(data["document"], ensure_ascii=False),
                slug=data.get("slug"),
                strict=data["strict"],
            )
        except LensFormatError as exc:
            raise _format_refusal(exc) from exc
        return Response(LensPreviewOut(preview).data)


class LensImport(ApiView):
    parser_classes = [LensFileParser]

    @extend_schema(
        operation_id="lenses_import",
        summary="Import an AWS custom lens (organisation administrators)",
        description="Preview the file first (lenses_import_preview), then send the same document with the "
        "preview's `content_sha256` as `confirm`: the import writes exactly the previewed content, atomically, "
        "or answers 409 when the document differs. Every problem in the file is reported at once, each as "
        "`<JSON path>: <message>`; a file with any problem changes nothing. Importing content that is already "
        "stored changes nothing either.",
        request=LensImportIn,
        responses={
            201: LensImportOut,
            200: LensImportOut,
            409: OpenApiResponse(ErrorOut, description="The document is not the one previewed."),
        },
        examples=[
            OpenApiExample(
                "Custom lens",
                value={
                    "slug": "payments-controls",
                    "document": CUSTOM_LENS_DOCUMENT,
                    "confirm": PREVIEW_EXAMPLE["content_sha256"],
                },
                request_only=True,
            ),
            OpenApiExample(
                "Imported",
                value={"created": True, "lens": CUSTOM_LENS_EXAMPLE},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Already stored",
                value={"created": False, "lens": CUSTOM_LENS_EXAMPLE},
                response_only=True,
                status_codes=["200"],
            ),
        ],
        tags=["lenses"],
    )
    def post(self, request: ApiRequest) -> Response:
        actor = _catalogue_admin(request)
        serializer = LensImportIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            version, created = lens_import(
                text=json.dumps(data["document"], ensure_ascii=False),
                actor=actor,
                slug=data.get("slug"),
                confirm=data["confirm"],
                strict=data["strict"],
            )
        except LensFormatError as exc:
            raise _format_refusal(exc) from exc
        except LensConfirmMismatch as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        lens = _shaped(_lenses().get(pk=version.lens_id))
        body = LensImportOut({"created": created, "lens": lens}).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class LensDetail(ApiView):
    @extend_schema(
        operation_id="lenses_retrieve",
        summary="A lens and its versions",
        responses=LensDetailOut,
        examples=[
            OpenApiExample("Lens", value=LENS_EXAMPLE | {"versions": [VERSION_EXAMPLE]}, response_only=True)
        ],
        tags=["lenses"],
    )
    def get(self, request: ApiRequest, slug: str) -> Response:
        lens = _lenses().filter(slug=slug).first()
        if lens is None:
            raise NotFound("No such lens.")
        return Response(LensDetailOut(_shaped(lens)).data)


class LensExport(ApiView):
    @extend_schema(
        operation_id="lenses_export",
        summary="A lens version as AWS custom-lens JSON",
        parameters=[
            ExportQuery,
            OpenApiParameter(
                "Content-Disposition",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                response=["200"],
                description="attachment; filename=<slug>-v<number>.json",
            ),
        ],  # fmt: skip
        responses={
            200: OpenApiResponse(
                {"type": "object", "additionalProperties": {}}, description="schemaVersion 2021-11-01 JSON."
            ),
            409: OpenApiResponse(
                ErrorOut, description="This lens cannot be expressed in the custom-lens format."
            ),
        },
        examples=[OpenApiExample("Custom lens", value=CUSTOM_LENS_DOCUMENT, response_only=True)],
        tags=["lenses"],
    )
    def get(self, request: ApiRequest, slug: str) -> Response:
        query = self.query(ExportQuery)
        versions = LensVersion.objects.select_related("lens").filter(lens__slug=slug)
        version = (
            versions.filter(number=query["version"]).first()
            if "version" in query
            else versions.order_by("-number").first()
        )
        if version is None:
            raise NotFound("No such lens or version.")
        try:
            data = export_custom_lens(lens_version_doc(version))
        except LensExportError as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        filename = f"{version.lens.slug}-v{version.number}.json"
        return Response(data, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
