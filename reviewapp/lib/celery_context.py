"""Carry the request id from the web request that enqueued a task into the task's logs and audit entries.

The publishing side writes the current request id into the message headers; the worker side puts it back into
`lib.request_context` (and the task's id into the log context) for as long as the task runs. Tasks
started by beat, with no request behind them, get `task-<task id>` so their audit entries still correlate with
their log lines. Workers and beat keep the project's LOGGING instead of Celery's own log format.
"""

from __future__ import annotations

import logging.config
from typing import Any

from celery.signals import before_task_publish, setup_logging, task_postrun, task_prerun
from django.conf import settings

from .jsonlog import current_request_id, task_context
from .request_context import RequestContext, request_context

HEADER = "request_id"

# Tokens to undo the context of each running task, by task id (prerun and postrun run in the same thread).
_tokens: dict[str, tuple[Any, Any]] = {}


def _stamp_request_id(headers: dict | None = None, **kwargs: Any) -> None:
    request_id = current_request_id()
    if headers is not None and request_id and not headers.get(HEADER):
        headers[HEADER] = request_id


def _header(task: Any) -> str:
    request = task.request
    # Message headers of protocol 2 become attributes of the task request; older paths keep them in `headers`.
    value = getattr(request, HEADER, None) or (getattr(request, "headers", None) or {}).get(HEADER)
    return value if isinstance(value, str) else ""


def _enter_task(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
    if task_id is None or task is None:
        return
    # An eager task runs inside the request that called it and keeps that request's context as it is.
    request_id = _header(task) or current_request_id() or f"task-{task_id}"[:64]
    current = request_context.get()
    request_token = request_context.set(RequestContext(ip=current.ip, request_id=request_id))
    task_token = task_context.set((task_id, task.name))
    _tokens[task_id] = (request_token, task_token)


def _leave_task(task_id: str | None = None, **kwargs: Any) -> None:
    tokens = _tokens.pop(task_id or "", None)
    if tokens is None:
        return
    request_token, task_token = tokens
    task_context.reset(task_token)
    request_context.reset(request_token)


def _use_project_logging(**kwargs: Any) -> None:
    # Connecting to setup_logging stops Celery from replacing the root handlers with its own format, so task
    # logs come out as the same JSON lines, with the same request ids, as the web app's.
    logging.config.dictConfig(settings.LOGGING)


def connect_request_context() -> None:
    """Connect the signal handlers; called once from reviewapp/celery.py."""
    before_task_publish.connect(_stamp_request_id, weak=False, dispatch_uid="reviewapp.request_id.publish")
    task_prerun.connect(_enter_task, weak=False, dispatch_uid="reviewapp.request_id.prerun")
    task_postrun.connect(_leave_task, weak=False, dispatch_uid="reviewapp.request_id.postrun")
    setup_logging.connect(_use_project_logging, weak=False, dispatch_uid="reviewapp.logging")
