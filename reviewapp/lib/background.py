"""Hand tasks to whatever runs them: Celery workers through Redis, or, on the embedded default, a thread.

Evidence collection and reports both enqueue here, so they share one rule. With a broker, tasks are published
for the workers. On the embedded default (no Redis, Celery eager) a task used to run inside the request that
asked for it, and the browser waited 20 s with no feedback; with JOB_THREADS on (the default there), the tasks
run one after another in a background thread of this process instead, and the page polls the job's own row
(ReportJob, EvidenceRun) like it does with a real worker. Job state never lives in the thread.

Tests keep the synchronous eager mode (JOB_THREADS off); `join` waits for threads started here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from celery import current_app
from django.conf import settings
from django.db import connections

logger = logging.getLogger(__name__)

_started: list[threading.Thread] = []
_started_lock = threading.Lock()


def in_threads() -> bool:
    """True where tasks run in this process's background threads: eager Celery and JOB_THREADS on."""
    return bool(current_app.conf.task_always_eager and settings.JOB_THREADS)


def _run_all(task: Any, calls: Sequence[Sequence[Any]]) -> None:
    try:
        for args in calls:
            try:
                # apply() runs the task body here, with Celery's task context, as an eager call would.
                task.apply(args=list(args))
            except Exception:
                # The task records its failure in its job row; this only keeps one failure from stopping the rest.
                logger.exception("background task %s%r failed", task.name, tuple(args))
    finally:
        # Django opened connections for this thread; they must not outlive it.
        connections.close_all()


def enqueue(task: Any, calls: Sequence[Sequence[Any]], *, retry_policy: dict[str, Any]) -> None:
    """Run `task` once per argument list in `calls`: published to the broker, or in one background thread.

    Call it after the transaction that wrote the job commits (transaction.on_commit), so the runner sees it.
    Publishing errors propagate to the caller, which marks its job failed.
    """
    if not in_threads():
        for args in calls:
            task.apply_async(args=list(args), retry=True, retry_policy=retry_policy)
        return
    thread = threading.Thread(target=_run_all, args=(task, list(calls)), name=f"job:{task.name}", daemon=True)
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


__all__ = ["enqueue", "in_threads", "join"]
