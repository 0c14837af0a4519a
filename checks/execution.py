"""Executing one EvidenceTask: claim it, assume the account's role, run its checks, store the findings.

Safe to run twice for the same task (a message redelivered after a worker died): a finished task is skipped, a
task found RUNNING is retried once and then failed, and a retry replaces the findings of the attempt before.
Lock order is always the run row first, then the task row, so cancelling, reaping and finishing never
deadlock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from . import aws
from .models import (
    ACTIVE_STATES,
    GLOBAL_REGION,
    EvidenceRun,
    EvidenceTask,
    Finding,
    FindingStatus,
    RunState,
    TaskState,
)
from .registry import CheckContext, FindingData, checks_for, run_check

logger = logging.getLogger(__name__)

# A task found RUNNING when its message arrives was being run by a worker that died; try it once more, no
# more.
MAX_ATTEMPTS = 2


@dataclass(frozen=True)
class Claimed:
    task_id: int
    run_id: Any
    group: str
    region: str
    target: Any


def _lock(task_id: int) -> tuple[EvidenceRun, EvidenceTask] | None:
    run_id = EvidenceTask.objects.filter(pk=task_id).values_list("run_id", flat=True).first()
    if run_id is None:
        return None
    run = EvidenceRun.objects.select_for_update().get(pk=run_id)
    # OF self: PostgreSQL cannot lock the nullable side of the outer join to the target.
    task = EvidenceTask.objects.select_for_update(of=("self",)).select_related("target").get(pk=task_id)
    return run, task


def _claim(task_id: int) -> Claimed | None:
    with transaction.atomic():
        locked = _lock(task_id)
        if locked is None:
            return None  # the run was deleted with its workload
        run, task = locked
        now = timezone.now()
        if task.state not in (TaskState.QUEUED, TaskState.RUNNING):
            return None  # a duplicate delivery of a finished task
        if run.state not in ACTIVE_STATES:
            _finish_locked(run, task, TaskState.CANCELLED, "The run ended before this task ran.", [], now)
            return None
        if task.state == TaskState.RUNNING and task.attempts >= MAX_ATTEMPTS:
            error = f"The worker running this task stopped {task.attempts} times; giving up."
            _finish_locked(run, task, TaskState.FAILED, error, [], now)
            return None
        task.state = TaskState.RUNNING
        task.attempts += 1
        task.started_at = now
        task.save(update_fields=["state", "attempts", "started_at"])
        if run.state == RunState.QUEUED:
            run.state = RunState.RUNNING
            run.started_at = now
        run.heartbeat_at = now
        run.save(update_fields=["state", "started_at", "heartbeat_at"])
        return Claimed(task.pk, run.pk, task.group, task.region, task.target)


def _still_wanted(run_id: Any) -> bool:
    """Heartbeat and cancellation check in one statement: no row updated means the run stopped."""
    return (
        EvidenceRun.objects.filter(pk=run_id, state=RunState.RUNNING).update(heartbeat_at=timezone.now()) == 1
    )


# How often a running task says it is alive, whatever its current check is doing (a throttled API call may
# take minutes): well inside EVIDENCE_HEARTBEAT_TIMEOUT, so only a dead worker goes silent.
HEARTBEAT_SECONDS = 15


@contextmanager
def _heartbeat(run_id: Any) -> Iterator[None]:
    """Move the run's heartbeat forward every HEARTBEAT_SECONDS from a side thread while the task works. A
    killed worker takes the thread with it, so the reaper sees the silence."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(HEARTBEAT_SECONDS):
                EvidenceRun.objects.filter(pk=run_id, state=RunState.RUNNING).update(
                    heartbeat_at=timezone.now()
                )
        finally:
            connection.close()  # the thread's own connection

    thread = threading.Thread(target=beat, name=f"heartbeat-{run_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def task_execute(task_id: int) -> None:
    """Run one task to completion. Only Celery's soft time limit escapes; the caller records it."""
    claimed = _claim(task_id)
    if claimed is None:
        return
    with _heartbeat(claimed.run_id):
        _execute_claimed(task_id, claimed)


def _execute_claimed(task_id: int, claimed: Claimed) -> None:
    if claimed.target is None:
        task_finish(
            task_id, TaskState.FAILED, "The AWS account was removed from the workload during the run."
        )
        return
    scope = "global" if claimed.region == GLOBAL_REGION else "regional"
    api_region = claimed.target.home_region if scope == "global" else claimed.region
    try:
        session = aws.assume_role(claimed.target, claimed.run_id, region=api_region)
    except aws.AwsError as exc:
        task_finish(task_id, TaskState.FAILED, exc.message)
        return
    ctx = CheckContext(session, api_region, scope=scope, now=timezone.now())
    findings: list[FindingData] = []
    for item in checks_for(claimed.group, scope):
        if not _still_wanted(claimed.run_id):
            task_finish(task_id, TaskState.CANCELLED, "The run ended while this task was running.")
            return
        findings.extend(run_check(item, ctx))
    task_finish(task_id, TaskState.SUCCEEDED, "", findings)


def task_finish(task_id: int, state: str, error: str = "", findings: Sequence[FindingData] = ()) -> None:
    with transaction.atomic():
        locked = _lock(task_id)
        if locked is None:
            return
        run, task = locked
        if task.state != TaskState.RUNNING:
            return  # the reaper or a cancellation already closed it
        _finish_locked(run, task, state, error, findings, timezone.now())


def _finish_locked(
    run: EvidenceRun, task: EvidenceTask, state: str, error: str, findings: Sequence[FindingData], now: Any
) -> None:
    if run.state not in ACTIVE_STATES:
        # Cancelled or reaped meanwhile: the run's outcome is settled, and late findings would only confuse
        # it.
        findings, state = (), (TaskState.CANCELLED if state == TaskState.SUCCEEDED else state)
    Finding.objects.filter(task=task).delete()
    Finding.objects.bulk_create(
        Finding(
            run_id=run.pk,
            task=task,
            **{field: getattr(data, field) for field in FindingData.__dataclass_fields__},
        )
        for data in findings
    )
    task.state = state
    task.error = error
    task.finished_at = now
    task.save(update_fields=["state", "error", "finished_at"])
    if run.state not in ACTIVE_STATES:
        return
    run.done_tasks = min(run.done_tasks + 1, run.total_tasks)
    run.heartbeat_at = now
    fields = ["done_tasks", "heartbeat_at"]
    if run.done_tasks >= run.total_tasks:
        _close_run(run, now)
        fields += ["state", "finished_at", "error"]
    run.save(update_fields=fields)


def _close_run(run: EvidenceRun, now: Any) -> None:
    counts = EvidenceTask.objects.filter(run=run).aggregate(
        failed=Count("id", filter=Q(state=TaskState.FAILED)), total=Count("id")
    )
    has_errors = Finding.objects.filter(run=run, status=FindingStatus.ERROR).exists()
    if counts["total"] and counts["failed"] == counts["total"]:
        first = (
            EvidenceTask.objects.filter(run=run, state=TaskState.FAILED)
            .exclude(error="")
            .order_by("id")
            .first()
        )
        run.state = RunState.FAILED
        run.error = f"Every task failed. First error: {first.error}" if first else "Every task failed."
    elif counts["failed"] or has_errors:
        run.state = RunState.PARTIAL
        run.error = (
            f"{counts['failed']} of {counts['total']} tasks failed." if counts["failed"] else ""
        ) or "Some checks could not run; see the findings marked 'Could not check'."
    else:
        run.state = RunState.SUCCEEDED
        run.error = ""
    run.finished_at = now
