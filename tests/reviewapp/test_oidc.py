"""Single sign-on through OpenID Connect, against a fake provider on loopback: discovery, keys, the code swap
with PKCE, and an ID token signed with a key only the provider holds."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from django.urls import reverse
from joserfc import jwt
from joserfc.jwk import RSAKey

from reviewapp.identity import totp
from reviewapp.models import AuditEvent, ExternalIdentity, User
from reviewapp.services import mfa_enrol

pytestmark = pytest.mark.django_db

CLIENT_ID = "reviews-app"
CLIENT_SECRET = "fake-client-secret"


class FakeProvider:
    """Just enough of an OpenID provider: it answers discovery, publishes its key and swaps codes the test
    registered for signed ID tokens, checking the client's secret and the PKCE verifier."""

    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "provider-key"}, private=True)
        self.codes: dict[str, dict] = {}
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    self._json(200, provider.metadata())
                elif self.path == "/jwks":
                    self._json(200, {"keys": [provider.key.as_dict(private=False)]})
                else:
                    self._json(404, {})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                if self.headers.get("Authorization") != f"Basic {expected}":
                    return self._json(401, {"error": "invalid_client"})
                grant = provider.codes.pop(form.get("code", ""), None)
                if grant is None:
                    return self._json(400, {"error": "invalid_grant"})
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if challenge.decode() != grant["code_challenge"]:
                    return self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                key = grant.get("signing_key", provider.key)
                id_token = jwt.encode({"alg": "RS256", "kid": key.kid}, grant["claims"], key)
                self._json(
                    200,
                    {"access_token": "at", "token_type": "Bearer", "expires_in": 300, "id_token": id_token},
                )

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def metadata(self) -> dict:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    def approve(self, authorize_url: str, code: str = "the-code", **overrides) -> dict:
        """What the provider does after the person signs in there: register a code for these claims and return
        the parameters it would send the browser back with."""
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "provider-user-1",
            "iat": now,
            "exp": now + 300,
            "nonce": params["nonce"],
            "email": "olivia_owner@example.test",
            "email_verified": True,
        }
        signing_key = overrides.pop("signing_key", None)
        claims.update(overrides)
        grant = {"claims": claims, "code_challenge": params["code_challenge"]}
        if signing_key is not None:
            grant["signing_key"] = signing_key
        self.codes[code] = grant
        return {"code": code, "state": params["state"]}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(settings):
    fake = FakeProvider()
    settings.OIDC_ISSUER = fake.issuer
    settings.OIDC_CLIENT_ID = CLIENT_ID
    settings.OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_ALLOWED_DOMAINS = ["example.test"]
    settings.OIDC_CREATE_USERS = True
    settings.OIDC_PROVIDER_NAME = "Example SSO"
    yield fake
    fake.stop()


def start(client, next_url: str = "") -> str:
    response = client.get(reverse("oidc_login"), {"next": next_url} if next_url else {})
    assert response.status_code == 302
    return response["Location"]


def finish(client, params: dict):
    return client.get(reverse("oidc_callback"), params)


def signed_in_as(client) -> str | None:
    response = client.get(reverse("account"))
    return response.context["user"].username if response.status_code == 200 else None


def test_the_sign_in_page_offers_single_sign_on_when_configured(client, provider):
    assert "Sign in with Example SSO" in client.get(reverse("login")).content.decode()


def test_it_sends_the_browser_to_the_provider_with_state_nonce_and_pkce(client, provider):
    location = start(client)
    assert location.startswith(f"{provider.issuer}/authorize?")
    params = parse_qs(urlsplit(location).query)
    assert params["client_id"] == [CLIENT_ID] and params["response_type"] == ["code"]
    assert params["code_challenge_method"] == ["S256"] and params["state"] and params["nonce"]
    assert params["redirect_uri"] == ["http://testserver" + reverse("oidc_callback")]


def test_it_signs_in_an_existing_person_by_verified_email_and_links_them(client, provider, owner, workload):
    location = start(client, next_url=reverse("workload_detail", args=[workload.pk]))

    response = finish(client, provider.approve(location))

    assert response.status_code == 302
    assert response["Location"] == reverse("workload_detail", args=[workload.pk])
    assert signed_in_as(client) == owner.username
    assert ExternalIdentity.objects.get(user=owner).subject == "provider-user-1"
    login = AuditEvent.objects.filter(action="auth.login").get()
    assert login.actor == owner and login.after["method"] == "oidc"


def test_once_linked_the_subject_decides_not_the_email(client, provider, owner):
    finish(client, provider.approve(start(client)))
    client.post(reverse("logout"))

    finish(client, provider.approve(start(client), code="second", email="someone.else@example.test"))

    assert signed_in_as(client) == owner.username


def test_it_creates_an_account_for_an_allowed_domain(client, provider):
    params = provider.approve(
        start(client), email="new.person@example.test", sub="provider-user-9", preferred_username="newperson"
    )

    finish(client, params)

    user = User.objects.get(email="new.person@example.test")
    assert signed_in_as(client) == user.username == "newperson"
    assert not user.has_usable_password() and user.org_role == "" and not user.memberships.exists()
    assert AuditEvent.objects.filter(action="auth.sso_account_create", actor=user).exists()


def test_it_refuses_other_domains_and_unverified_addresses(client, provider):
    finish(client, provider.approve(start(client), email="mallory@elsewhere.test", sub="x1"))
    assert signed_in_as(client) is None
    finish(client, provider.approve(start(client), code="c2", sub="x2", email_verified=False))
    assert signed_in_as(client) is None
    reasons = AuditEvent.objects.filter(action="auth.login_failed").values_list("after__reason", flat=True)
    assert sorted(reasons) == ["sso_domain", "sso_email_unverified"]
    assert not User.objects.filter(email="mallory@elsewhere.test").exists()


def test_it_refuses_a_token_for_another_nonce(client, provider, owner):
    response = finish(client, provider.approve(start(client), nonce="replayed-from-elsewhere"))
    assert response["Location"] == reverse("login")
    assert signed_in_as(client) is None
    assert AuditEvent.objects.filter(action="auth.login_failed", after__reason="sso_error").exists()


def test_it_refuses_a_token_signed_by_another_key(client, provider, owner):
    forger = RSAKey.generate_key(2048, parameters={"kid": "provider-key"}, private=True)
    finish(client, provider.approve(start(client), signing_key=forger))
    assert signed_in_as(client) is None


def test_it_refuses_a_token_for_another_audience_or_issuer(client, provider, owner):
    finish(client, provider.approve(start(client), aud="some-other-app"))
    assert signed_in_as(client) is None
    finish(client, provider.approve(start(client), code="c2", iss="http://127.0.0.1:1"))
    assert signed_in_as(client) is None


def test_it_refuses_a_callback_it_did_not_start(client, provider, owner):
    params = provider.approve(start(client))
    other_browser = client.__class__()
    assert finish(other_browser, params)["Location"] == reverse("login")
    assert signed_in_as(other_browser) is None


def test_people_with_an_authenticator_still_enter_their_code(client, provider, owner):
    secret = totp.new_secret()
    mfa_enrol(user=owner, secret=secret, code=pyotp.TOTP(secret).now())

    response = finish(client, provider.approve(start(client)))

    assert response["Location"] == reverse("login_mfa")
    assert signed_in_as(client) is None
    step = totp.current_step() + 1
    client.post(reverse("login_mfa"), {"code": pyotp.TOTP(secret).at(step * totp.STEP_SECONDS)})
    assert signed_in_as(client) == owner.username
    assert AuditEvent.objects.get(action="auth.login").after == {"method": "oidc", "second_factor": "totp"}


def test_the_pages_do_not_exist_without_configuration(client):
    assert client.get(reverse("oidc_login")).status_code == 404
    assert client.get(reverse("oidc_callback")).status_code == 404
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
