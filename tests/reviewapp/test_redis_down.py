"""Redis down: pages still load and answers still save. Sessions live in the database, and the Redis cache
reads as a miss (reviewapp.lib.cache) instead of raising into every view that touches it."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCacheClient
from django.urls import reverse

from questionnaire.models import Question
from reviewapp.lib import cache as resilient
from reviewapp.models import Answer
from reviewapp.services import answer_record
from tests.conftest import PASSWORD

ROOT = Path(__file__).resolve().parents[2]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def resilient_caches(url: str) -> dict:
    # The same CACHES settings.py builds when REDIS_URL is set.
    return {
        "default": {
            "BACKEND": "reviewapp.lib.cache.ResilientRedisCache",
            "LOCATION": url,
            "TIMEOUT": 300,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
        }
    }


@pytest.fixture
def redis_down(settings):
    url = f"redis://127.0.0.1:{closed_port()}/0"
    settings.REDIS_URL = url
    settings.CELERY_BROKER_URL = url
    settings.CACHES = resilient_caches(url)
    resilient._down_until.clear()
    yield url
    resilient._down_until.clear()


def test_settings_with_a_redis_url_use_the_cache_that_survives_an_outage():
    script = (
        "import django; django.setup(); from django.core.cache import cache, caches; "
        "cache.set('k', 1); print(type(caches['default']).__name__, cache.get('k', 'miss'))"
    )
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "reviewapp.settings",
            "SECRET_KEY": "x",
            "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ResilientRedisCache", "miss"]


def test_pages_load_and_answers_save_while_redis_is_down(client, review, owner, redis_down):
    # Signing in writes the session to the database, not to Redis.
    response = client.post(reverse("login"), {"username": owner.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]

    assert client.get(reverse("review_overview", kwargs={"review_id": review.pk})).status_code == 200
    question = Question.objects.filter(lens_version=review.lens_version).order_by("order").first()
    url = reverse("review_question", kwargs={"review_id": review.pk, "question_code": question.code})
    assert client.get(url).status_code == 200
    first_bp = question.best_practices.order_by("order").first()
    response = client.post(
        url, {"base_version": "1", "selected": [first_bp.code], "notes": "Saved without Redis."}
    )
    assert response.status_code == 302
    answer = Answer.objects.get(review=review, question=question)
    assert (answer.version, answer.selected, answer.notes) == (2, [first_bp.code], "Saved without Redis.")

    # The service itself, as the API and the question page call it.
    saved = answer_record(review=review, question=question, actor=owner, base_version=2, none_of_these=True)
    assert (saved.version, saved.none_of_these) == (3, True)

    # DRF throttles count requests in the cache: the API still answers.
    assert client.get(reverse("api_workload_list"), HTTP_ACCEPT="application/json").status_code == 200
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_cache_reads_as_a_miss_and_writes_as_not_stored(redis_down, caplog):
    caplog.set_level(logging.WARNING, logger="reviewapp.lib.cache")
    assert cache.get("missing", "default") == "default"
    cache.set("k", "v")
    assert cache.add("k", "v") is False
    assert cache.get_many(["a", "b"]) == {}
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    assert cache.get_or_set("c", lambda: 3) == 3
    assert cache.delete("k") is False
    with pytest.raises(ValueError, match="not found"):
        cache.incr("counter")
    # One warning per outage, not one per call.
    warnings = [r for r in caplog.records if r.name == "reviewapp.lib.cache"]
    assert len(warnings) == 1
    assert "cache unavailable" in warnings[0].getMessage()


def test_after_a_failure_the_cache_stops_trying_for_a_few_seconds(redis_down):
    assert cache.get("k") is None  # the failure that marks Redis as down
    with mock.patch.object(RedisCacheClient, "get_client") as get_client:
        started = time.perf_counter()
        for _ in range(50):
            assert cache.get("k") is None
        assert time.perf_counter() - started < 0.5
    get_client.assert_not_called()
    with (
        mock.patch.object(
            resilient.time, "monotonic", return_value=time.monotonic() + resilient.RETRY_AFTER + 1
        ),
        mock.patch.object(RedisCacheClient, "get", return_value="back") as get,
    ):
        assert cache.get("k") == "back"
    get.assert_called_once()


def test_the_cache_works_normally_when_redis_is_up(settings, redis_url):
    settings.CACHES = resilient_caches(redis_url)
    resilient._down_until.clear()
    key = f"ops-test-{time.monotonic_ns()}"
    cache.set(key, {"n": 1}, timeout=30)
    assert cache.get(key) == {"n": 1}
    assert cache.add(f"{key}-counter", 0, timeout=30) is True
    assert cache.incr(f"{key}-counter") == 1
    cache.delete_many([key, f"{key}-counter"])
    assert cache.get(key) is None


def test_clearing_a_prefixed_cache_leaves_other_keys_in_the_same_database(redis_url):
    """Test workers (and sites sharing a Redis) each clear only their own keys, never the Celery queue."""
    from redis import Redis

    ours = resilient.ResilientRedisCache(redis_url, {"KEY_PREFIX": "clear-ours"})
    theirs = resilient.ResilientRedisCache(redis_url, {"KEY_PREFIX": "clear-theirs"})
    raw = Redis.from_url(redis_url)
    ours.set("throttle", 1)
    theirs.set("throttle", 2)
    raw.set("clear-queue-message", "kept")
    try:
        ours.clear()
        assert ours.get("throttle") is None
        assert theirs.get("throttle") == 2
        assert raw.get("clear-queue-message") == b"kept"
    finally:
        theirs.delete("throttle")
        raw.delete("clear-queue-message")
