"""The API token pages: a user lists, creates (seeing the secret once) and revokes only their own tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from reviewapp.models import ApiToken, AuditEvent
from reviewapp.services.tokens import token_digest
from tests.api.conftest import make_token

pytestmark = pytest.mark.django_db


def test_it_lists_only_my_tokens(client, owner, outsider):
    make_token(owner, name="Deploy pipeline")
    make_token(outsider, name="Someone else's")
    client.force_login(owner)
    response = client.get(reverse("token_list"))
    assert response.status_code == 200
    assert b"Deploy pipeline" in response.content
    assert b"Someone else" not in response.content


def test_the_list_costs_the_same_queries_for_one_token_or_many(
    client, owner, django_assert_num_queries, django_assert_max_num_queries
):
    client.force_login(owner)
    make_token(owner, name="first")
    client.get(reverse("token_list"))  # warm the session
    # Session and user, then one query for the tokens; the budget leaves room for site-wide middleware.
    with django_assert_max_num_queries(6) as one:
        client.get(reverse("token_list"))
    for index in range(10):
        make_token(owner, name=f"token {index}")
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse("token_list"))
    assert response.content.count(b"<tr") == 12  # header + 11 tokens


def test_it_shows_the_secret_once_and_stores_only_its_hash(client, owner):
    client.force_login(owner)
    response = client.post(reverse("token_create"), {"name": "CI", "days": "30", "read_only": "on"})
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    secret = response.context["secret"]
    assert secret.encode() in response.content
    token = ApiToken.objects.get(user=owner)
    assert token.sha256 == token_digest(secret)
    assert token.read_only
    assert timedelta(days=29, hours=23) < token.expires_at - timezone.now() <= timedelta(days=30)
    assert AuditEvent.objects.filter(action="api_token.create", object_id=str(token.pk)).exists()
    listing = client.get(reverse("token_list"))
    assert secret.encode() not in listing.content
    assert token.prefix.encode() in listing.content


def test_it_explains_what_is_wrong_with_the_form(client, owner):
    client.force_login(owner)
    response = client.post(reverse("token_create"), {"name": "  ", "days": "0"})
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"name", "days"}
    assert not ApiToken.objects.exists()


@override_settings(API_TOKEN_MAX_DAYS=30)
def test_it_refuses_an_expiry_beyond_the_configured_maximum(client, owner):
    client.force_login(owner)
    response = client.post(reverse("token_create"), {"name": "CI", "days": "31"})
    assert "less than or equal to 30" in str(response.context["form"].errors["days"])
    assert not ApiToken.objects.exists()


def test_it_revokes_my_token(client, owner):
    make_token(owner)
    token = ApiToken.objects.get(user=owner)
    client.force_login(owner)
    response = client.post(reverse("token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).exists()
    assert b"Revoked" in client.get(reverse("token_list")).content


def test_it_does_not_let_anyone_else_revoke_my_token(client, owner, outsider):
    make_token(owner)
    token = ApiToken.objects.get(user=owner)
    client.force_login(outsider)
    response = client.post(reverse("token_revoke", kwargs={"token_id": token.pk}))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_needs_a_post(client, owner):
    make_token(owner)
    token = ApiToken.objects.get(user=owner)
    client.force_login(owner)
    assert client.get(reverse("token_revoke", kwargs={"token_id": token.pk})).status_code == 405
