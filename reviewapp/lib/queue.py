"""Queueing background work from a service: check the broker before writing, publish after the commit.

Evidence runs (checks.services) and report jobs (reviewapp.reports.jobs) both queue Celery tasks this way:

1. `ensure_broker(what)` before the transaction, so a dead broker is reported with nothing written;
2. the service writes its rows (the job state lives there, never in a Celery result backend);
3. `enqueue_on_commit(task_name, ...)` publishes once the transaction commits, so a worker never looks for a
   row that is not there yet; a publish that fails calls `on_failure` (which marks the rows failed) and raises.

On the embedded default (no Redis, Celery eager) a task used to run inside the request that asked for it, and
the browser waited with no feedback. With JOB_THREADS on (the default there) the tasks run one after another in a
background thread of this process instead, and the page polls the job's own row (ReportJob, EvidenceRun) as it
does with a real worker; job state never lives in the thread. Tests keep the synchronous eager mode, and `join`
waits for the threads started here.

Tasks are named, not imported: the task modules import the services (a task is a thin call of one), so a
service that imported its task would close a circle. Each app's AppConfig.ready() imports its task module, which
registers the tasks by name in every process, the eager one of `make run` included.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections, transaction

logger = logging.getLogger(__name__)

# Publishing retries briefly: a person is waiting for the page, and a dead broker will not come back in seconds.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.5, "interval_max": 1}


class QueueUnavailable(Exception):
    """The task queue (Redis) cannot be reached: nothing was started. `message` is for the person who asked."""

    def __init__(self, what: str, detail: str = "") -> None:
        message = (
            f"{what} could not be queued because the task queue is unreachable. Nothing was started; try again "
            "in a few minutes or ask an administrator to check Redis and the Celery workers."
        )
        super().__init__(message)
        self.message = message
        self.detail = detail


def ensure_broker(what: str) -> None:
    """Raise QueueUnavailable unless the broker answers; eager mode (no Redis) has no broker to ask."""
    if current_app.conf.task_always_eager:
        return
    try:
        with current_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2, timeout=3)
    except Exception as exc:
        raise QueueUnavailable(what, str(exc)) from exc


def in_threads() -> bool:
    """True where tasks run in this process's background threads: eager Celery and JOB_THREADS on."""
    return bool(current_app.conf.task_always_eager and settings.JOB_THREADS)


_started: list[threading.Thread] = []
_started_lock = threading.Lock()


def _run_all(task: Any, arguments: Sequence[Sequence[Any]]) -> None:
    try:
        for args in arguments:
            try:
                # apply() runs the task body here, with Celery's task context, as an eager call would.
                task.apply(args=list(args))
            except Exception:
                # The task records its failure in its job row; this only keeps one failure from stopping the rest.
                logger.exception("background task %s%r failed", task.name, tuple(args))
    finally:
        # Django opened connections for this thread; they must not outlive it.
        connections.close_all()


def dispatch(task: Any, arguments: Sequence[Sequence[Any]]) -> None:
    """Run `task` once per argument list: published to the broker, or in one background thread."""
    if not in_threads():
        for args in arguments:
            task.apply_async(args=list(args), retry=True, retry_policy=PUBLISH_RETRY)
        return
    thread = threading.Thread(
        target=_run_all, args=(task, list(arguments)), name=f"job:{task.name}", daemon=True
    )
    with _started_lock:
        _started[:] = [running for running in _started if running.is_alive()]
        _started.append(thread)
    thread.start()


def join(timeout: float | None = None) -> bool:
    """Wait for the background threads started so far; True when all have finished."""
    with _started_lock:
        threads = list(_started)
    for thread in threads:
        thread.join(timeout)
    return not any(thread.is_alive() for thread in threads)


def publish(
    task_name: str, arguments: Sequence[Sequence[Any]], *, what: str, on_failure: Callable[[], None]
) -> None:
    """Send `task_name` once per argument list now; on a broker error call `on_failure` and raise."""
    try:
        dispatch(current_app.tasks[task_name], arguments)
    except Exception as exc:
        # Whatever was published before the error finds its rows failed and does nothing.
        logger.exception("could not queue %s", task_name)
        on_failure()
        raise QueueUnavailable(what, str(exc)) from exc


def enqueue_on_commit(
    task_name: str, arguments: Sequence[Sequence[Any]], *, what: str, on_failure: Callable[[], None]
) -> None:
    """`publish` once the current transaction commits (at once when there is none)."""
    transaction.on_commit(lambda: publish(task_name, arguments, what=what, on_failure=on_failure))
