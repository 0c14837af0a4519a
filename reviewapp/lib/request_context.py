"""Who is asking, for as long as a request (or the task it queued) runs: the client's IP and the request id.

RequestContextMiddleware sets it for each request and lib/celery_context.py carries it into tasks; audit
entries and log lines read it. It imports nothing of the app, so logging can use it before Django is set up.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    request_id: str = ""


# RequestContext is a frozen dataclass, so sharing one default instance is safe.
request_context: ContextVar[RequestContext] = ContextVar("request_context", default=RequestContext())  # noqa: B039
