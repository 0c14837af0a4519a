"""The web pages, one module per area. Every view behind the login middleware is typed with AuthenticatedRequest."""

from __future__ import annotations

from django.http import HttpRequest

from ..models import User


class AuthenticatedRequest(HttpRequest):
    """A request that LoginRequiredMiddleware let through: `user` is a signed-in, active User (never anonymous).
    Views marked login_not_required (sign-in, health checks) take a plain HttpRequest."""

    user: User
