"""Personal API tokens through the API: list your own (never their secrets), create one (its secret is in that
response only), read one, revoke one. The same service as the "API tokens" page (services.tokens), so the same
rules apply: a fresh second factor when the role requires one, teams limited to those access.py allows."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..access import get_token_for_user
from ..lib.display import with_display
from ..models import ApiToken, Team
from ..services.tokens import NAME_MAX_LENGTH, api_token_create, api_token_revoke, token_is_usable
from . import examples as ex
from .base import ApiRequest, ApiView
from .exceptions import validation_detail

DEFAULT_DAYS = 90


class TokenTeamOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class TokenOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField(help_text="The secret's first characters, to recognise the token.")
    read_only = serializers.BooleanField()  # type: ignore[assignment]  # a field, popped by the metaclass
    teams = TokenTeamOut(
        many=True, source="teams.all", help_text="The teams it is limited to; empty: every team you see."
    )
    usable = serializers.BooleanField(help_text="Neither revoked nor expired.")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="Updated at most once a minute.")
    revoked_at = serializers.DateTimeField(allow_null=True)


class TokenCreatedOut(TokenOut):
    secret = serializers.CharField(
        help_text="Send as `Authorization: Bearer <secret>`. Shown in this response only: store it now."
    )


class TokenCreateIn(serializers.Serializer):
    name = serializers.CharField(max_length=NAME_MAX_LENGTH * 2, help_text="Where the token is used.")
    days = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text=f"Lifetime in days (at most API_TOKEN_MAX_DAYS). Left out: {DEFAULT_DAYS}, or until the "
        "token making the request expires, if sooner (a token cannot make one that outlives it).",
    )
    read_only = serializers.BooleanField(default=False)  # type: ignore[assignment]  # as above
    teams = serializers.ListField(
        child=serializers.UUIDField(),
        default=list,
        max_length=200,
        help_text="Limit the token to these teams (ids). A team-limited token may only create tokens "
        "limited to some of its own teams.",
    )
    second_factor = serializers.CharField(
        default="",
        allow_blank=True,
        max_length=32,
        help_text="A current code from your authenticator; required when your role requires two-step "
        "sign-in.",
    )


TOKEN_EXAMPLE = {
    "id": "0d9c8b7a-6f5e-4d3c-8b2a-1f0e9d8c7b6a",
    "name": "Deploy pipeline",
    "prefix": "Xk3f9QaB",
    "read_only": True,
    "teams": [{"id": ex.TEAM_ID, "name": "Payments"}],
    "usable": True,
    "created_at": ex.WHEN,
    "expires_at": "2025-06-12T09:26:53Z",
    "last_used_at": None,
    "revoked_at": None,
}


def _tokens():
    return ApiToken.objects.prefetch_related("teams")


def _shown(token: ApiToken) -> ApiToken:
    return with_display(token, usable=token_is_usable(token))


def _requested_teams(ids: list) -> list[Team]:
    """The teams named by `ids`. An unknown id stays in as an unsaved Team, so the service refuses it exactly
    like a team the caller may not see: the answer does not tell which team ids exist."""
    found = {team.pk: team for team in Team.objects.filter(pk__in=ids)}
    return [found.get(pk) or Team(pk=pk) for pk in dict.fromkeys(ids)]


class TokenList(ApiView):
    @extend_schema(
        operation_id="tokens_list",
        summary="Your API tokens, newest first",
        description="Only the caller's own tokens, revoked and expired ones included; never their secrets.",
        responses=TokenOut(many=True),
        examples=[OpenApiExample("Tokens", value=TOKEN_EXAMPLE, response_only=True)],
        tags=["tokens"],
    )
    def get(self, request: ApiRequest) -> Response:
        tokens = _tokens().filter(user=request.user).order_by("-created_at", "pk")
        return self.paginated(tokens, TokenOut, fetch=lambda page: [_shown(token) for token in page])

    @extend_schema(
        operation_id="tokens_create",
        summary="Create an API token",
        description="The secret is in this response only. When your role requires two-step sign-in, send a "
        "current code as `second_factor`.",
        request=TokenCreateIn,
        responses={201: TokenCreatedOut},
        examples=[
            OpenApiExample(
                "New token",
                value={"name": "Deploy pipeline", "days": 90, "read_only": True, "teams": [ex.TEAM_ID]},
                request_only=True,
            ),
            OpenApiExample(
                "Created",
                value=TOKEN_EXAMPLE | {"secret": "Xk3f9QaB…"},  # nosec B105: an example, not a credential
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=["tokens"],
    )
    def post(self, request: ApiRequest) -> Response:
        serializer = TokenCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        via = request.auth if isinstance(request.auth, ApiToken) else None
        now = timezone.now()
        if "days" in data:
            # Capped just past the limit: the service explains the limit, and no huge number overflows.
            expires_at = now + timedelta(days=min(data["days"], settings.API_TOKEN_MAX_DAYS + 1))
        else:
            expires_at = now + timedelta(days=DEFAULT_DAYS)
            if via is not None:
                expires_at = min(expires_at, via.expires_at)
        try:
            token, secret = api_token_create(
                user=request.user,
                name=data["name"],
                expires_at=expires_at,
                read_only=data["read_only"],
                teams=_requested_teams(data["teams"]),
                second_factor=data["second_factor"],
                via=via,
            )
        except ValidationError as exc:
            detail = validation_detail(exc)
            if "expires_at" in detail:
                detail["days"] = detail.pop("expires_at")
            raise serializers.ValidationError(detail) from exc
        token = with_display(_shown(_tokens().get(pk=token.pk)), secret=secret)
        return Response(TokenCreatedOut(token).data, status=status.HTTP_201_CREATED)


class TokenDetail(ApiView):
    @extend_schema(
        operation_id="tokens_retrieve",
        summary="One of your API tokens",
        responses=TokenOut,
        examples=[OpenApiExample("Token", value=TOKEN_EXAMPLE, response_only=True)],
        tags=["tokens"],
    )
    def get(self, request: ApiRequest, token_id) -> Response:
        get_token_for_user(request.user, token_id)
        return Response(TokenOut(_shown(_tokens().get(pk=token_id))).data)

    @extend_schema(
        operation_id="tokens_revoke",
        summary="Revoke one of your API tokens",
        description="For good: it can no longer be used. Revoking a revoked token changes nothing.",
        responses=TokenOut,
        examples=[
            OpenApiExample(
                "Revoked",
                value=TOKEN_EXAMPLE | {"usable": False, "revoked_at": ex.LATER},
                response_only=True,
            )
        ],
        tags=["tokens"],
    )
    def delete(self, request: ApiRequest, token_id) -> Response:
        token = api_token_revoke(token=get_token_for_user(request.user, token_id), actor=request.user)
        return Response(TokenOut(_shown(_tokens().get(pk=token.pk))).data)
