"""A workload's shares with other teams: list them (anyone who may see the workload), share or change a share,
revoke one (those who may administer the workload)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import Action, get_share_for_user, get_workload_for_user
from ..models import Team, WorkloadShare
from ..selectors.workloads import share_rows
from ..services.sharing import share_revoke, share_set
from . import examples as ex
from .base import ApiRequest, ApiView


class ShareOut(serializers.Serializer):
    id = serializers.UUIDField()
    workload = serializers.UUIDField(source="workload_id")
    team = serializers.UUIDField(source="team_id")
    team_name = serializers.CharField(source="team.name")
    role = serializers.ChoiceField(choices=WorkloadShare.ShareRole.choices)
    expires_on = serializers.DateField(help_text="The last day the share grants its role.")
    is_active = serializers.BooleanField(help_text="False once the expiry day is over.")
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class ShareIn(serializers.Serializer):
    team = serializers.UUIDField(help_text="The team to share with (not the workload's own).")
    role = serializers.ChoiceField(choices=WorkloadShare.ShareRole.choices)
    expires_on = serializers.DateField(help_text="The last day the team has access.")


SHARE_EXAMPLE = {
    "id": "5b0d8c2e-4f3a-4d1b-8e7c-6a5b4c3d2e1f",
    "workload": ex.WORKLOAD_ID,
    "team": "7e6d5c4b-3a2f-4e1d-9c8b-0a1b2c3d4e5f",
    "team_name": "Platform",
    "role": "VIEWER",
    "expires_on": "2025-06-30",
    "is_active": True,
    "created_by": ex.USERNAME,
    "created_at": ex.WHEN,
}


class ShareList(ApiView):
    @extend_schema(
        operation_id="shares_list",
        summary="The teams a workload is shared with",
        responses=ShareOut(many=True),
        examples=[OpenApiExample("Shares", value=SHARE_EXAMPLE, response_only=True)],
        tags=["sharing"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        return self.paginated(share_rows(workload), ShareOut)

    @extend_schema(
        operation_id="shares_set",
        summary="Share a workload with a team (or change that team's role and expiry)",
        request=ShareIn,
        responses={200: ShareOut},
        examples=[
            OpenApiExample(
                "Share",
                value={"team": SHARE_EXAMPLE["team"], "role": "VIEWER", "expires_on": "2025-06-30"},
                request_only=True,
            ),
            OpenApiExample("Shared", value=SHARE_EXAMPLE, response_only=True),
        ],
        tags=["sharing"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.ADMINISTER)
        serializer = ShareIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        team = Team.objects.filter(pk=data["team"]).first()
        if team is None:
            raise serializers.ValidationError({"team": ["No such team."]})
        share = share_set(
            workload=workload, team=team, role=data["role"], expires_on=data["expires_on"], actor=request.user
        )
        return Response(ShareOut(share_rows(workload).get(pk=share.pk)).data, status=status.HTTP_200_OK)


class ShareDetail(ApiView):
    @extend_schema(
        operation_id="shares_retrieve",
        summary="One share of a workload",
        responses=ShareOut,
        examples=[OpenApiExample("Share", value=SHARE_EXAMPLE, response_only=True)],
        tags=["sharing"],
    )
    def get(self, request: ApiRequest, workload_id, share_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        share = share_rows(workload).filter(pk=share_id).first()
        if share is None:
            raise Http404("No such share")
        return Response(ShareOut(share).data)

    @extend_schema(
        operation_id="shares_revoke",
        summary="Revoke a share: the team loses access at once",
        responses={204: None},
        tags=["sharing"],
    )
    def delete(self, request: ApiRequest, workload_id, share_id) -> Response:
        share = get_share_for_user(request.user, share_id, Action.ADMINISTER, workload_id=workload_id)
        share_revoke(share=share, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
