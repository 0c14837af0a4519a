"""Shared fixtures: the loaded catalogue, the personas every access test uses, and service requirements."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command

# CI sets REQUIRE_SERVICES=1: a test that needs PostgreSQL, Redis or Chromium then fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def need(condition: bool, reason: str) -> None:
    if condition:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Load the built-in lens once per test database; every test sees the same catalogue."""
    with django_db_blocker.unblock():
        call_command("load_lens", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.fixture
def postgres() -> None:
    need(settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "DATABASE_URL is not PostgreSQL")


@pytest.fixture
def redis_url() -> str:
    need(bool(settings.REDIS_URL), "REDIS_URL is not set")
    return settings.REDIS_URL


@pytest.fixture
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    need(os.path.exists(path), f"{path} is not installed")
    return path


# --- Personas: an owner, a teammate with fewer rights, an outsider who must get nothing, and org roles. ---

PASSWORD = "correct-horse-battery-staple"


def make_user(username: str, **extra):
    from reviewapp.models import User

    return User.objects.create_user(username=username, password=PASSWORD, email=f"{username}@example.test", **extra)


@pytest.fixture
def owner(db):
    return make_user("olivia_owner")


@pytest.fixture
def team(owner):
    from reviewapp.services import team_create

    return team_create(name="Payments", actor=owner)


@pytest.fixture
def contributor(team, owner):
    from reviewapp.services import membership_set

    user = make_user("carl_contributor")
    membership_set(team=team, user=user, role="CONTRIBUTOR", actor=owner)
    return user


@pytest.fixture
def viewer(team, owner):
    from reviewapp.services import membership_set

    user = make_user("vera_viewer")
    membership_set(team=team, user=user, role="VIEWER", actor=owner)
    return user


@pytest.fixture
def outsider(owner):
    from reviewapp.services import team_create

    user = make_user("oscar_outsider")
    team_create(name="Elsewhere", actor=user)
    return user


@pytest.fixture
def lead(db):
    return make_user("lena_lead", org_role="SECURITY_LEAD")


@pytest.fixture
def admin_user(db):
    return make_user("ada_admin", org_role="ADMIN")


@pytest.fixture
def workload(team, owner):
    from reviewapp.services import workload_create

    return workload_create(
        team=team,
        actor=owner,
        name="Checkout API",
        description="Takes card payments for the web shop.",
        environment="PRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
        account_ids=["111122223333"],
    )


@pytest.fixture
def review(workload, owner):
    from reviewapp.services import review_start

    return review_start(workload=workload, actor=owner)


def login(client, user):
    client.force_login(user)
    return client
