"""Tokens and the second factor: no token reaches past a role change or an MFA reset, a role that requires
two-step sign-in needs an authenticator for its tokens to work and a fresh code to make one; a token limited to
teams reaches only their workloads."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from reviewapp.identity import totp
from reviewapp.models import ApiToken, AuditEvent, MfaDevice, Team
from reviewapp.services import mfa_enrol, workload_create
from reviewapp.services.identity import mfa_reset
from reviewapp.services.tokens import api_token_create

from .conftest import make_token

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_for_leads_and_admins(settings):
    settings.MFA_REQUIRED_ROLES = ["ADMIN", "SECURITY_LEAD"]


def enrol(user) -> str:
    secret = totp.new_secret()
    mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    return secret


def next_code(user, secret: str) -> str:
    step = MfaDevice.objects.get(user=user).last_used_step + 1
    return pyotp.TOTP(secret).at(step * totp.STEP_SECONDS)


def bearer(api, secret: str):
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return api


def test_the_promoted_members_token_is_refused(api, owner, outsider):
    secret = make_token(owner)  # a member needs no second factor to make one
    assert bearer(api, secret).get(reverse("api_team_list")).status_code == 200
    owner.org_role = "SECURITY_LEAD"
    owner.save(update_fields=["org_role"])

    response = bearer(api, secret).get(reverse("api_team_list"))

    assert response.status_code == 401
    assert "organisation role changed" in response.json()["detail"]
    token = ApiToken.objects.get(user=owner)
    assert token.revoked_at is not None
    revocation = AuditEvent.objects.get(action="api_token.revoke")
    assert revocation.after["reason"] == "organisation role changed" and revocation.actor_label == "system"
    # Not even after enrolling: a new token, made with a fresh code, is the way back.
    enrol(owner)
    assert bearer(api, secret).get(reverse("api_team_list")).status_code == 401


def test_a_lead_token_needs_a_fresh_code_and_an_authenticator(api, lead):
    with pytest.raises(ValidationError, match="requires two-step sign-in"):
        make_token(lead)
    seed = enrol(lead)
    with pytest.raises(ValidationError, match="not valid"):
        api_token_create(
            user=lead, name="CI", expires_at=timezone.now() + timedelta(days=5), second_factor="000000"
        )
    _, secret = api_token_create(
        user=lead,
        name="CI",
        expires_at=timezone.now() + timedelta(days=5),
        second_factor=next_code(lead, seed),
    )
    assert bearer(api, secret).get(reverse("api_team_list")).status_code == 200

    MfaDevice.objects.filter(user=lead).delete()  # however the authenticator went away
    response = bearer(api, secret).get(reverse("api_team_list"))
    assert response.status_code == 401 and "set up an authenticator" in response.json()["detail"]


def test_an_mfa_reset_revokes_the_users_tokens(api, lead, admin_user):
    seed = enrol(lead)
    _, secret = api_token_create(
        user=lead,
        name="CI",
        expires_at=timezone.now() + timedelta(days=5),
        second_factor=next_code(lead, seed),
    )
    mfa_reset(actor=admin_user, user=lead)

    enrol(lead)  # even once they enrol again, the old token stays dead
    assert bearer(api, secret).get(reverse("api_team_list")).status_code == 401
    revocation = AuditEvent.objects.get(action="api_token.revoke")
    assert revocation.actor == admin_user and revocation.after["reason"] == "second factor reset"


def test_the_token_page_asks_a_lead_for_a_fresh_code(client, lead):
    seed = enrol(lead)
    client.force_login(lead)
    form = client.get(reverse("token_create"))
    assert b"Code from your authenticator" in form.content

    refused = client.post(reverse("token_create"), {"name": "CI", "days": "30"})
    assert b"enter a code from your authenticator" in refused.content
    assert not ApiToken.objects.exists()

    created = client.post(
        reverse("token_create"), {"name": "CI", "days": "30", "second_factor": next_code(lead, seed)}
    )
    assert created.status_code == 200 and ApiToken.objects.get().issued_role == "SECURITY_LEAD"


def test_a_token_limited_to_a_team_reaches_only_its_workloads(api, owner, team, workload):
    other_team = Team.objects.create(name="Other")
    other_team.memberships.create(user=owner, role="OWNER")
    hidden = workload_create(
        team=other_team,
        actor=owner,
        name="Other system",
        description="Another team's system.",
        environment="PRODUCTION",
        review_owner="o@example.test",
        aws_regions=["eu-west-1"],
    )
    _, secret = api_token_create(
        user=owner, name="Payments only", expires_at=timezone.now() + timedelta(days=5), teams=[team]
    )
    client = bearer(api, secret)

    listed = client.get(reverse("api_workload_list")).json()
    assert [row["name"] for row in listed["results"]] == ["Checkout API"]
    assert client.get(reverse("api_workload_detail", kwargs={"workload_id": hidden.pk})).status_code == 404
    assert client.get(reverse("api_workload_detail", kwargs={"workload_id": workload.pk})).status_code == 200


def test_a_token_cannot_be_limited_to_a_team_its_user_cannot_see(owner, outsider):
    with pytest.raises(ValidationError, match="teams you can see"):
        api_token_create(
            user=owner,
            name="CI",
            expires_at=timezone.now() + timedelta(days=5),
            teams=[Team.objects.get(name="Elsewhere")],
        )
