"""The fake Jira (tests/jira_fake.py) for this package: one server per test module, cleared for each test."""

from __future__ import annotations

import pytest

from tests.jira_fake import EMAIL, TOKEN, FakeJiraServer


@pytest.fixture(scope="module")
def jira_server():
    server = FakeJiraServer()
    with server as fake:
        yield fake


@pytest.fixture
def jira(jira_server, settings):
    jira_server.reset()
    # Short enough that the timeout test is quick, long enough for a busy machine's loopback.
    settings.JIRA_TIMEOUT = 2
    return jira_server


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    """Tasks run inside the call that queued them, even when the suite runs with REDIS_URL set."""
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def connection(jira, team, owner):
    from reviewapp.jira.services import jira_connection_save

    return jira_connection_save(
        team=team,
        actor=owner,
        site_url=jira.url,
        project_key="SEC",
        deployment="CLOUD",
        email=EMAIL,
        token=TOKEN,
        issue_type="Task",
        field_mapping={"due_date": "duedate", "level": "priority"},
    )


@pytest.fixture
def answered(review, owner):
    from tests.reviewapp.reports_world import fill_review

    fill_review(review, owner)
    return review


def item(workload, code):
    from reviewapp.models import ImprovementItem

    return ImprovementItem.objects.select_related("workload__team").get(workload=workload, bp_code=code)


@pytest.fixture
def api_client():
    """A DRF client signed in as a user with a bearer token, as automation calls the API."""
    from django.core.cache import cache
    from rest_framework.test import APIClient

    from tests.api.conftest import as_user

    cache.clear()
    return lambda user: as_user(APIClient(), user)
