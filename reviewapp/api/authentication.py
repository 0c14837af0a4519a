"""Bearer-token authentication for the API: `Authorization: Bearer <token>`."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from ..models import ApiToken, MfaDevice, User
from ..services.identity import mfa_required_for
from ..services.tokens import api_token_mark_used, api_tokens_revoke_all, token_digest

KEYWORD = "Bearer"


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """A personal API token; expired or revoked tokens and inactive users get 401, never anonymous access."""

    def authenticate(self, request: Request) -> tuple[User, ApiToken] | None:
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != KEYWORD.lower().encode():
            # Not ours (no header, or another scheme): let the session authenticate the browser.
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Send the token as: Authorization: Bearer <token>.")
        try:
            secret = header[1].decode("ascii")
        except UnicodeDecodeError as exc:
            raise exceptions.AuthenticationFailed("The token is not valid.") from exc
        token = ApiToken.objects.select_related("user").filter(sha256=token_digest(secret)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("The token is not valid.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed("The token has been revoked.")
        if token.expires_at <= timezone.now():
            raise exceptions.AuthenticationFailed("The token has expired.")
        user = token.user
        if not user.is_active:
            raise exceptions.AuthenticationFailed("The token's user account is disabled.")
        if token.issued_role != user.org_role:
            # However the role changed (admin site, shell, import), no token outlives it.
            api_tokens_revoke_all(user=user, actor=None, reason="organisation role changed")
            raise exceptions.AuthenticationFailed(
                "The token was revoked because your organisation role changed; create a new one."
            )
        if mfa_required_for(user) and not MfaDevice.objects.filter(user=user).exists():
            raise exceptions.AuthenticationFailed(
                "Your role requires two-step sign-in: set up an authenticator in the browser first."
            )
        api_token_mark_used(token=token, method=request.method or "", path=request.path)
        # access.py limits what this request reaches to the token's teams, when it has a limit.
        if token.team_limited:
            user.token_team_ids = frozenset(token.teams.values_list("pk", flat=True))
        return user, token

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (with this challenge) rather than 403 when no credentials were sent.
        return f'{KEYWORD} realm="api"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "reviewapp.api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token, created on the “API tokens” page and shown once.",
        }
