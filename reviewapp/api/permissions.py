"""API permissions beyond access.py: what a token's scope allows. access.py alone decides object access."""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from ..models import ApiToken


class TokenScopeAllows(BasePermission):
    """Read-only tokens may only read."""

    message = "This token is read-only; create a token without the read-only scope to make changes."

    def has_permission(self, request: Request, view) -> bool:
        token = request.auth
        if isinstance(token, ApiToken) and token.read_only:
            return request.method in SAFE_METHODS
        return True
