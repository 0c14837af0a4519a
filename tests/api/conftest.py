"""API test helpers: a DRF client, tokens for personas, and a clean throttle history per test."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fresh_throttles():
    # Throttle counters live in the cache; one test's requests must not count against the next.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def make_token(user, *, read_only: bool = False, days: int = 30, name: str = "CI") -> str:
    from reviewapp.services.tokens import api_token_create

    _, secret = api_token_create(
        user=user, name=name, expires_at=timezone.now() + timedelta(days=days), read_only=read_only
    )
    return secret


def as_user(client: APIClient, user, **token_options) -> APIClient:
    """`client` authenticated as `user` with a fresh bearer token, the way automation calls the API."""
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user, **token_options)}")
    return client
