"""Shared fixtures: the loaded catalogue, the personas every access test uses, and service requirements."""

from __future__ import annotations

import os

import pytest
from django.conf import settings
from django.core.management import call_command
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# CI sets REQUIRE_SERVICES=1: a test that needs PostgreSQL, Redis or Chromium then fails instead of skipping.
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# The pytest-xdist worker ("gw0", "gw1"...), or "main" without workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
# How long a test may wait for a PDF: a loaded CI machine renders several times slower than production, and a
# slow render there is not a failure. Tests of the time limit itself set their own.
TEST_RENDER_TIMEOUT = 600

# Property-based tests run the same fixed number of examples everywhere and never fail on the clock: a busy
# machine makes an example slow, not wrong. HYPOTHESIS_PROFILE=dev runs more examples while working on a property.
hypothesis_settings.register_profile(
    "ci",
    deadline=None,
    max_examples=100,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
hypothesis_settings.register_profile("dev", deadline=None, max_examples=500)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_configure(config) -> None:
    """Workers share one Redis database: each keeps its cache keys under its own prefix, and clearing the cache
    (ResilientRedisCache.clear) removes only those keys, never another worker's throttle counts or queue."""
    if settings.REDIS_URL:
        settings.CACHES["default"]["KEY_PREFIX"] = f"test-{WORKER}"


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


@pytest.fixture(autouse=True)
def _plain_http(settings):
    """The test client speaks plain HTTP; production settings would redirect every request to HTTPS."""
    settings.SECURE_SSL_REDIRECT = False
    # Argon2 is slow on purpose; the personas are created hundreds of times per run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Hashed static names need collectstatic first; tests serve the source files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # ...and whitenoise serves them from the finders, as in development, instead of warning on every request
    # that the collectstatic directory does not exist.
    settings.STATIC_ROOT = None
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True
    settings.REPORT_RENDER_TIMEOUT = TEST_RENDER_TIMEOUT


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """Stored files (milestone PDFs) go to this test's own directory: nothing shared between tests or workers."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _evidence_files_in_tmp(settings, tmp_path_factory):
    """Evidence files a test attaches land in a directory of their own, never in the checkout's var/."""
    settings.STORAGES = {
        **settings.STORAGES,
        "evidence": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path_factory.mktemp("evidence-files"))},
        },
    }


@pytest.fixture(autouse=True)
def _sign_in_defaults(settings):
    """Personas sign in with force_login, which skips the second factor, so MFA enforcement is off unless a
    test turns it on (tests/reviewapp/test_mfa.py does). A fixed test-only key encrypts TOTP seeds."""
    settings.MFA_REQUIRED_ROLES = []
    settings.FIELD_ENCRYPTION_KEYS = ["MP5KfBNJRRCD_idMdKLbH53_5ctNpAQXu-OBwQmy0xw="]


@pytest.fixture(autouse=True)
def _jobs_in_the_call(settings):
    """Background jobs run inside the call that queued them, so tests see their result without waiting;
    tests/reviewapp/test_background.py covers the thread mode of the embedded default."""
    settings.JOB_THREADS = False


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

    return User.objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@example.test", **extra
    )


@pytest.fixture
def lens(db):
    """The built-in lens, reloaded when a live-server (transactional) test has flushed the database."""
    from questionnaire.models import Lens
    from reviewapp.specs import clear_caches

    lens = Lens.objects.filter(slug=settings.DEFAULT_LENS_SLUG).first()
    if lens is None:
        call_command("load_lens", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
        # Row ids may be reused after a flush, so specs memoised by version id would be stale.
        clear_caches()
        lens = Lens.objects.get(slug=settings.DEFAULT_LENS_SLUG)
    return lens


@pytest.fixture
def owner(lens):
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
def lead(lens):
    return make_user("lena_lead", org_role="SECURITY_LEAD")


@pytest.fixture
def admin_user(lens):
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
