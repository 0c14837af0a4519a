"""One log line per request: method, path, status, duration and user, tagged with the request id.

Placed right after RequestContextMiddleware, so the request id is set and the time covers every other
middleware. The query string, headers, cookies and body are never logged: they may carry secrets.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty

logger = logging.getLogger("reviewapp.access")

# Load balancers probe these every few seconds; their lines would drown the rest at INFO.
_QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class AccessLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        user = getattr(request, "user", None)
        # Only a user the request already loaded: loading it here would cost a query on public pages.
        loaded = user is not None and getattr(user, "_wrapped", None) is not empty
        logger.log(
            logging.DEBUG if request.path in _QUIET_PATHS else logging.INFO,
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": user.pk if user is not None and loaded and user.is_authenticated else None,
            },
        )
        return response
