"""Workloads: list, create, read, update and archive, with the same rules as the web pages."""

from __future__ import annotations

import re

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from questionnaire.models import max_length

from ..access import Action, get_workload_for_user, teams_visible_to, teams_writable_by, workloads_visible_to
from ..models import Environment, Workload
from ..services import workload_create, workload_set_archived, workload_update
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field

_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d{1,2}$")
_ACCOUNT = re.compile(r"^\d{12}$")


class WorkloadOut(serializers.Serializer):
    id = serializers.UUIDField()
    team = serializers.UUIDField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    name = serializers.CharField()
    description = serializers.CharField()
    environment = serializers.ChoiceField(choices=Environment.choices)
    review_owner = serializers.CharField()
    aws_regions = serializers.ListField(child=serializers.CharField())
    other_locations = serializers.CharField()
    account_ids = serializers.ListField(child=serializers.CharField())
    architecture_url = serializers.CharField()
    industry = serializers.CharField()
    notes = serializers.CharField()
    tags = serializers.DictField(child=serializers.CharField())
    is_archived = serializers.BooleanField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _WorkloadFields(serializers.Serializer):
    """The editable fields; the database limits are the serializer limits, so errors come before the save."""

    name = serializers.CharField(max_length=max_length(Workload, "name"))
    description = serializers.CharField(max_length=max_length(Workload, "description"))
    environment = serializers.ChoiceField(choices=Environment.choices)
    review_owner = serializers.CharField(max_length=max_length(Workload, "review_owner"))
    aws_regions = serializers.ListField(
        child=serializers.CharField(max_length=32), required=False, max_length=40, help_text="e.g. eu-west-1"
    )
    other_locations = serializers.CharField(
        max_length=max_length(Workload, "other_locations"), required=False, allow_blank=True
    )
    account_ids = serializers.ListField(
        child=serializers.CharField(max_length=12),
        required=False,
        max_length=200,
        help_text="12-digit AWS ids",
    )
    architecture_url = serializers.URLField(
        max_length=max_length(Workload, "architecture_url"), required=False, allow_blank=True
    )
    industry = serializers.CharField(
        max_length=max_length(Workload, "industry"), required=False, allow_blank=True
    )
    notes = serializers.CharField(max_length=max_length(Workload, "notes"), required=False, allow_blank=True)
    tags = serializers.DictField(
        child=serializers.CharField(max_length=256, allow_blank=True),
        required=False,
        help_text="key -> value",
    )

    def validate_aws_regions(self, value: list[str]) -> list[str]:
        bad = [region for region in value if not _REGION.match(region)]
        if bad:
            raise serializers.ValidationError(
                f"Not AWS region names: {', '.join(bad)} (expected e.g. eu-west-1)."
            )
        return list(dict.fromkeys(value))

    def validate_account_ids(self, value: list[str]) -> list[str]:
        bad = [account for account in value if not _ACCOUNT.match(account)]
        if bad:
            raise serializers.ValidationError(f"Not AWS account ids: {', '.join(bad)} (12 digits each).")
        return list(dict.fromkeys(value))

    def validate_tags(self, value: dict[str, str]) -> dict[str, str]:
        if len(value) > 50:
            raise serializers.ValidationError("At most 50 tags.")
        bad = [key for key in value if not key.strip() or len(key) > 128]
        if bad:
            raise serializers.ValidationError("Tag keys must be 1 to 128 characters.")
        return value


class WorkloadCreateIn(_WorkloadFields):
    team = serializers.UUIDField(
        help_text="The team that owns the workload; you must be its owner or contributor."
    )


class WorkloadUpdateIn(_WorkloadFields):
    """Used with partial=True: only the fields sent change."""


class ArchiveIn(serializers.Serializer):
    archived = serializers.BooleanField(help_text="true archives the workload, false restores it.")


class WorkloadQuery(serializers.Serializer):
    team = serializers.UUIDField(required=False, help_text="Only this team's workloads.")
    environment = serializers.ChoiceField(choices=Environment.choices, required=False)
    archived = serializers.ChoiceField(
        choices=["false", "true", "all"], default="false", required=False, help_text="Default: active only."
    )
    q = serializers.CharField(required=False, max_length=100, help_text="Part of the workload name.")
    ordering = ordering_field(["name", "created_at", "updated_at"], default="name")


WORKLOAD_IN_EXAMPLE = {
    "name": "Checkout API",
    "description": "Takes card payments for the web shop.",
    "environment": "PRODUCTION",
    "review_owner": "olivia@example.com",
    "aws_regions": ["eu-west-1"],
    "account_ids": ["111122223333"],
    "tags": {"cost-centre": "42"},
}
WORKLOAD_EXAMPLE = WORKLOAD_IN_EXAMPLE | {
    "id": ex.WORKLOAD_ID,
    "team": ex.TEAM_ID,
    "team_name": "Payments",
    "other_locations": "",
    "architecture_url": "",
    "industry": "Retail",
    "notes": "",
    "is_archived": False,
    "created_at": ex.WHEN,
    "updated_at": ex.LATER,
}


class WorkloadList(ApiView):
    @extend_schema(
        operation_id="workloads_list",
        summary="List the workloads you may see",
        parameters=[WorkloadQuery],
        responses=WorkloadOut(many=True),
        examples=[OpenApiExample("Workloads", value=WORKLOAD_EXAMPLE, response_only=True)],
        tags=["workloads"],
    )
    def get(self, request: ApiRequest) -> Response:
        query = self.query(WorkloadQuery)
        workloads = workloads_visible_to(request.user).select_related("team").distinct()
        if "team" in query:
            workloads = workloads.filter(team_id=query["team"])
        if "environment" in query:
            workloads = workloads.filter(environment=query["environment"])
        if query["archived"] != "all":
            workloads = workloads.filter(is_archived=query["archived"] == "true")
        if query.get("q"):
            workloads = workloads.filter(name__icontains=query["q"])
        return self.paginated(workloads.order_by(query["ordering"], "pk"), WorkloadOut)

    @extend_schema(
        operation_id="workloads_create",
        summary="Create a workload",
        request=WorkloadCreateIn,
        responses={201: WorkloadOut},
        examples=[
            OpenApiExample(
                "New workload", value=WORKLOAD_IN_EXAMPLE | {"team": ex.TEAM_ID}, request_only=True
            ),
            OpenApiExample("Created", value=WORKLOAD_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["workloads"],
    )
    def post(self, request: ApiRequest) -> Response:
        serializer = WorkloadCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        team_id = fields.pop("team")
        team = teams_writable_by(request.user).filter(pk=team_id).first()
        if team is None:
            if teams_visible_to(request.user).filter(pk=team_id).exists():
                raise PermissionDenied("Your role does not allow you to create workloads in this team.")
            raise serializers.ValidationError({"team": ["No such team."]})
        workload = workload_create(team=team, actor=request.user, **fields)
        return Response(WorkloadOut(workload).data, status=status.HTTP_201_CREATED)


class WorkloadDetail(ApiView):
    @extend_schema(
        operation_id="workloads_retrieve",
        summary="A workload",
        responses=WorkloadOut,
        examples=[OpenApiExample("Workload", value=WORKLOAD_EXAMPLE, response_only=True)],
        tags=["workloads"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        return Response(WorkloadOut(get_workload_for_user(request.user, workload_id)).data)

    @extend_schema(
        operation_id="workloads_update",
        summary="Change some fields of a workload",
        request=WorkloadUpdateIn,
        responses=WorkloadOut,
        examples=[
            OpenApiExample(
                "Change the owner", value={"review_owner": "priya@example.com"}, request_only=True
            ),
            OpenApiExample(
                "Updated", value=WORKLOAD_EXAMPLE | {"review_owner": "priya@example.com"}, response_only=True
            ),
        ],
        tags=["workloads"],
    )
    def patch(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
        serializer = WorkloadUpdateIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        workload = workload_update(workload=workload, actor=request.user, **serializer.validated_data)
        return Response(WorkloadOut(workload).data)


class WorkloadArchive(ApiView):
    @extend_schema(
        operation_id="workloads_archive",
        summary="Archive a workload, or restore it",
        request=ArchiveIn,
        responses=WorkloadOut,
        examples=[
            OpenApiExample("Archive", value={"archived": True}, request_only=True),
            OpenApiExample("Archived", value=WORKLOAD_EXAMPLE | {"is_archived": True}, response_only=True),
        ],
        tags=["workloads"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.ADMINISTER)
        serializer = ArchiveIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        workload = workload_set_archived(
            workload=workload, actor=request.user, archived=serializer.validated_data["archived"]
        )
        return Response(WorkloadOut(workload).data)
