"""Teams, read-only: the ones you may see, with your role in each."""

from __future__ import annotations

from django.db.models import OuterRef, Prefetch, Q, Subquery
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from ..access import get_team_for_user, teams_visible_to
from ..models import Membership, Role, Team
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field


class TeamOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    my_role = serializers.ChoiceField(
        choices=Role.choices,
        allow_null=True,
        help_text="Your role in the team; null if you see it by org role.",
    )
    created_at = serializers.DateTimeField()


class MemberOut(serializers.Serializer):
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField(source="user.display_name")
    role = serializers.ChoiceField(choices=Role.choices)


class TeamDetailOut(TeamOut):
    members = MemberOut(many=True, source="memberships.all")


class TeamQuery(serializers.Serializer):
    q = serializers.CharField(required=False, max_length=100, help_text="Part of the team name.")
    ordering = ordering_field(["name", "created_at"], default="name")


TEAM_EXAMPLE = {
    "id": ex.TEAM_ID,
    "name": "Payments",
    "description": "Card payments and refunds.",
    "my_role": "OWNER",
    "created_at": ex.WHEN,
}


def _with_my_role(queryset, user):
    role = Membership.objects.filter(team=OuterRef("pk"), user=user).values("role")[:1]
    return queryset.annotate(my_role=Subquery(role))


class TeamList(ApiView):
    @extend_schema(
        operation_id="teams_list",
        summary="List the teams you may see",
        parameters=[TeamQuery],
        responses=TeamOut(many=True),
        examples=[OpenApiExample("Teams", value=TEAM_EXAMPLE, response_only=True)],
        tags=["teams"],
    )
    def get(self, request: ApiRequest) -> Response:
        query = self.query(TeamQuery)
        teams = _with_my_role(teams_visible_to(request.user), request.user).distinct()
        if query.get("q"):
            teams = teams.filter(Q(name__icontains=query["q"]))
        return self.paginated(teams.order_by(query["ordering"], "pk"), TeamOut)


class TeamDetail(ApiView):
    @extend_schema(
        operation_id="teams_retrieve",
        summary="A team and its members",
        responses=TeamDetailOut,
        examples=[
            OpenApiExample(
                "Team",
                value=TEAM_EXAMPLE
                | {"members": [{"username": ex.USERNAME, "display_name": "Olivia Owner", "role": "OWNER"}]},
                response_only=True,
            )
        ],
        tags=["teams"],
    )
    def get(self, request: ApiRequest, team_id) -> Response:
        get_team_for_user(request.user, team_id)
        team = (
            _with_my_role(Team.objects.filter(pk=team_id), request.user)
            .prefetch_related(
                Prefetch(
                    "memberships",
                    queryset=Membership.objects.select_related("user").order_by("user__username"),
                )
            )
            .get()
        )
        return Response(TeamDetailOut(team).data)
