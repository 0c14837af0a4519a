"""Per-request context: a request id (taken from a trusted proxy or made here) and the client IP for the audit."""

from __future__ import annotations

import re
import uuid

from django.http import HttpRequest, HttpResponse

from .audit import RequestContext, request_context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a proxy's id only if it is harmless to log; otherwise make our own.
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_context.set(RequestContext(ip=request.META.get("REMOTE_ADDR") or None, request_id=request_id))
        try:
            response = self.get_response(request)
        finally:
            request_context.reset(token)
        response["X-Request-ID"] = request_id
        return response
