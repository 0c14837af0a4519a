"""Background reports: requesting, rendering once, failing with a reason, the broker up (Redis) and down."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from reviewapp import tasks
from reviewapp.lib.queue import QueueUnavailable
from reviewapp.models import AuditEvent, ReportJob
from reviewapp.reports import jobs
from reviewapp.reports.errors import ReportTooLarge
from reviewapp.services import milestone_create
from tests.tampering import disable_append_only

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    """The embedded default (tasks run in-process) even when the suite runs with REDIS_URL set; tests of the
    queue switch it off themselves."""
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def test_a_requested_report_is_rendered_once_committed_and_stored(
    review, owner, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.report_request(review=review, actor=owner, fmt="json")
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE and job.size == len(job.content) > 0
    assert json.loads(bytes(job.content))["format"] == "wa-security-review/1"
    assert job.filename.startswith("checkout-api-review-") and job.filename.endswith(".json")
    event = AuditEvent.objects.get(action="report.request")
    assert event.after == {"kind": "full", "format": "json", "milestone": None}


def test_a_redelivered_message_does_not_render_again(review, owner):
    job = ReportJob.objects.create(review=review, created_by=owner, format="csv")
    assert jobs.report_run(job.pk) == ReportJob.State.DONE
    assert jobs.report_run(job.pk) == "SKIPPED"


def test_a_report_whose_worker_was_lost_is_taken_over_after_a_while(review, owner):
    long_ago = timezone.now() - timedelta(hours=1)
    job = ReportJob.objects.create(review=review, created_by=owner, format="csv", state="RUNNING")
    ReportJob.objects.filter(pk=job.pk).update(started_at=long_ago)
    assert jobs.report_run(job.pk) == ReportJob.State.DONE
    fresh = ReportJob.objects.create(review=review, created_by=owner, format="csv", state="RUNNING")
    ReportJob.objects.filter(pk=fresh.pk).update(started_at=timezone.now())
    assert jobs.report_run(fresh.pk) == "SKIPPED"


def test_a_report_beyond_a_limit_fails_with_the_reason(review, owner, monkeypatch):
    def too_large(*args, **kwargs):
        raise ReportTooLarge("The report would be 30.0 MB; the limit is 20.0 MB.")

    monkeypatch.setattr(jobs, "render_review_pdf", too_large)
    job = ReportJob.objects.create(review=review, created_by=owner)
    assert tasks.render_report(str(job.pk)) == ReportJob.State.FAILED
    job.refresh_from_db()
    assert job.error == "The report would be 30.0 MB; the limit is 20.0 MB." and job.content is None


def test_an_unexpected_error_fails_the_report_without_showing_internals(review, owner, monkeypatch):
    def broken(*args, **kwargs):
        raise KeyError("secret internals")

    monkeypatch.setattr(jobs, "render_review_pdf", broken)
    job = ReportJob.objects.create(review=review, created_by=owner)
    assert jobs.report_run(job.pk) == ReportJob.State.FAILED
    job.refresh_from_db()
    assert "internal error" in job.error and "secret" not in job.error


def test_an_identical_waiting_request_is_reused_and_the_number_waiting_is_capped(review, owner):
    first = ReportJob.objects.create(review=review, created_by=owner, kind="full", format="pdf")
    assert jobs.report_request(review=review, actor=owner, kind="full", fmt="pdf") == first
    ReportJob.objects.create(review=review, created_by=owner, kind="executive", format="pdf")
    ReportJob.objects.create(review=review, created_by=owner, format="csv")
    with pytest.raises(ValidationError, match="already being made"):
        jobs.report_request(review=review, actor=owner, fmt="json")


def test_bad_choices_and_another_reviews_milestone_are_refused(review, owner, team):
    from reviewapp.services import review_start, workload_create

    other = workload_create(
        team=team,
        actor=owner,
        name="Other",
        description="Another workload.",
        environment="PRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
    )
    foreign = milestone_create(review=review_start(workload=other, actor=owner), actor=owner, name="M")
    with pytest.raises(ValidationError) as caught:
        jobs.report_request(review=review, actor=owner, kind="long", fmt="docx", milestone=foreign)
    assert set(caught.value.message_dict) == {"kind", "format", "milestone"}
    assert not ReportJob.objects.exists()


def test_old_finished_reports_are_pruned(review, owner, django_capture_on_commit_callbacks):
    for _ in range(jobs.KEEP_PER_REVIEW + 3):
        ReportJob.objects.create(review=review, created_by=owner, state="FAILED", error="old")
    with django_capture_on_commit_callbacks(execute=True):
        jobs.report_request(review=review, actor=owner, fmt="csv")
    assert ReportJob.objects.filter(review=review).count() == jobs.KEEP_PER_REVIEW + 1


def test_an_unreachable_broker_leaves_no_report_behind(review, owner, monkeypatch):
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    with pytest.raises(QueueUnavailable, match="task queue is unreachable"):
        jobs.report_request(review=review, actor=owner)
    assert not ReportJob.objects.exists()


def test_a_broker_lost_while_publishing_fails_the_report(
    review, owner, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionError("Connection refused.")

    monkeypatch.setattr(tasks.render_report, "apply_async", refuse)
    with pytest.raises(QueueUnavailable), django_capture_on_commit_callbacks(execute=True):
        jobs.report_request(review=review, actor=owner)
    job = ReportJob.objects.get()
    assert job.state == ReportJob.State.FAILED and "could not be queued" in job.error


def _take_message(client, job_id: str, queue: str) -> dict | None:
    """Remove this test's message from `queue`, leaving anyone else's alone."""
    for raw in client.lrange(queue, 0, -1):
        message = json.loads(raw)
        body = json.loads(base64.b64decode(message["body"]))
        if body[0] == [job_id]:
            client.lrem(queue, 1, raw)
            return message
    return None


def test_with_redis_the_report_is_queued_for_a_worker(
    review, owner, redis_url, monkeypatch, django_capture_on_commit_callbacks
):
    import redis

    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", redis_url)
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.report_request(review=review, actor=owner, kind="executive")
    assert ReportJob.objects.get(pk=job.pk).state == ReportJob.State.QUEUED
    # On the reports queue, which its own workers consume: a long evidence collection cannot delay it.
    message = _take_message(redis.Redis.from_url(redis_url), str(job.pk), "reports")
    assert message is not None and message["headers"]["task"] == "reviewapp.tasks.render_report"
    # What the worker does with the message:
    assert tasks.render_report(str(job.pk)) == ReportJob.State.DONE
    job.refresh_from_db()
    assert bytes(job.content).startswith(b"%PDF-")


def _slow_renders(monkeypatch, slow: int) -> list[float]:
    """The first `slow` renders run out of time, as on a busy machine; returns the time limit of each try."""
    from reviewapp.reports.errors import ReportTimeout

    limits: list[float] = []
    render = jobs.render_review_pdf

    def flaky(review, *, timeout=None, **options):
        limits.append(timeout)
        if len(limits) <= slow:
            raise ReportTimeout(f"The report took longer than {timeout:g} seconds to render and was stopped.")
        return render(review, timeout=timeout, **options)

    monkeypatch.setattr(jobs, "render_review_pdf", flaky)
    return limits


def test_a_render_too_slow_on_a_busy_worker_is_tried_again_with_more_time(
    review, owner, settings, monkeypatch
):
    settings.REPORT_RENDER_TIMEOUT = 30
    limits = _slow_renders(monkeypatch, slow=2)
    job = ReportJob.objects.create(review=review, created_by=owner, format="pdf", kind="executive")
    assert tasks.render_report(str(job.pk)) == jobs.RETRY
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE and bytes(job.content).startswith(b"%PDF-")
    assert job.error == ""
    assert limits == [30, 60, 120]


def test_a_render_slow_on_every_attempt_fails_with_its_reason(review, owner, settings, monkeypatch):
    settings.REPORT_RENDER_TIMEOUT = 30
    limits = _slow_renders(monkeypatch, slow=jobs.RENDER_ATTEMPTS)
    job = ReportJob.objects.create(review=review, created_by=owner, format="pdf", kind="executive")
    tasks.render_report(str(job.pk))
    job.refresh_from_db()
    assert len(limits) == jobs.RENDER_ATTEMPTS
    assert job.state == ReportJob.State.FAILED and "longer than 120 seconds" in job.error


def _counting_renders(monkeypatch) -> list[str]:
    from reviewapp.reports import archive

    renders: list[str] = []
    render = archive.render_review_pdf

    def counted(review, **options):
        renders.append(options["kind"])
        return render(review, **options)

    monkeypatch.setattr(archive, "render_review_pdf", counted)
    return renders


def test_a_milestone_pdf_is_rendered_once_and_then_served_from_storage(review, owner, monkeypatch):
    from django.core.files.storage import default_storage

    from reviewapp.reports.archive import archive_name

    renders = _counting_renders(monkeypatch)
    milestone = milestone_create(review=review, actor=owner, name="Before launch")
    files = []
    for _ in range(2):
        job = ReportJob.objects.create(review=review, created_by=owner, milestone=milestone, kind="executive")
        assert jobs.report_run(job.pk) == ReportJob.State.DONE
        files.append(bytes(ReportJob.objects.get(pk=job.pk).content))
    assert renders == ["executive"]
    assert files[0] == files[1] and files[0].startswith(b"%PDF-")
    assert milestone.sha256 in archive_name(milestone, "executive")
    assert default_storage.exists(archive_name(milestone, "executive"))


def test_a_milestone_that_no_longer_verifies_is_rendered_afresh_each_time(review, owner, monkeypatch):
    renders = _counting_renders(monkeypatch)
    milestone = milestone_create(review=review, actor=owner, name="Tampered")
    disable_append_only("reviewapp_milestone")  # as an intruder with the table owner's rights would
    type(milestone).objects.filter(pk=milestone.pk).update(sha256="0" * 64)
    milestone.refresh_from_db()
    for _ in range(2):
        job = ReportJob.objects.create(review=review, created_by=owner, milestone=milestone, kind="executive")
        assert jobs.report_run(job.pk) == ReportJob.State.DONE
    assert renders == ["executive", "executive"]
