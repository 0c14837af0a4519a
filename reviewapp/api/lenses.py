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
from ..services.lenses import lens_import
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
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


class LensImportIn(serializers.Serializer):
    slug = serializers.SlugField(
        required=False, max_length=100, help_text="Lens to import into; default: derived from the lens name."
    )
    document = serializers.JSONField(
        help_text="The custom-lens JSON (schemaVersion 2021-11-01) as an object."
    )


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


class LensImport(ApiView):
    @extend_schema(
        operation_id="lenses_import",
        summary="Import an AWS custom lens (organisation administrators)",
        description="Every problem in the file is reported at once, each as `<JSON path>: <message>`; a file "
        "with any problem changes nothing. Importing content that is already stored changes nothing either.",
        request=LensImportIn,
        responses={201: LensImportOut, 200: LensImportOut},
        examples=[
            OpenApiExample(
                "Custom lens",
                value={"slug": "payments-controls", "document": CUSTOM_LENS_DOCUMENT},
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
        # The catalogue is shared by every team, so changing it is an organisation administrator's job.
        actor = require_administrator(request.user, "Only organisation administrators may import lenses.")
        serializer = LensImportIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = json.dumps(serializer.validated_data["document"], ensure_ascii=False)
        try:
            version, created = lens_import(text=text, actor=actor, slug=serializer.validated_data.get("slug"))
        except LensFormatError as exc:
            messages = [str(problem) for problem in exc.problems]
            field = "slug" if all(problem.path == "slug" for problem in exc.problems) else "document"
            raise serializers.ValidationError({field: messages}) from exc
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
