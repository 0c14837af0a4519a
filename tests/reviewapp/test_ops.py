"""Operations: health endpoints, structured logs with request ids (in Celery tasks too), database settings."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path
from unittest import mock

import pytest
from celery import Celery
from celery.contrib.testing.worker import start_worker
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.db import OperationalError, connections
from django.urls import reverse

from reviewapp.lib.jsonlog import REDACTED, ContextFilter, JsonFormatter, RedactFilter, TextFormatter
from reviewapp.lib.request_context import RequestContext, request_context

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def log_lines():
    """Every log record while the test runs, formatted as the production JSON handler would."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


# --- /healthz and /readyz -----------------------------------------------------------------------------------


def test_healthz_answers_without_a_database(client):
    # No django_db mark: pytest-django fails the test if anything touches the database.
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_reports_every_check_when_ready(client, settings):
    settings.REDIS_URL = ""
    response = client.get(reverse("readyz"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["migrations"]["ok"] is True
    assert body["checks"]["broker"] == {"ok": True, "skipped": "REDIS_URL is not set: tasks run in-process"}


@pytest.mark.django_db
def test_readyz_fails_when_the_database_is_unreachable(client, settings):
    settings.REDIS_URL = ""
    refused = OperationalError('connection to server at "db" failed: password authentication failed')
    with mock.patch.object(connections["default"], "cursor", side_effect=refused):
        response = client.get(reverse("readyz"))
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"]["ok"] is False
    # The public answer names the kind of failure, never the server's message.
    assert body["checks"]["database"]["error"] == "OperationalError"
    assert "password" not in response.content.decode()
    assert body["checks"]["migrations"]["ok"] is False


@pytest.mark.django_db
def test_readyz_fails_while_migrations_are_unapplied(client, settings):
    settings.REDIS_URL = ""
    with mock.patch(
        "django.db.migrations.executor.MigrationExecutor.migration_plan", return_value=[(object(), False)]
    ):
        response = client.get(reverse("readyz"))
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == {
        "ok": False,
        "error": "RuntimeError",
        "ms": response.json()["checks"]["migrations"]["ms"],
    }


@pytest.mark.django_db
def test_readyz_fails_quickly_when_the_broker_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"
    response = client.get(reverse("readyz"))
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert broker["error"] == "ConnectionError"
    assert broker["ms"] < 2000
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.django_db
def test_readyz_checks_the_real_broker(client, redis_url):
    response = client.get(reverse("readyz"))
    assert response.status_code == 200, response.content
    assert response.json()["checks"]["broker"]["ok"] is True


@pytest.mark.django_db
def test_health_endpoints_skip_the_https_redirect(client, settings):
    # Probes speak plain HTTP to the container; everything else is redirected to HTTPS.
    settings.SECURE_SSL_REDIRECT = True
    settings.REDIS_URL = ""
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("readyz")).status_code == 200
    assert client.get(reverse("login")).status_code == 301


def test_health_endpoints_refuse_writes(client):
    assert client.post(reverse("healthz")).status_code == 405


# --- Structured logs ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_request_logs_one_json_line_with_its_request_id(client, log_lines):
    response = client.get(reverse("login"), HTTP_X_REQUEST_ID="req-from-proxy-1")
    assert response["X-Request-ID"] == "req-from-proxy-1"
    access = [line for line in log_lines() if line["logger"] == "reviewapp.access"]
    assert len(access) == 1
    line = access[0]
    assert line["request_id"] == "req-from-proxy-1"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/login/", 200)
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_log_lines_written_inside_a_view_carry_the_request_id(client, settings, log_lines):
    settings.REDIS_URL = ""
    with mock.patch.object(connections["default"], "cursor", side_effect=OperationalError("refused")):
        response = client.get(reverse("readyz"))
    warning = next(line for line in log_lines() if line["logger"] == "reviewapp.views.ops")
    assert warning["level"] == "WARNING"
    assert warning["request_id"] == response["X-Request-ID"]
    assert warning["check"] == "database"
    # Django's own line about the 503 is written after the middleware returned; it is tagged all the same.
    django_line = next(line for line in log_lines() if line["logger"] == "django.request")
    assert django_line["request_id"] == response["X-Request-ID"]
    assert django_line["request"] == "GET /readyz"


@pytest.mark.django_db
def test_the_access_log_never_holds_the_query_string_or_credentials(client, owner, log_lines):
    client.post(reverse("login"), {"username": owner.username, "password": "not-this-one-either"})
    client.get(reverse("login") + "?token=abc123secret")
    text = "\n".join(json.dumps(line) for line in log_lines())
    assert "not-this-one-either" not in text
    assert "abc123secret" not in text


def test_secrets_are_redacted_from_messages_extras_and_tracebacks(settings, log_lines):
    settings.SECRET_KEY = "a-very-secret-signing-key-for-this-test-only"
    logger = logging.getLogger("tests.redaction")
    logger.warning("connecting with password=hunter22 to postgres://reviews:s3cr3t-pw@db:5432/reviews")
    logger.warning("signing with %s", settings.SECRET_KEY)
    logger.warning('upstream said {"api_key": "AKIA-EXAMPLE"} and Authorization: Bearer eyJhbGciOi')
    logger.warning("call failed", extra={"token": "tok-123456", "note": "session_id=abcdef123"})
    logger.info("done", extra={"data": {"args": "('password=in-task-args',)", "client_secret": "cs-9876"}})
    try:
        raise ValueError("secret=leaked-in-exception")
    except ValueError:
        logger.exception("it broke")
    text = "\n".join(json.dumps(line) for line in log_lines())
    for secret in (
        "hunter22",
        "s3cr3t-pw",
        settings.SECRET_KEY,
        "AKIA-EXAMPLE",
        "eyJhbGciOi",
        "tok-123456",
        "abcdef123",
        "leaked-in-exception",
        "in-task-args",
        "cs-9876",
    ):
        assert secret not in text, secret
    assert REDACTED in text
    # What is not a secret stays readable.
    assert "postgres://reviews:" in text and "@db:5432/reviews" in text


def test_text_format_keeps_the_request_id():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    token = request_context.set(RequestContext(request_id="abc"))
    try:
        ContextFilter().filter(record)
    finally:
        request_context.reset(token)
    assert "[abc] hello" in TextFormatter().format(record)


def _settings_in_subprocess(code: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [
            sys.executable,
            "-c",
            f"import django, os; django.setup(); from django.conf import settings; {code}",
        ],
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", ""), "DJANGO_SETTINGS_MODULE": "reviewapp.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_log_format_defaults_to_json_in_production_and_text_in_development():
    production = _settings_in_subprocess("print(settings.LOG_FORMAT)", SECRET_KEY="x", DEBUG="0")
    development = _settings_in_subprocess("print(settings.LOG_FORMAT)", DEBUG="1")
    chosen = _settings_in_subprocess("print(settings.LOG_FORMAT)", SECRET_KEY="x", LOG_FORMAT="text")
    bad = _settings_in_subprocess("print(settings.LOG_FORMAT)", SECRET_KEY="x", LOG_FORMAT="xml")
    assert production.stdout.strip() == "json", production.stderr
    assert development.stdout.strip() == "text", development.stderr
    assert chosen.stdout.strip() == "text", chosen.stderr
    assert bad.returncode != 0 and "LOG_FORMAT='xml' is not one of: json, text" in bad.stderr


def test_database_connections_persist_and_are_health_checked():
    result = _settings_in_subprocess(
        "import json; db = settings.DATABASES['default']; "
        "print(json.dumps([db['CONN_MAX_AGE'], db['CONN_HEALTH_CHECKS'], db['OPTIONS']['connect_timeout']]))",
        SECRET_KEY="x",
        DATABASE_URL="postgres://reviews:pw@db.example:5432/reviews",
    )
    assert json.loads(result.stdout) == [60, True, 5], result.stderr


# --- Celery tasks carry the request id ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def probe_app():
    """A Celery app on the in-memory broker with a real (threaded) worker: messages go through publish and
    consume, so the request id must travel in the message headers to arrive."""
    app = Celery("ops-probe", broker="memory://", set_as_current=False)
    app.conf.update(task_always_eager=False, task_ignore_result=True, accept_content=["json"])
    seen: dict[str, dict] = {}
    done = threading.Event()

    @app.task(name="tests.ops.log_probe", bind=True)
    def log_probe(self, label: str) -> None:
        logging.getLogger("tests.ops.task").info("task %s running", label)
        seen[label] = {"audit_request_id": request_context.get().request_id, "task_id": self.request.id}
        done.set()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        yield app, log_probe, seen, done


def _run(probe_app, label: str) -> dict:
    _, task, seen, done = probe_app
    done.clear()
    result = task.delay(label)
    assert done.wait(20), "the worker did not run the task"
    return {**seen[label], "published_id": result.id}


def test_task_logs_and_audit_entries_carry_the_request_id_that_enqueued_them(probe_app, log_lines):
    token = request_context.set(RequestContext(request_id="req-enqueuing-42"))
    try:
        outcome = _run(probe_app, "from-request")
    finally:
        request_context.reset(token)
    assert outcome["audit_request_id"] == "req-enqueuing-42"
    line = next(line for line in log_lines() if line["message"] == "task from-request running")
    assert line["request_id"] == "req-enqueuing-42"
    assert line["task_id"] == outcome["published_id"]
    assert line["task_name"] == "tests.ops.log_probe"


def test_tasks_without_a_request_get_an_id_of_their_own(probe_app, log_lines):
    outcome = _run(probe_app, "from-beat")
    assert outcome["audit_request_id"] == f"task-{outcome['published_id']}"
    line = next(line for line in log_lines() if line["message"] == "task from-beat running")
    assert line["request_id"] == f"task-{outcome['published_id']}"


def test_the_request_context_is_restored_after_a_task(probe_app):
    _run(probe_app, "restore")
    # The test thread's context is untouched, and the worker thread left nothing behind for the next task.
    assert request_context.get().request_id == ""
    assert _run(probe_app, "next")["audit_request_id"].startswith("task-")


# --- Static files -------------------------------------------------------------------------------------------


def test_static_files_collect_under_hashed_names(settings, tmp_path):
    # What the Dockerfile's collectstatic does (minus compression): a missing file referenced from CSS, or any
    # other manifest error, fails here instead of in the image build.
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    url = staticfiles_storage.url("css/app.css")
    assert re.fullmatch(r"/static/css/app\.[0-9a-f]{12}\.css", url), url
    assert (tmp_path / url.removeprefix("/static/")).is_file()
    assert json.loads((tmp_path / "staticfiles.json").read_text())["paths"]["js/app.js"].startswith("js/app.")
