"""Bearer tokens: valid ones work; expired, revoked, unknown or malformed ones get 401; read-only ones cannot
write; use is audited at most once a minute; the browser's session keeps working, with CSRF."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from reviewapp.models import ApiToken, AuditEvent
from reviewapp.services.tokens import api_token_revoke, token_digest

from .conftest import as_user, make_token

pytestmark = pytest.mark.django_db


def teams_url() -> str:
    return reverse("api_team_list")


def test_it_accepts_a_valid_token(api, owner, team):
    response = as_user(api, owner).get(teams_url())
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["Payments"]


def test_it_stores_only_a_keyed_hash_of_the_token(owner):
    secret = make_token(owner)
    token = ApiToken.objects.get(user=owner)
    assert token.sha256 == token_digest(secret)
    assert secret not in token.sha256
    assert token.prefix == secret[:8]


def test_it_answers_401_without_credentials(api, team):
    response = api.get(teams_url())
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_it_refuses_an_unknown_token(api, team):
    api.credentials(HTTP_AUTHORIZATION="Bearer not-a-real-token")
    response = api.get(teams_url())
    assert response.status_code == 401
    assert response.json() == {"detail": "The token is not valid."}


def test_it_refuses_a_malformed_authorization_header(api, team):
    api.credentials(HTTP_AUTHORIZATION="Bearer two words")
    assert api.get(teams_url()).status_code == 401


def test_it_refuses_an_expired_token(api, owner, team):
    secret = make_token(owner)
    ApiToken.objects.filter(user=owner).update(expires_at=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get(teams_url())
    assert response.status_code == 401
    assert response.json() == {"detail": "The token has expired."}


def test_it_refuses_a_revoked_token(api, owner, team):
    secret = make_token(owner)
    api_token_revoke(token=ApiToken.objects.get(user=owner), actor=owner)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = api.get(teams_url())
    assert response.status_code == 401
    assert response.json() == {"detail": "The token has been revoked."}


def test_it_refuses_the_token_of_a_disabled_user(api, owner, team):
    secret = make_token(owner)
    owner.is_active = False
    owner.save()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert api.get(teams_url()).status_code == 401


def test_a_read_only_token_reads_but_cannot_write(api, owner, workload):
    as_user(api, owner, read_only=True)
    url = reverse("api_workload_detail", kwargs={"workload_id": workload.pk})
    assert api.get(url).status_code == 200
    response = api.patch(url, {"notes": "changed"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    workload.refresh_from_db()
    assert workload.notes == ""


def test_it_audits_token_use_at_most_once_a_minute(api, owner, team):
    as_user(api, owner)
    for _ in range(3):
        assert api.get(teams_url()).status_code == 200
    token = ApiToken.objects.get(user=owner)
    uses = AuditEvent.objects.filter(action="api.token_use", object_id=str(token.pk))
    assert uses.count() == 1
    assert uses.get().after["path"] == teams_url()
    assert token.last_used_at is not None

    # A minute later the next use is recorded again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now() - timedelta(seconds=61))
    assert api.get(teams_url()).status_code == 200
    assert uses.count() == 2


def test_the_browser_session_still_works_and_needs_csrf_for_writes(owner, workload):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(owner)
    url = reverse("api_workload_detail", kwargs={"workload_id": workload.pk})
    assert browser.get(url).status_code == 200
    response = browser.patch(url, {"notes": "no csrf"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_tokens_do_not_need_csrf(api, owner, workload):
    client = as_user(APIClient(enforce_csrf_checks=True), owner)
    url = reverse("api_workload_detail", kwargs={"workload_id": workload.pk})
    response = client.patch(url, {"notes": "from CI"}, format="json")
    assert response.status_code == 200
    assert response.json()["notes"] == "from CI"


def test_api_urls_do_not_redirect_to_the_sign_in_page(client, team):
    response = client.get(teams_url(), HTTP_ACCEPT="application/json")
    assert response.status_code == 401


def test_it_throttles_a_busy_client(api, owner, team, monkeypatch):
    from rest_framework.throttling import SimpleRateThrottle

    # The rates come from settings (API_THROTTLE_USER / API_THROTTLE_ANON); DRF reads them once, at import.
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"user": "2/minute", "anon": "1/minute"})
    as_user(api, owner)
    assert [api.get(teams_url()).status_code for _ in range(3)] == [200, 200, 429]
    response = api.get(teams_url())
    assert "throttled" in response.json()["detail"] and int(response["Retry-After"]) > 0
