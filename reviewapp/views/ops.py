"""Health endpoints for load balancers and orchestrators.

/healthz says the process is alive and touches nothing else, so a database outage never gets web containers
restarted. /readyz says this instance can serve traffic: the database answers, every migration is applied and,
when Redis is configured, the broker answers. Both are public and show only pass/fail and an error class name;
the details go to the log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import redis
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

# Seconds the broker may take to answer before readiness fails; probes must answer within their own timeout.
BROKER_TIMEOUT = 1.0

Check = dict[str, object]


def _timed(name: str, probe: Callable[[], Check]) -> Check:
    started = time.perf_counter()
    try:
        result: Check = {"ok": True, **probe()}
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the class name says which
        logger.warning("readiness check %s failed: %s", name, exc, extra={"check": name})
        result = {"ok": False, "error": type(exc).__name__}
    result["ms"] = round((time.perf_counter() - started) * 1000, 1)
    return result


def _database() -> Check:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {}


def _migrations() -> Check:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied: run manage.py migrate")
    return {}


def _broker() -> Check:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=BROKER_TIMEOUT, socket_timeout=BROKER_TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()
    return {}


@login_not_required
@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@login_not_required
@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks: dict[str, Check] = {"database": _timed("database", _database)}
    if checks["database"]["ok"]:
        checks["migrations"] = _timed("migrations", _migrations)
    else:
        checks["migrations"] = {"ok": False, "error": "skipped: the database is unreachable"}
    if settings.REDIS_URL:
        checks["broker"] = _timed("broker", _broker)
    else:
        checks["broker"] = {"ok": True, "skipped": "REDIS_URL is not set: tasks run in-process"}
    ready = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
