"""Jira in the browser and through the API: the owner's connection (token stored encrypted, never shown back),
the plan showing each item's issue, failure or "done in Jira", and the actions people take."""

from __future__ import annotations

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.jira.models import JiraConnection, JiraLink
from reviewapp.models import Answer, AuditEvent, ImprovementItem
from tests.conftest import login
from tests.jira_fake import EMAIL, TOKEN, free_port

from .conftest import item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    global committed
    committed = django_capture_on_commit_callbacks


def jira_page(team) -> str:
    return reverse("team_jira", kwargs={"team_id": team.pk})


def plan_page(workload) -> str:
    return reverse("workload_plan", kwargs={"workload_id": workload.pk})


def item_url(name: str, target) -> str:
    return reverse(name, kwargs={"workload_id": target.workload_id, "item_id": target.pk})


def connection_form(jira, **changes) -> dict:
    return {
        "site_url": jira.url,
        "deployment": "CLOUD",
        "email": EMAIL,
        "token": TOKEN,
        "project_key": "SEC",
        "issue_type": "Task",
        "field_mapping": "due_date=duedate\nlevel=priority",
    } | changes


def test_the_owner_connects_and_the_token_is_stored_encrypted_and_never_shown(client, jira, owner, team):
    response = login(client, owner).post(jira_page(team), connection_form(jira))
    assert response.status_code == 302
    saved = JiraConnection.objects.get(team=team)
    assert saved.field_mapping == {"due_date": "duedate", "level": "priority"}
    assert TOKEN not in saved.token_encrypted
    page = client.get(jira_page(team)).content.decode()
    assert "project <strong>SEC</strong>" in page and TOKEN not in page
    audit = AuditEvent.objects.get(action="jira.connection_save")
    assert audit.after["token"] == "changed" and TOKEN not in str(audit.after)
    # Saving again without a token keeps the stored one.
    client.post(jira_page(team), connection_form(jira, token="", issue_type="Bug"))
    again = JiraConnection.objects.get(team=team)
    assert again.token_encrypted == saved.token_encrypted and again.issue_type == "Bug"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"site_url": "http://jira.example.test"}, "Use https://"),
        ({"project_key": "sec project"}, "capital letters"),
        ({"email": ""}, "needs the e-mail address"),
        ({"token": ""}, "Enter the API token"),
        ({"field_mapping": "owner=assignee"}, "is not one of"),
    ],
)
def test_a_bad_connection_is_refused_with_its_reason_and_nothing_saved(
    client, jira, owner, team, changes, message
):
    response = login(client, owner).post(jira_page(team), connection_form(jira, **changes))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not JiraConnection.objects.exists()


def test_members_who_are_not_owners_cannot_open_it(client, jira, contributor, team):
    assert login(client, contributor).get(jira_page(team)).status_code == 403


def test_testing_the_connection_says_who_we_are_or_why_not(client, jira, owner, team, connection):
    login(client, owner)
    response = client.post(reverse("team_jira_test", kwargs={"team_id": team.pk}), follow=True)
    assert "Connected as Review Robot; project SEC" in response.content.decode()
    jira.fail("/myself", 401)
    response = client.post(reverse("team_jira_test", kwargs={"team_id": team.pk}), follow=True)
    assert "refused the credentials (401)" in response.content.decode()


def test_creating_from_the_plan_shows_the_issue_on_the_item(
    client, jira, connection, answered, owner, workload
):
    target = item(workload, "SEC02-BP02")
    login(client, owner)
    with committed(execute=True):
        response = client.post(item_url("item_jira_create", target))
    assert response.status_code == 302
    page = client.get(plan_page(workload)).content.decode()
    assert f'href="{jira.url}/browse/SEC-1"' in page and ">SEC-1</a>" in page


def test_an_unreachable_jira_shows_the_error_on_the_item_and_leaves_the_review_alone(
    client, jira, connection, answered, owner, workload, review
):
    JiraConnection.objects.filter(pk=connection.pk).update(site_url=f"http://127.0.0.1:{free_port()}")
    answers = list(Answer.objects.filter(review=review).values_list("version", flat=True))
    target = item(workload, "SEC02-BP02")
    login(client, owner)
    with committed(execute=True):
        client.post(item_url("item_jira_create", target))
    page = client.get(plan_page(workload)).content.decode()
    assert "Jira: Could not reach Jira at http://127.0.0.1:" in page and "Retry now" in page
    assert list(Answer.objects.filter(review=review).values_list("version", flat=True)) == answers
    assert ImprovementItem.objects.get(pk=target.pk).status == target.status


def test_linking_an_unknown_issue_is_refused_and_nothing_written(
    client, jira, connection, answered, owner, workload
):
    login(client, owner)
    response = client.post(
        item_url("item_jira_link", item(workload, "SEC02-BP02")), {"issue_key": "SEC-404"}, follow=True
    )
    assert "no such issue or project (404)" in response.content.decode()
    assert not JiraLink.objects.exists()


def test_done_in_jira_asks_a_person_and_confirming_closes_the_item(
    client, jira, connection, answered, owner, workload
):
    target = item(workload, "SEC02-BP02")
    key = jira.add_issue(status="Done")
    login(client, owner).post(item_url("item_jira_link", target), {"issue_key": key})
    page = client.get(plan_page(workload)).content.decode()
    assert "Done in Jira (Done)" in page and "Confirm done" in page
    client.post(item_url("item_jira_confirm", target))
    assert ImprovementItem.objects.get(pk=target.pk).status == "DONE"


def test_a_viewer_cannot_confirm(client, jira, connection, answered, owner, viewer, workload):
    target = item(workload, "SEC02-BP02")
    login(client, owner).post(
        item_url("item_jira_link", target), {"issue_key": jira.add_issue(status="Done")}
    )
    assert login(client, viewer).post(item_url("item_jira_confirm", target)).status_code == 403
    assert ImprovementItem.objects.get(pk=target.pk).status == "OPEN"


def test_all_high_items_from_the_plan(client, jira, connection, answered, owner, workload):
    login(client, owner)
    with committed(execute=True):
        client.post(reverse("workload_jira_create", kwargs={"workload_id": workload.pk}), {"level": "HIGH"})
    links = JiraLink.objects.filter(item__workload=workload)
    assert links.count() == len(jira.issues) > 0
    assert all(link.issue_key for link in links)


def test_the_plan_page_costs_the_same_queries_with_many_jira_links(
    client, jira, connection, answered, owner, workload
):
    login(client, owner)
    with CaptureQueriesContext(db) as one:
        client.get(plan_page(workload))
    targets = ImprovementItem.objects.filter(workload=workload, is_active=True)[:6]
    for number, target in enumerate(targets, start=1):
        JiraLink.objects.create(
            item=target, connection=connection, issue_key=f"SEC-{number}", jira_status="To Do"
        )
    with CaptureQueriesContext(db) as many:
        response = client.get(plan_page(workload))
    assert response.content.decode().count('rel="noopener noreferrer nofollow" target="_blank">SEC-') == 6
    assert len(many) == len(one)


# --- API ---------------------------------------------------------------------------------------------------


def test_the_api_saves_a_connection_without_returning_the_token(api_client, jira, owner, team):
    url = reverse("api_team_jira", kwargs={"team_id": team.pk})
    body = connection_form(jira) | {"field_mapping": {"level": "priority"}}
    response = api_client(owner).put(url, body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["has_token"] is True and "token" not in response.json()
    assert TOKEN not in response.content.decode()
    bad = api_client(owner).put(url, body | {"site_url": "file:///etc/passwd"}, format="json")
    assert bad.status_code == 400 and "https://" in bad.json()["site_url"][0]


def test_the_api_creates_links_syncs_and_reports_failures(
    api_client, jira, connection, answered, owner, workload
):
    target = item(workload, "SEC02-BP02")
    url = reverse("api_item_jira", kwargs={"item_id": target.pk})
    jira.fail("/search", 503)
    with committed(execute=True):
        created = api_client(owner).post(url, {}, format="json")
    assert created.status_code == 202 and created.json()["issue_key"] == ""
    failed = api_client(owner).get(url).json()
    assert "server error (503)" in failed["error"] and failed["next_attempt_at"]
    with committed(execute=True):
        synced = api_client(owner).post(reverse("api_item_jira_sync", kwargs={"item_id": target.pk}))
    assert synced.status_code == 200
    fixed = api_client(owner).get(url).json()
    assert fixed["issue_key"] == "SEC-1" and fixed["error"] == "" and fixed["attempts"] == 0
    again = api_client(owner).post(url, {"issue_key": "SEC-1"}, format="json")
    assert again.status_code == 400 and "already has a Jira issue" in again.content.decode()


def test_rotating_the_field_encryption_key_reencrypts_jira_tokens(jira, connection, settings):
    from cryptography.fernet import Fernet
    from django.core.management import call_command

    from reviewapp.identity import crypto

    old_key, new_key = settings.FIELD_ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_field_encryption", stdout=open("/dev/null", "w"))  # noqa: SIM115
    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(JiraConnection.objects.get(pk=connection.pk).token_encrypted) == TOKEN


def test_the_connection_page_has_a_pinned_query_count(
    client, jira, owner, team, connection, django_assert_num_queries
):
    login(client, owner)
    # session, user, the team, its membership (the owner's role), the connection, its link count
    with django_assert_num_queries(6):
        assert client.get(jira_page(team)).status_code == 200
