"""Improvement items and Jira issues, against the fake Jira on loopback: created once, found again instead of
created twice, status kept in step both ways, and every failure shown on its item and retried with backoff."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviewapp.jira.models import JiraLink
from reviewapp.jira.services import (
    jira_done_confirm,
    jira_done_dismiss,
    jira_issue_link,
    jira_issues_request,
    jira_sync_request,
)
from reviewapp.jira.sync import backoff, due_link_ids, item_label, link_sync, sync_due
from reviewapp.models import Answer, AuditEvent, ImprovementItem
from tests.jira_fake import free_port

from .conftest import item

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _commits(django_capture_on_commit_callbacks):
    """Run what services queue for after the commit at once, as a worker would right after it."""
    global committed
    committed = django_capture_on_commit_callbacks


def request_issues(items, owner):
    with committed(execute=True):
        links, skipped = jira_issues_request(items=items, actor=owner)
    return links, skipped


def request_issue(workload, code, owner):
    links, _ = request_issues([item(workload, code)], owner)
    return JiraLink.objects.get(pk=links[0].pk)


def answers_of(review):
    return list(
        Answer.objects.filter(review=review).order_by("question_id").values_list("version", "selected")
    )


def test_an_item_gets_one_issue_with_its_label_and_mapped_fields(jira, connection, answered, owner, workload):
    link = request_issue(workload, "SEC02-BP01", owner)
    assert link.issue_key == "SEC-1" and link.error == ""
    fields = jira.issues["SEC-1"]["fields"]
    assert fields["summary"].startswith("SEC02-BP01 ")
    assert item_label(link.item_id) in fields["labels"]
    assert fields["priority"] == {"name": "High"}
    assert fields["duedate"] == item(workload, "SEC02-BP01").due_date.isoformat()
    # The item already had a ticket link, which is kept; an item without one gets the issue's address.
    assert item(workload, "SEC02-BP01").ticket_url == "https://tickets.example.test/SEC-1"
    other = request_issue(workload, "SEC02-BP02", owner)
    assert item(workload, "SEC02-BP02").ticket_url == f"{jira.url}/browse/{other.issue_key}"
    assert AuditEvent.objects.filter(action="jira.issue_create").count() == 2


def test_asking_twice_creates_nothing_twice(jira, connection, answered, owner, workload):
    request_issue(workload, "SEC02-BP01", owner)
    with pytest.raises(Exception, match="already has a Jira issue"):
        jira_issues_request(items=[item(workload, "SEC02-BP01")], actor=owner)
    assert len(jira.created()) == 1 and JiraLink.objects.count() == 1


def test_a_retry_finds_the_issue_a_lost_attempt_created_instead_of_creating_another(
    jira, connection, answered, owner, workload
):
    # The create call reached Jira, but the answer never came back (a 502 from a proxy after the fact).
    target = item(workload, "SEC02-BP01")
    jira.add_issue("Made by a lost attempt", labels=[item_label(target.pk)])
    link = request_issue(workload, "SEC02-BP01", owner)
    assert link.issue_key == "SEC-1"
    assert jira.created() == []
    assert AuditEvent.objects.filter(action="jira.issue_found").exists()


def test_all_items_of_a_level_get_issues(jira, connection, answered, owner, workload):
    high = [
        i
        for i in ImprovementItem.objects.filter(workload=workload, is_active=True)
        if i.bp_code.startswith("SEC02")
    ]
    links, skipped = request_issues(high, owner)
    assert len(links) == len(high) and skipped == 0
    assert len(jira.created()) == len(high)
    assert sorted(JiraLink.objects.values_list("issue_key", flat=True)) == sorted(jira.issues)


def test_jira_done_waits_for_a_person_and_confirming_adopts_the_practice(
    jira, connection, answered, owner, workload, review
):
    link = request_issue(workload, "SEC02-BP01", owner)
    jira.set_status(link.issue_key, "Done")
    before = answers_of(review)
    assert link_sync(link.pk, force=True) == "SYNCED"
    link.refresh_from_db()
    assert link.jira_done and link.awaits_confirmation
    # Jira never changes the review by itself.
    assert answers_of(review) == before and item(workload, "SEC02-BP01").status == "IN_PROGRESS"
    confirmed = jira_done_confirm(link=link, actor=owner)
    assert confirmed.status == "DONE" and not confirmed.is_active
    sec2 = Answer.objects.get(review=review, question__code="SEC2")
    assert "SEC02-BP01" in sec2.selected and not sec2.none_of_these
    assert AuditEvent.objects.filter(action="jira.done_confirm", actor=owner).exists()


def test_dismissing_keeps_the_item_open_until_jira_leaves_done(jira, connection, answered, owner, workload):
    link = request_issue(workload, "SEC02-BP01", owner)
    jira.set_status(link.issue_key, "Done")
    link_sync(link.pk, force=True)
    link = JiraLink.objects.get(pk=link.pk)
    jira_done_dismiss(link=link, actor=owner)
    link_sync(link.pk, force=True)
    link.refresh_from_db()
    assert link.jira_done and not link.awaits_confirmation
    jira.set_status(link.issue_key, "In Progress")
    link_sync(link.pk, force=True)
    link.refresh_from_db()
    assert not link.jira_done and not link.done_dismissed


def test_adopting_the_practice_closes_the_issue_and_reopening_comments_on_it(
    jira, connection, answered, owner, workload, review
):
    from tests.reviewapp.reports_world import record

    link = request_issue(workload, "SEC02-BP01", owner)
    record(review, owner, "SEC2", selected=["SEC02-BP01"])
    assert link_sync(link.pk, force=True) == "SYNCED"
    assert jira.issues[link.issue_key]["status"] == "Done"
    assert "now in place" in jira.comments[link.issue_key][0]
    link.refresh_from_db()
    assert link.synced_item_status == "DONE" and not link.awaits_confirmation
    record(review, owner, "SEC2", none_of_these=True)
    link_sync(link.pk, force=True)
    assert "was reopened" in jira.comments[link.issue_key][-1]
    link.refresh_from_db()
    # Jira still says done, but a person reopened the item: it does not ask them to confirm again.
    assert link.synced_item_status == "OPEN" and not link.awaits_confirmation
    assert AuditEvent.objects.filter(action="jira.item_reopened").count() == 1


def test_linking_an_existing_issue_labels_it(jira, connection, answered, owner, workload):
    key = jira.add_issue("Rotate keys", status="In Progress")
    link = jira_issue_link(item=item(workload, "SEC02-BP02"), actor=owner, issue_key=key.lower())
    assert link.issue_key == key and link.jira_status == "In Progress"
    assert item_label(link.item_id) in jira.issues[key]["labels"]


@pytest.mark.parametrize(
    ("key", "message"),
    [("OPS-1", "project is SEC"), ("SEC-99", "404"), ("not a key", "issue key such as")],
)
def test_linking_a_bad_issue_writes_nothing(jira, connection, answered, owner, workload, key, message):
    with pytest.raises(Exception, match=message):
        jira_issue_link(item=item(workload, "SEC02-BP02"), actor=owner, issue_key=key)
    assert not JiraLink.objects.exists()


# --- Failures: shown on the item, retried with backoff, the review untouched --------------------------------


def failing(jira, connection, answered, owner, workload, review, setup):
    setup()
    before = answers_of(review), item(workload, "SEC02-BP01").status
    link = request_issue(workload, "SEC02-BP01", owner)
    assert link.issue_key == "" and link.attempts == 1
    assert (answers_of(review), item(workload, "SEC02-BP01").status) == before
    return link


def test_a_refused_token_is_shown_on_the_item(jira, connection, answered, owner, workload, review):
    link = failing(jira, connection, answered, owner, workload, review, lambda: jira.fail("/search", 401))
    assert "refused the credentials (401)" in link.error
    assert link.next_attempt_at > timezone.now()


def test_a_rate_limit_waits_for_retry_after_and_pauses_the_connection(
    jira, connection, answered, owner, workload, review
):
    link = failing(
        jira, connection, answered, owner, workload, review,
        lambda: jira.fail("/search", 429, headers={"Retry-After": "900"}),
    )  # fmt: skip
    assert "limiting requests (429)" in link.error and "900 seconds" in link.error
    assert link.next_attempt_at >= timezone.now() + timedelta(seconds=890)
    connection.refresh_from_db()
    assert connection.paused_until >= timezone.now() + timedelta(seconds=890)
    assert link.pk not in due_link_ids(now=timezone.now() + timedelta(seconds=100))
    assert link.pk in due_link_ids(now=timezone.now() + timedelta(seconds=1000))


def test_a_server_error_is_retried_with_backoff_until_it_works(
    jira, connection, answered, owner, workload, review
):
    link = failing(
        jira, connection, answered, owner, workload, review, lambda: jira.fail("POST /rest/api/2/issue", 503)
    )
    assert "server error (503)" in link.error
    assert link.pk not in due_link_ids()
    assert link.pk in due_link_ids(now=timezone.now() + backoff(1) + timedelta(seconds=1))
    # The schedule's pass once the backoff is over: the issue is created, the error cleared.
    JiraLink.objects.filter(pk=link.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert sync_due() == {"CREATED": 1}
    link.refresh_from_db()
    assert link.issue_key == "SEC-1" and link.error == "" and link.attempts == 0


def test_a_timeout_is_shown_and_retried(jira, connection, answered, owner, workload, review, settings):
    settings.JIRA_TIMEOUT = 0.5
    link = failing(
        jira, connection, answered, owner, workload, review, lambda: jira.fail("/search", 200, delay=1.5)
    )
    assert "did not answer within 0.5 seconds" in link.error and link.next_attempt_at


def test_an_unreachable_jira_is_shown_and_the_review_untouched(
    jira, connection, answered, owner, workload, review
):
    def point_nowhere():
        connection.site_url = f"http://127.0.0.1:{free_port()}"
        connection.save()

    link = failing(jira, connection, answered, owner, workload, review, point_nowhere)
    assert "Could not reach Jira" in link.error and "refused" in link.error.lower()


def test_a_missing_issue_is_shown_on_its_item(jira, connection, answered, owner, workload):
    link = request_issue(workload, "SEC02-BP01", owner)
    del jira.issues[link.issue_key]
    assert link_sync(link.pk, force=True) == "FAILED"
    link.refresh_from_db()
    assert "no such issue" in link.error and link.issue_key == "SEC-1"


def test_retries_stop_after_the_configured_attempts(jira, connection, answered, owner, workload, settings):
    settings.JIRA_MAX_ATTEMPTS = 2
    jira.fail("/search", 500, times=5)
    link = request_issue(workload, "SEC02-BP01", owner)
    link_sync(link.pk, force=True)
    link.refresh_from_db()
    assert link.attempts == 2 and link.next_attempt_at is None
    assert "Automatic retries stopped after 2 attempts" in link.error
    assert link.pk not in due_link_ids(now=timezone.now() + timedelta(days=1))


def test_syncing_on_demand_clears_an_error(jira, connection, answered, owner, workload):
    jira.fail("/search", 500)
    link = request_issue(workload, "SEC02-BP01", owner)
    with committed(execute=True):
        assert jira_sync_request(links=[link], actor=owner, workload_id=workload.pk) == 1
    link.refresh_from_db()
    assert link.issue_key and not link.error


def test_backoff_doubles_and_honours_retry_after():
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [60, 120, 240]
    assert backoff(30).total_seconds() == 6 * 3600
    assert backoff(1, retry_after=600).total_seconds() == 600


def test_the_schedule_runs_the_sync_task(settings):
    from reviewapp.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["jira-sync"]
    assert entry["task"] == "reviewapp.tasks.jira_sync_due" and entry["task"] in app.tasks
    assert entry["schedule"] <= settings.JIRA_SYNC_INTERVAL


def test_a_request_whose_task_was_lost_is_picked_up_by_the_schedule(
    jira, connection, answered, owner, workload
):
    target = item(workload, "SEC02-BP01")
    link = JiraLink.objects.create(item=target, connection=connection, created_by=owner)
    JiraLink.objects.filter(pk=link.pk).update(created_at=timezone.now() - timedelta(minutes=10))
    assert sync_due() == {"CREATED": 1}
    assert JiraLink.objects.get(pk=link.pk).issue_key == "SEC-1"


def test_a_rate_limit_skips_the_rest_of_that_connections_links_in_the_same_run(
    jira, connection, answered, owner, workload
):
    from reviewapp.jira.sync import links_sync

    links = [
        JiraLink.objects.create(item=item(workload, code), connection=connection, created_by=owner)
        for code in ("SEC02-BP01", "SEC02-BP02", "SEC02-BP03")
    ]
    jira.fail("/search", 429, headers={"Retry-After": "60"})
    # As the task receives them: strings.
    assert links_sync([str(link.pk) for link in links], force=True) == {"FAILED": 1, "SKIPPED": 2}
    assert jira.created() == []
