"""Celery application. Tasks are thin: they take ids and call services; job state lives in our own tables."""

from __future__ import annotations

import os

from celery import Celery

from .lib.celery_context import connect_request_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reviewapp.settings")

# The queues workers consume: `celery -A reviewapp worker -Q <queue>`.
DEFAULT_QUEUE = "celery"
EVIDENCE_QUEUE = "evidence"
REPORTS_QUEUE = "reports"
QUEUES = (DEFAULT_QUEUE, EVIDENCE_QUEUE, REPORTS_QUEUE)

# The hard limit per task; the broker's visibility timeout is sized from it (below).
TASK_TIME_LIMIT = 300

app = Celery("reviewapp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    # JSON only: a pickle payload from a compromised broker would be code execution on every worker.
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    # Acknowledge after the task finished, so a worker that dies mid-task leaves the message to be redelivered.
    task_acks_late=True,
    # ...and when the worker process is killed (OOM, SIGKILL), requeue instead of acknowledging.
    task_reject_on_worker_lost=True,
    # One message at a time per process: long evidence tasks must not sit reserved behind a busy process.
    worker_prefetch_multiplier=1,
    # A soft limit raises inside the task so it can record the failure; the hard limit kills a wedged process.
    task_soft_time_limit=240,
    task_time_limit=TASK_TIME_LIMIT,
    # Results are never read from Celery: run state is stored in our tables.
    task_ignore_result=True,
    # Redelivery for unacknowledged (late-ack) messages after a worker vanished: just above the hard limit, so a
    # live task is never handed out twice and a dead one's message comes back within about six minutes.
    broker_transport_options={"visibility_timeout": TASK_TIME_LIMIT + 60},
    broker_connection_retry_on_startup=True,
    timezone="UTC",
    # A queue per kind of long work, each with its own workers (docker-compose.yml, docs/operations.md): an
    # evidence collection of a large organisation never delays a PDF someone is waiting for. Everything else
    # (reminders, the reaper, Jira) stays on the default queue.
    task_default_queue=DEFAULT_QUEUE,
    task_routes={
        "checks.tasks.run_task": {"queue": EVIDENCE_QUEUE},
        "reviewapp.tasks.render_report": {"queue": REPORTS_QUEUE},
    },
)
app.autodiscover_tasks()
# Task logs carry the request id of the request that enqueued them (and use the project's log format).
connect_request_context()
