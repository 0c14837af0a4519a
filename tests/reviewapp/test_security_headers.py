"""Security headers on every kind of response, error pages that leak nothing, and the deploy check for the
encryption key."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from django.test import RequestFactory
from django.urls import reverse
from django.views.defaults import server_error

from reviewapp.identity.checks import field_encryption_key_check
from reviewapp.middleware import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.django_db

CSP_PARTS = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
]


def assert_hardened(response) -> None:
    csp = response["Content-Security-Policy"]
    for part in CSP_PARTS:
        assert part in csp, part
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    policy = response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["Cross-Origin-Resource-Policy"] == "same-origin"
    assert response["X-Request-ID"]


def test_a_page_has_every_header(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert_hardened(response)
    assert response["X-Frame-Options"] == "DENY"


def test_a_redirect_has_every_header(client):
    response = client.get(reverse("workload_list"))
    assert response.status_code == 302
    assert_hardened(response)


def test_a_not_found_page_has_every_header_and_reveals_nothing(client, outsider, workload):
    client.force_login(outsider)
    response = client.get(reverse("workload_detail", args=[workload.pk]))
    assert response.status_code == 404
    assert_hardened(response)
    page = response.content.decode()
    assert "Page not found" in page
    assert workload.name not in page and "No such" not in page and "Traceback" not in page


def test_a_refusal_has_every_header_and_a_plain_explanation(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("mfa_admin"))
    assert response.status_code == 403
    assert_hardened(response)
    assert "Not allowed" in response.content.decode()


def test_json_responses_have_every_header(client):
    response = client.get(reverse("healthz"))
    assert response["Content-Type"] == "application/json"
    assert_hardened(response)


def test_api_refusals_have_every_header(client):
    response = client.get("/api/v1/workloads/", HTTP_ACCEPT="application/json")
    assert response.status_code in (401, 403)
    assert_hardened(response)


def test_static_files_have_every_header(client, settings):
    # Serve straight from static/ as in development; production serves the collected copy the same way.
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert_hardened(response)


def test_pages_that_depend_on_the_session_are_not_cached(client, owner):
    client.force_login(owner)
    response = client.get(reverse("account"))
    assert response["Cache-Control"] == "no-store"


def test_https_settings_add_hsts_and_secure_cookies(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    response = client.get(reverse("login"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")


def test_the_server_error_page_stands_alone_and_reveals_nothing():
    response = server_error(RequestFactory().get("/workloads/?token=abc"))
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "token" not in page and "Traceback" not in page and "csrf" not in page.lower()


def test_the_policy_allows_no_inline_script_or_style():
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_the_deploy_check_wants_an_encryption_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    assert [error.id for error in field_encryption_key_check(None)] == ["reviewapp.E101"]
    settings.FIELD_ENCRYPTION_KEYS = ["change-me-to-a-fernet-key"]
    assert [error.id for error in field_encryption_key_check(None)] == ["reviewapp.E102"]
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert field_encryption_key_check(None) == []
