"""Structured logs: one JSON object per line, each tagged with the request (or Celery task) it belongs to.

Wired from settings.LOGGING: `ContextFilter` stamps every record with the request id, `RedactFilter` removes
secrets before any handler sees the record, and `JsonFormatter` / `TextFormatter` write it out. Nothing here
imports models, because logging is configured before Django's app registry is ready.
"""

from __future__ import annotations

import json
import logging
import re
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from .request_context import request_context

# The Celery task running in this thread, set by reviewapp.lib.celery_context around each task.
task_context: ContextVar[tuple[str, str] | None] = ContextVar("task_context", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=` and is logged as its own field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "request_id",
    "task_id",
    "task_name",
}

REDACTED = "[redacted]"
# Names whose values are credentials wherever they appear: `password=x`, `"token": "x"`, `Authorization: x`.
SECRET_NAME = re.compile(
    r"passw(or)?d|pwd|secret|token|api[_-]?key|authori[sz]ation|cookie|session[_-]?id|credential|"
    r"private[_-]?key|external[_-]?id|totp",
    re.IGNORECASE,
)
_ASSIGNMENT = re.compile(
    r"""(?P<name>["']?[\w.-]*(?:"""
    + SECRET_NAME.pattern
    + r""")[\w.-]*["']?)(?P<sep>\s*[=:]\s*)"""
    + r"""(?P<value>"[^"]*"|'[^']*'|(?:Bearer|Basic|Token)\s+\S+|[^\s,;&)}\]]+)""",
    re.IGNORECASE,
)
# user:password@host in any URL (database, broker and SMTP URLs carry their password this way).
_URL_CREDENTIALS = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(?P<tail>@)", re.IGNORECASE)
# Settings whose exact values never appear in a log line, whatever the message around them.
_SECRET_SETTINGS = (
    "SECRET_KEY",
    "SECRET_KEY_FALLBACKS",
    "EMAIL_HOST_PASSWORD",
    "API_TOKEN_KEY",
    "FIELD_ENCRYPTION_KEYS",
)
_MIN_SECRET_LENGTH = 8


def current_request_id() -> str:
    """The id of the request (or originating request of the task) being handled, or "" outside one."""
    return request_context.get().request_id


class ContextFilter(logging.Filter):
    """Adds `request_id`, `task_id` and `task_name` to every record (empty strings when not applicable)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # Django logs 4xx/5xx responses after the middleware has left the request's context, passing the
            # request along: its id is on it.
            request = getattr(record, "request", None)
            record.request_id = getattr(request, "request_id", "") or current_request_id()
        task = task_context.get()
        record.task_id, record.task_name = task if task else ("", "")
        return True


def redact(text: str, secret_values: tuple[str, ...] = ()) -> str:
    for value in secret_values:
        if value in text:
            text = text.replace(value, REDACTED)
    text = _URL_CREDENTIALS.sub(rf"\g<head>{REDACTED}\g<tail>", text)
    return _ASSIGNMENT.sub(rf"\g<name>\g<sep>{REDACTED}", text)


def _redact_field(key: str, value: Any, secrets: tuple[str, ...]) -> Any:
    """An `extra` field with secrets removed; Celery, for one, logs dicts of task details."""
    if SECRET_NAME.search(key):
        return REDACTED
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: _redact_field(str(k), v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_field("", item, secrets) for item in value]
    return value


class RedactFilter(logging.Filter):
    """Removes credentials from the message, the `extra` fields and the traceback of every record."""

    _secret_values: tuple[str, ...] | None = None

    def _secrets(self) -> tuple[str, ...]:
        if self._secret_values is None:
            if not settings.configured:
                return ()
            values: list[str] = []
            for name in _SECRET_SETTINGS:
                value = getattr(settings, name, "")
                values.extend(value if isinstance(value, list | tuple) else [value])
            values.extend(db.get("PASSWORD") or "" for db in settings.DATABASES.values())
            # Longest first, so a secret that contains another is replaced whole.
            self._secret_values = tuple(
                sorted(
                    {v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET_LENGTH},
                    key=len,
                    reverse=True,
                )
            )
        return self._secret_values

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets()
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the line
            message = str(record.msg)
        record.msg, record.args = redact(message, secrets), None
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES:
                setattr(record, key, _redact_field(key, value, secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        return True


def _extra_value(key: str, value: Any) -> Any:
    # Django passes the request object along with its request logs: keep what identifies it, never its
    # headers, cookies, body or query string.
    if key == "request" and hasattr(value, "method") and hasattr(value, "path"):
        return f"{value.method} {value.path}"
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request_id, then any `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", ""),
        }
        task_id = getattr(record, "task_id", "")
        if task_id:
            doc["task_id"] = task_id
            doc["task_name"] = getattr(record, "task_name", "")
        for key, value in vars(record).items():
            if key not in _RECORD_ATTRIBUTES and not key.startswith("_") and key not in doc:
                doc[key] = _extra_value(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            doc["exception"] = record.exc_text
        if record.stack_info:
            doc["stack"] = self.formatStack(record.stack_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """Human-readable lines for development, still carrying the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = ""
        return super().format(record)
