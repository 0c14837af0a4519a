"""The embedded default's job runner: tasks in a background thread, so a request never waits for a report or an
evidence run (issue 15, problem 5). Every wait here is a join or an event, never a sleep."""

from __future__ import annotations

import threading

import pytest
from django.urls import reverse

from reviewapp.lib import queue
from reviewapp.models import ReportJob
from reviewapp.reports import jobs
from reviewapp.reports.jobs import report_request

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def threads(settings, monkeypatch):
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.JOB_THREADS = True
    yield
    assert queue.join(timeout=60), "a background job never finished"


class FakeTask:
    name = "fake"

    def __init__(self, fail_on=()) -> None:
        self.calls: list[tuple[list, str]] = []
        self.published: list[list] = []
        self.fail_on = fail_on

    def apply(self, args):
        self.calls.append((args, threading.current_thread().name))
        if args[0] in self.fail_on:
            raise RuntimeError("boom")

    def apply_async(self, args, retry, retry_policy):
        self.published.append(args)


def test_a_report_is_made_in_a_thread_and_the_request_returns_before_it(
    client, owner, review, threads, monkeypatch
):
    rendering = threading.Event()
    finish = threading.Event()
    real = jobs.report_file

    def slow_report_file(*args, **kwargs):
        rendering.set()
        assert finish.wait(30), "the test never let the render finish"
        return real(*args, **kwargs)

    monkeypatch.setattr(jobs, "report_file", slow_report_file)
    client.force_login(owner)
    page = reverse("review_reports", kwargs={"review_id": review.pk})
    response = client.post(page, {"kind": "executive", "source": "", "format": "pdf"}, follow=True)

    # The request came back while the render was still held: the page says so and polls the list.
    assert rendering.wait(30)
    text = response.content.decode()
    assert "Your report is being made; this page shows when it is ready." in text
    assert 'hx-trigger="every 2s"' in text
    job = ReportJob.objects.get(review=review)
    assert job.state in (ReportJob.State.QUEUED, ReportJob.State.RUNNING)

    finish.set()
    assert queue.join(timeout=60)
    job.refresh_from_db()
    assert job.state == ReportJob.State.DONE and job.size > 0


def test_a_thread_runs_every_call_in_order_and_one_failure_does_not_stop_the_rest(threads):
    task = FakeTask(fail_on=[2])
    queue.dispatch(task, [[1], [2], [3]])
    assert queue.join(timeout=30)
    assert [args for args, _ in task.calls] == [[1], [2], [3]]
    names = {name for _, name in task.calls}
    assert len(names) == 1 and names.pop().startswith("job:")
    assert task.published == []


def test_with_a_broker_tasks_are_published_not_run_here(settings, monkeypatch):
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    settings.JOB_THREADS = True  # only meaningful without a broker
    task = FakeTask()
    queue.dispatch(task, [[1], [2]])
    assert task.published == [[1], [2]] and task.calls == []


def test_report_request_in_thread_mode_still_refuses_bad_input_before_anything_runs(owner, review, threads):
    with pytest.raises(Exception, match="Choose one of"):
        report_request(review=review, actor=owner, fmt="doc")
    assert not ReportJob.objects.exists()
