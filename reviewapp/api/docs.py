"""The OpenAPI schema and the interactive docs page, which is served entirely from our own static files."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from drf_spectacular.renderers import (
    OpenApiJsonRenderer,
    OpenApiJsonRenderer2,
    OpenApiYamlRenderer,
    OpenApiYamlRenderer2,
)
from drf_spectacular.views import SpectacularAPIView
from rest_framework.permissions import IsAuthenticated


class SchemaView(SpectacularAPIView):
    """OpenAPI 3 for /api/v1/; JSON by default, YAML with ?format=yaml. Signed-in users and tokens only."""

    permission_classes = [IsAuthenticated]
    # application/vnd.oai.openapi+json first, plain application/json for clients that ask for JSON.
    renderer_classes = [OpenApiJsonRenderer, OpenApiJsonRenderer2, OpenApiYamlRenderer, OpenApiYamlRenderer2]

    @classmethod
    def as_view(cls, **initkwargs):
        # Token clients fetch the schema too, so DRF (not the login middleware's redirect) decides.
        return login_not_required(super().as_view(**initkwargs))


@require_safe  # a page to read: GET and HEAD only, 405 for anything else
def api_docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI over the live schema, using the browser session (and its CSRF token) for "Try it out"."""
    return render(request, "api/docs.html")
