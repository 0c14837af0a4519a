"""Personal token management through the API: your own tokens only, the secret once, a fresh second factor when
the role requires one, team limits that never widen, revocation; every change audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviewapp.models import ApiToken, AuditEvent, Team
from reviewapp.services import team_create
from reviewapp.services.tokens import api_token_create, token_digest

from .conftest import as_user, make_token
from .test_token_mfa import bearer, enrol, next_code

pytestmark = pytest.mark.django_db

LIST = reverse("api_token_list")


def detail(token) -> str:
    return reverse("api_token_detail", args=[token.pk])


def test_a_member_creates_a_token_and_sees_its_secret_once(api, owner, team):
    response = as_user(api, owner).post(
        LIST,
        {"name": "Deploy pipeline", "days": 10, "read_only": True, "teams": [str(team.pk)]},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    token = ApiToken.objects.get(pk=body["id"])
    assert token.sha256 == token_digest(body["secret"]) and token.read_only
    assert [t["name"] for t in body["teams"]] == ["Payments"] and token.team_limited
    created = AuditEvent.objects.get(action="api_token.create", object_id=str(token.pk))
    assert created.after["teams"] == ["Payments"] and body["secret"] not in str(created.after)
    # The new token works, and no list or detail shows a secret again.
    assert bearer(api, body["secret"]).get(LIST).status_code == 200
    listed = api.get(LIST).json()["results"]
    assert {row["name"] for row in listed} == {"CI", "Deploy pipeline"}
    assert all("secret" not in row for row in listed)
    assert "secret" not in api.get(detail(token)).json()


def test_bad_input_gets_400_with_a_reason_and_creates_nothing(api, owner, settings):
    settings.API_TOKEN_MAX_DAYS = 30
    as_user(api, owner)

    too_long = api.post(LIST, {"name": "Nightly", "days": 31}, format="json")
    overflow = api.post(LIST, {"name": "Nightly", "days": 10**12}, format="json")
    unnamed = api.post(LIST, {"name": "  ", "days": 5}, format="json")

    assert too_long.status_code == overflow.status_code == unnamed.status_code == 400
    assert "at most 30 days" in too_long.json()["days"][0]
    assert "at most 30 days" in overflow.json()["days"][0]
    assert "name" in unnamed.json()
    assert ApiToken.objects.filter(user=owner).count() == 1  # the caller's own


def test_a_token_cannot_be_limited_to_a_team_one_does_not_see(api, owner, outsider):
    elsewhere = Team.objects.get(name="Elsewhere")
    as_user(api, owner)

    hidden = api.post(LIST, {"name": "Sneaky", "teams": [str(elsewhere.pk)]}, format="json")
    unknown = api.post(
        LIST, {"name": "Sneaky", "teams": ["00000000-0000-4000-8000-000000000000"]}, format="json"
    )

    assert hidden.status_code == unknown.status_code == 400
    # The same answer for a team that exists and one that does not: no hint which ids are real.
    assert hidden.json() == unknown.json() == {"teams": ["Limit the token to teams you can see."]}
    assert ApiToken.objects.filter(user=owner).count() == 1


def test_a_team_limited_token_only_makes_tokens_within_its_teams(api, owner, team):
    other = team_create(name="Ledger", actor=owner)
    secret = make_token(owner)
    limited = as_user(api, owner).post(
        LIST, {"name": "Payments only", "teams": [str(team.pk)]}, format="json"
    )
    bearer(api, limited.json()["secret"])

    unlimited = api.post(LIST, {"name": "Everything"}, format="json")
    wider = api.post(LIST, {"name": "Ledger too", "teams": [str(team.pk), str(other.pk)]}, format="json")
    within = api.post(LIST, {"name": "Payments CI", "teams": [str(team.pk)]}, format="json")

    assert unlimited.status_code == 400 and "limited to teams" in unlimited.json()["teams"][0]
    assert wider.status_code == 400 and wider.json()["teams"] == ["Limit the token to teams you can see."]
    assert within.status_code == 201 and [t["name"] for t in within.json()["teams"]] == ["Payments"]
    # An unlimited token still makes tokens for any team its user sees.
    ledger = bearer(api, secret).post(LIST, {"name": "Ledger", "teams": [str(other.pk)]}, format="json")
    assert ledger.status_code == 201


def test_a_token_cannot_make_one_that_outlives_it(api, owner):
    bearer(api, make_token(owner, days=5))

    longer = api.post(LIST, {"name": "Forever", "days": 30}, format="json")
    shorter = api.post(LIST, {"name": "This week", "days": 3}, format="json")

    assert longer.status_code == 400 and "cannot outlive" in longer.json()["days"][0]
    unstated = api.post(LIST, {"name": "Default"}, format="json")

    assert shorter.status_code == 201
    # Left out, the lifetime ends with the creating token's rather than being refused.
    assert unstated.status_code == 201
    via = ApiToken.objects.get(user=owner, name="CI")
    assert ApiToken.objects.get(pk=unstated.json()["id"]).expires_at == via.expires_at
    names = set(ApiToken.objects.filter(user=owner).values_list("name", flat=True))
    assert names == {"CI", "This week", "Default"}


def test_a_lead_needs_a_fresh_code_to_create_a_token(api, lead, settings):
    _, secret = api_token_create(user=lead, name="Before MFA", expires_at=timezone.now() + timedelta(days=1))
    seed = enrol(lead)
    settings.MFA_REQUIRED_ROLES = ["ADMIN", "SECURITY_LEAD"]
    bearer(api, secret)

    missing = api.post(LIST, {"name": "Audit export"}, format="json")
    wrong = api.post(LIST, {"name": "Audit export", "second_factor": "000000"}, format="json")
    fresh = api.post(LIST, {"name": "Audit export", "second_factor": next_code(lead, seed)}, format="json")

    assert missing.status_code == 400 and "authenticator" in missing.json()["second_factor"][0]
    assert wrong.status_code == 400 and "not valid" in wrong.json()["second_factor"][0]
    assert fresh.status_code == 201
    assert ApiToken.objects.filter(user=lead, name="Audit export").count() == 1


def test_the_owner_revokes_a_token_and_it_stops_working(api, owner):
    secret = make_token(owner, name="Old pipeline")
    token = ApiToken.objects.get(sha256=token_digest(secret))

    response = as_user(api, owner).delete(detail(token))

    assert response.status_code == 200
    assert response.json()["usable"] is False and response.json()["revoked_at"]
    assert AuditEvent.objects.filter(action="api_token.revoke", object_id=str(token.pk)).count() == 1
    assert bearer(api, secret).get(LIST).status_code == 401


def test_someone_elses_token_does_not_exist(api, owner, outsider, admin_user):
    token = ApiToken.objects.get(sha256=token_digest(make_token(owner)))
    for person in (outsider, admin_user):
        as_user(api, person)
        assert api.get(detail(token)).status_code == 404
        assert api.delete(detail(token)).status_code == 404
        assert [row["id"] for row in api.get(LIST).json()["results"]] != [str(token.pk)]
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_read_only_token_cannot_create_or_revoke_tokens(api, owner):
    token = ApiToken.objects.get(sha256=token_digest(make_token(owner)))
    as_user(api, owner, read_only=True)

    assert api.post(LIST, {"name": "Escalate"}, format="json").status_code == 403
    assert api.delete(detail(token)).status_code == 403
    assert ApiToken.objects.filter(user=owner).count() == 2


def test_the_token_list_query_count_does_not_grow(api, owner, team, django_assert_num_queries):
    as_user(api, owner)
    api.get(LIST)
    with django_assert_num_queries(4):  # token, count, page, teams of the page
        api.get(LIST)
    for number in range(5):
        make_token(owner, name=f"Job {number}")
    with django_assert_num_queries(4):
        assert len(api.get(LIST).json()["results"]) == 6
