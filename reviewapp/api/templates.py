"""Review templates: list, create, read and change them (each change of answers a new version), and apply one
to a review, with `dry_run` for the per-question preview."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from questionnaire.models import Lens

from ..access import (
    Action,
    get_review_for_user,
    get_template_for_user,
    template_teams_for,
    templates_visible_to,
)
from ..models import ReviewTemplate
from ..selectors.templates import template_preview, template_version
from ..services import AnswerConflict
from ..services.templates import lens_mismatch, template_apply, template_create, template_update
from . import examples as ex
from .base import ApiRequest, ApiView

TEMPLATE_ID = "5b7d9f1a-3c5e-4a7b-9d1f-2e4a6c8e0b13"
ENTRIES_EXAMPLE = {
    "SEC1": {"selected": ["SEC01-BP01", "SEC01-BP02"], "notes": "Accounts come from the landing zone."},
    "SEC2": {"applicable": False, "reason": "OUT_OF_SCOPE"},
}
TEMPLATE_EXAMPLE = {
    "id": TEMPLATE_ID,
    "name": "Landing zone",
    "description": "What every workload in our landing zone inherits.",
    "team": ex.TEAM_ID,
    "lens": "wellarchitected-security",
    "version": 2,
    "updated_at": ex.WHEN,
}
TEMPLATE_DETAIL_EXAMPLE = TEMPLATE_EXAMPLE | {"entries": ENTRIES_EXAMPLE}
TEMPLATE_IN_EXAMPLE = {"name": "Landing zone", "description": "", "entries": ENTRIES_EXAMPLE}
APPLY_IN_EXAMPLE = {"template": TEMPLATE_ID, "overwrite": ["SEC2"], "dry_run": True}
APPLIED_EXAMPLE = {
    "template": TEMPLATE_ID,
    "version": 2,
    "dry_run": True,
    "changes": [
        {"code": "SEC1", "change": "fills", "entry": ENTRIES_EXAMPLE["SEC1"]},
        {"code": "SEC2", "change": "replaces", "entry": ENTRIES_EXAMPLE["SEC2"]},
    ],
    "filled": [],
    "replaced": [],
    "kept": [],
}


def _example(name: str, value: object, *, request: bool = False) -> OpenApiExample:
    return OpenApiExample(name, value=value, request_only=request, response_only=not request)


ENTRIES_HELP = (
    "Question code -> {selected: [BP codes], none_of_these, applicable, reason, choices_not_applicable: "
    "{BP code: reason}, choice_notes: {BP code: text}, notes}; questions left out are not in the template."
)


class TemplateOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    team = serializers.UUIDField(source="team_id", allow_null=True, help_text="null: the organisation's.")
    lens = serializers.CharField(source="lens.slug")
    version = serializers.IntegerField(help_text="The newest version: the one applying uses.")
    updated_at = serializers.DateTimeField()


class TemplateDetailOut(TemplateOut):
    entries = serializers.JSONField(help_text=ENTRIES_HELP)


class TemplateIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=2000, required=False, default="", allow_blank=True)
    entries = serializers.JSONField(help_text=ENTRIES_HELP)


class TemplateCreateIn(TemplateIn):
    team = serializers.UUIDField(required=False, allow_null=True, help_text="Left out or null: organisation.")
    lens = serializers.SlugField(help_text="The lens slug, e.g. wellarchitected-security.")


class ApplyIn(serializers.Serializer):
    template = serializers.UUIDField()
    overwrite = serializers.ListField(
        child=serializers.CharField(max_length=64),
        required=False,
        default=list,
        help_text="Question codes already answered differently whose answer the template replaces.",
    )
    dry_run = serializers.BooleanField(default=False, help_text="Only say what would change.")


class TemplateChangeOut(serializers.Serializer):
    code = serializers.CharField()
    change = serializers.CharField(help_text="fills, replaces (only if in overwrite), same or absent.")
    entry = serializers.JSONField()


class AppliedOut(serializers.Serializer):
    template = serializers.UUIDField()
    version = serializers.IntegerField()
    dry_run = serializers.BooleanField()
    changes = TemplateChangeOut(many=True)
    filled = serializers.ListField(child=serializers.CharField())
    replaced = serializers.ListField(child=serializers.CharField())
    kept = serializers.ListField(child=serializers.CharField())


def _detail(template: ReviewTemplate) -> dict:
    data = dict(TemplateOut(template).data)
    data["entries"] = template_version(template).entries
    return data


class TemplateList(ApiView):
    @extend_schema(
        summary="List the review templates you may use",
        responses=TemplateOut(many=True),
        examples=[_example("Templates", TEMPLATE_EXAMPLE)],
        tags=["templates"],
    )
    def get(self, request: ApiRequest) -> Response:
        templates = templates_visible_to(request.user).select_related("lens").order_by("name", "pk")
        return self.paginated(templates, TemplateOut)

    @extend_schema(
        summary="Create a review template (version 1)",
        request=TemplateCreateIn,
        responses={201: TemplateDetailOut},
        examples=[
            _example(
                "New template",
                TEMPLATE_IN_EXAMPLE | {"team": ex.TEAM_ID, "lens": "wellarchitected-security"},
                request=True,
            ),
            _example("Created", TEMPLATE_DETAIL_EXAMPLE | {"version": 1}),
        ],
        tags=["templates"],
    )
    def post(self, request: ApiRequest) -> Response:
        data = TemplateCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        teams, organisation = template_teams_for(request.user)
        team_id = data.validated_data.get("team")
        team = teams.filter(pk=team_id).first() if team_id else None
        if (team_id and team is None) or (not team_id and not organisation):
            raise PermissionDenied("You may keep templates only for teams where you may create workloads.")
        lens = Lens.objects.filter(slug=data.validated_data["lens"]).first()
        if lens is None:
            raise serializers.ValidationError({"lens": ["No such lens."]})
        template = template_create(
            actor=request.user,
            lens=lens,
            team=team,
            name=data.validated_data["name"],
            description=data.validated_data["description"],
            entries=data.validated_data["entries"],
        )
        return Response(_detail(template), status=status.HTTP_201_CREATED)


class TemplateDetail(ApiView):
    @extend_schema(
        summary="A review template with its newest answers",
        responses=TemplateDetailOut,
        examples=[_example("Template", TEMPLATE_DETAIL_EXAMPLE)],
        tags=["templates"],
    )
    def get(self, request: ApiRequest, template_id) -> Response:
        return Response(_detail(get_template_for_user(request.user, template_id)))

    @extend_schema(
        summary="Change a template: new answers make a new version",
        request=TemplateIn,
        responses=TemplateDetailOut,
        examples=[
            _example("New answers", TEMPLATE_IN_EXAMPLE, request=True),
            _example("Template", TEMPLATE_DETAIL_EXAMPLE),
        ],
        tags=["templates"],
    )
    def put(self, request: ApiRequest, template_id) -> Response:
        template = get_template_for_user(request.user, template_id, Action.EDIT)
        data = TemplateIn(data=request.data)
        data.is_valid(raise_exception=True)
        template = template_update(template=template, actor=request.user, **data.validated_data)
        return Response(_detail(ReviewTemplate.objects.select_related("lens").get(pk=template.pk)))


class ReviewTemplateApply(ApiView):
    @extend_schema(
        summary="Apply a template to a review (dry_run: preview only)",
        request=ApplyIn,
        responses=AppliedOut,
        examples=[
            _example("Preview", APPLY_IN_EXAMPLE, request=True),
            _example("What changes", APPLIED_EXAMPLE),
        ],
        tags=["templates"],
    )
    def post(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id, Action.EDIT)
        data = ApplyIn(data=request.data)
        data.is_valid(raise_exception=True)
        template = get_template_for_user(request.user, data.validated_data["template"])
        refusal = lens_mismatch(review, template)
        if refusal:
            raise serializers.ValidationError({"template": [refusal]})
        result = {
            "template": template.pk,
            "version": template.version,
            "dry_run": data.validated_data["dry_run"],
        }
        result.update(filled=[], replaced=[], kept=[])
        # What the template changes, as seen before applying it.
        changes = template_preview(review, template_version(template))
        result["changes"] = [
            {"code": row.code, "change": row.change.value, "entry": row.entry} for row in changes
        ]
        if not data.validated_data["dry_run"]:
            try:
                applied = template_apply(
                    review=review,
                    template=template,
                    actor=request.user,
                    overwrite=data.validated_data["overwrite"],
                )
            except AnswerConflict as conflict:
                return Response(
                    {"detail": f"{conflict.current.question.code} was saved meanwhile: preview again."},
                    status=status.HTTP_409_CONFLICT,
                )
            result.update(filled=applied.filled, replaced=applied.replaced, kept=applied.kept)
        changes = template_preview(review, template_version(template))
        result["changes"] = [
            {"code": row.code, "change": row.change.value, "entry": row.entry} for row in changes
        ]
        return Response(AppliedOut(result).data)
