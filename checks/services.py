"""Writes of evidence collection: connecting accounts, schedules, starting, cancelling and reaping runs.

Every function validates, saves and audits in one transaction. Celery tasks are enqueued only after the
transaction commits, and take ids. Executing a task lives in `execution.py`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from questionnaire.models import Question
from reviewapp.audit import audit_record
from reviewapp.lib.queue import QueueUnavailable, enqueue_on_commit, ensure_broker
from reviewapp.models import Answer, Review, User, Workload
from reviewapp.services import answer_record

from .aws import known_regions
from .models import (
    ACTIVE_STATES,
    AwsTarget,
    EvidenceRun,
    EvidenceSchedule,
    EvidenceTask,
    RunState,
    Schedule,
    TaskState,
    Trigger,
)
from .registry import work_units
from .selectors import suggested_practices

logger = logging.getLogger(__name__)

MAX_REGIONS = 30
# The Celery task that executes one EvidenceTask (checks/tasks.py), queued by name: see reviewapp/lib/queue.py.
RUN_TASK = "checks.tasks.run_task"
WHAT = "Evidence collection"
SCHEDULE_PERIOD = {Schedule.DAILY: timedelta(days=1), Schedule.WEEKLY: timedelta(days=7)}
# Beat looks every 15 minutes: a run due within that window starts now rather than drifting later every day.
SCHEDULE_SLACK = timedelta(minutes=20)
_REGION_RE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")


class RunAlreadyActive(ValidationError):
    def __init__(self, run: EvidenceRun) -> None:
        super().__init__(
            f"A collection started at {timezone.localtime(run.created_at):%H:%M} is still "
            f"{run.state.lower()}; wait for it to finish or cancel it before starting another."
        )
        self.run = run


def _clean_regions(regions: Iterable[str]) -> list[str]:
    cleaned = list(dict.fromkeys(region.strip() for region in regions if region and region.strip()))
    if not cleaned:
        raise ValidationError({"regions": ["Choose at least one region to check."]})
    if len(cleaned) > MAX_REGIONS:
        raise ValidationError({"regions": [f"Choose at most {MAX_REGIONS} regions."]})
    known = set(known_regions())
    unknown = [region for region in cleaned if region not in known and not _REGION_RE.match(region)]
    if unknown:
        raise ValidationError({"regions": [f"Not an AWS region: {', '.join(unknown)}."]})
    return cleaned


def _target_values(target: AwsTarget) -> dict[str, Any]:
    return {
        "account_id": target.account_id,
        "role_arn": target.role_arn,
        "regions": target.regions,
        "label": target.label,
    }


@transaction.atomic
def target_create(
    *,
    workload: Workload,
    actor: User,
    account_id: str,
    role_arn: str,
    regions: Iterable[str],
    label: str = "",
) -> AwsTarget:
    target = AwsTarget(
        workload=workload,
        account_id=(account_id or "").strip(),
        role_arn=(role_arn or "").strip(),
        regions=_clean_regions(regions),
        label=(label or "").strip(),
        created_by=actor,
    )
    if AwsTarget.objects.filter(workload=workload, account_id=target.account_id).exists():
        raise ValidationError(
            {"account_id": [f"Account {target.account_id} is already connected to this workload."]}
        )
    target.full_clean(exclude=["workload", "created_by"])
    try:
        with transaction.atomic():
            target.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError({"account_id": [f"Account {target.account_id} is already connected."]}) from exc
    audit_record(
        actor=actor,
        action="aws_target.create",
        obj=target,
        workload_id=workload.pk,
        after=_target_values(target),
    )
    return target


@transaction.atomic
def target_delete(*, target: AwsTarget, actor: User) -> None:
    if EvidenceRun.objects.filter(workload_id=target.workload_id, state__in=ACTIVE_STATES).exists():
        raise ValidationError(
            "A collection is running: cancel it or let it finish before removing an account."
        )
    audit_record(
        actor=actor,
        action="aws_target.delete",
        obj=target,
        workload_id=target.workload_id,
        before=_target_values(target),
    )
    target.delete()


@transaction.atomic
def schedule_set(*, workload: Workload, actor: User, frequency: str) -> EvidenceSchedule:
    if frequency not in Schedule.values:
        raise ValidationError({"frequency": [f"{frequency!r} is not a schedule."]})
    schedule, _ = EvidenceSchedule.objects.select_for_update().get_or_create(workload=workload)
    before = schedule.frequency
    if before != frequency:
        schedule.frequency = frequency
        schedule.updated_by = actor
        schedule.save()
        audit_record(
            actor=actor,
            action="evidence_schedule.set",
            obj=schedule,
            workload_id=workload.pk,
            before={"frequency": before},
            after={"frequency": frequency},
        )
    return schedule


def _fail_unqueued(run_id: Any) -> None:
    run_fail(
        run_id=run_id, error="The tasks of this run could not be queued: the task queue was unreachable."
    )


def run_start(*, workload: Workload, actor: User | None, trigger: str = Trigger.MANUAL) -> EvidenceRun:
    """Create a run with one task per (account, region, check group) and queue the tasks once committed.

    Raises ValidationError when there is nothing to collect from, RunAlreadyActive when a run is still going,
    and QueueUnavailable (with nothing left behind) when the broker cannot be reached.
    """
    if workload.is_archived:
        raise ValidationError("This workload is archived: restore it before collecting evidence.")
    targets = list(AwsTarget.objects.filter(workload=workload).order_by("account_id"))
    if not targets:
        raise ValidationError("Connect an AWS account to this workload before collecting evidence.")
    # A stale run must not block a person even where no beat process runs the reaper (the embedded default).
    runs_reap(workload=workload)
    active = EvidenceRun.objects.filter(workload=workload, state__in=ACTIVE_STATES).first()
    if active is not None:
        raise RunAlreadyActive(active)
    # Before the transaction: a network round trip must not hold database locks.
    ensure_broker(WHAT)
    try:
        return _run_create(workload=workload, actor=actor, trigger=trigger, targets=targets)
    except IntegrityError as exc:
        # Another request started one between our check and our insert: the partial unique index said no.
        active = EvidenceRun.objects.filter(workload=workload, state__in=ACTIVE_STATES).first()
        if active is not None:
            raise RunAlreadyActive(active) from exc
        raise


@transaction.atomic
def _run_create(
    *, workload: Workload, actor: User | None, trigger: str, targets: list[AwsTarget]
) -> EvidenceRun:
    run = EvidenceRun.objects.create(workload=workload, started_by=actor, trigger=trigger)
    tasks = EvidenceTask.objects.bulk_create(
        EvidenceTask(run=run, target=target, account_id=target.account_id, region=region, group=group)
        for target in targets
        for group, region in work_units(target.regions)
    )
    run.total_tasks = len(tasks)
    run.save(update_fields=["total_tasks"])
    audit_record(
        actor=actor,
        actor_label="" if actor else "schedule",
        action="evidence_run.start",
        obj=run,
        object_repr=f"Evidence collection for {workload.name}",
        workload_id=workload.pk,
        after={"trigger": trigger, "accounts": [t.account_id for t in targets], "tasks": run.total_tasks},
    )
    run_id = run.pk
    enqueue_on_commit(
        RUN_TASK,
        [[task.pk] for task in tasks],
        what=WHAT,
        on_failure=lambda: _fail_unqueued(run_id),
    )
    return run


def _close_tasks(run: EvidenceRun, state: str, error: str, now: datetime) -> None:
    EvidenceTask.objects.filter(run=run, state__in=[TaskState.QUEUED, TaskState.RUNNING]).update(
        state=state, finished_at=now, error=error
    )


@transaction.atomic
def run_cancel(*, run: EvidenceRun, actor: User) -> EvidenceRun:
    # Lock order everywhere: the run row, then its tasks.
    run = EvidenceRun.objects.select_for_update().get(pk=run.pk)
    if not run.is_active:
        raise ValidationError(f"This collection already ended ({run.get_state_display().lower()}).")
    now = timezone.now()
    before = run.state
    run.state = RunState.CANCELLED
    run.finished_at = now
    run.error = f"Cancelled by {actor.display_name()}."
    run.save(update_fields=["state", "finished_at", "error"])
    # Running tasks notice the cancellation between two checks and stop; their findings are discarded.
    EvidenceTask.objects.filter(run=run, state=TaskState.QUEUED).update(
        state=TaskState.CANCELLED, finished_at=now, error="The run was cancelled."
    )
    audit_record(
        actor=actor,
        action="evidence_run.cancel",
        obj=run,
        object_repr=f"Evidence collection for {run.workload.name}",
        workload_id=run.workload_id,
        before={"state": before},
        after={"state": run.state},
    )
    return run


@transaction.atomic
def run_fail(*, run_id: Any, error: str) -> bool:
    """Mark an active run FAILED (no person involved: the queue or the reaper). False if it already ended."""
    run = EvidenceRun.objects.select_for_update().filter(pk=run_id).first()
    if run is None or not run.is_active:
        return False
    now = timezone.now()
    before = run.state
    run.state = RunState.FAILED
    run.finished_at = now
    run.error = error
    run.save(update_fields=["state", "finished_at", "error"])
    _close_tasks(run, TaskState.FAILED, error, now)
    audit_record(
        actor=None,
        actor_label="system",
        action="evidence_run.fail",
        obj=run,
        object_repr=f"Evidence collection for {run.workload_id}",
        workload_id=run.workload_id,
        before={"state": before},
        after={"state": run.state, "error": error},
    )
    return True


def runs_reap(now: datetime | None = None, workload: Workload | None = None) -> list[Any]:
    """Fail runs past EVIDENCE_RUN_TIME_LIMIT, and runs with a task running whose heartbeat stopped (the worker
    was lost: every running task beats every few seconds), so the next run can start without anyone touching
    the database. A run whose tasks are only waiting in the queue is not silent, just waiting. Returns the ids
    of the runs it failed."""
    now = now or timezone.now()
    limit = timedelta(seconds=settings.EVIDENCE_RUN_TIME_LIMIT)
    silence = timedelta(seconds=settings.EVIDENCE_HEARTBEAT_TIMEOUT)
    overdue = Q(created_at__lt=now - limit)
    working = Exists(EvidenceTask.objects.filter(run=OuterRef("pk"), state=TaskState.RUNNING))
    silent = (
        Q(state=RunState.RUNNING)
        & working
        & (Q(heartbeat_at__lt=now - silence) | Q(heartbeat_at__isnull=True, started_at__lt=now - silence))
    )
    stale = EvidenceRun.objects.filter(state__in=ACTIVE_STATES).filter(overdue | silent)
    if workload is not None:
        stale = stale.filter(workload=workload)
    reaped = []
    for run in stale.only("id", "created_at", "heartbeat_at", "started_at"):
        if run.created_at < now - limit:
            error = f"The collection took longer than the limit of {_minutes(limit)} and was stopped."
        else:
            error = (
                f"Worker lost: the worker running this collection stopped answering (no heartbeat for "
                f"{_minutes(silence)}), so its unfinished checks were marked failed. Start a new collection."
            )
        if run_fail(run_id=run.pk, error=error):
            reaped.append(run.pk)
    return reaped


def _minutes(delta: timedelta) -> str:
    minutes = max(1, round(delta.total_seconds() / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def scheduled_runs_start(now: datetime | None = None) -> list[EvidenceRun]:
    """Start the runs workload schedules say are due; a workload that cannot start is skipped."""
    now = now or timezone.now()
    schedules = (
        EvidenceSchedule.objects.exclude(frequency=Schedule.NONE)
        .filter(workload__is_archived=False, workload__aws_targets__isnull=False)
        .select_related("workload")
        .annotate(last_run=Max("workload__evidence_runs__created_at"))
        .distinct()
    )
    started = []
    for schedule in schedules:
        period = SCHEDULE_PERIOD[Schedule(schedule.frequency)]
        if schedule.last_run is not None and schedule.last_run > now - period + SCHEDULE_SLACK:
            continue
        try:
            started.append(run_start(workload=schedule.workload, actor=None, trigger=Trigger.SCHEDULE))
        except QueueUnavailable:
            logger.warning("scheduled evidence collection skipped: the queue is unreachable")
            break
        except ValidationError as exc:
            logger.info(
                "scheduled evidence collection for %s skipped: %s", schedule.workload_id, exc.messages
            )
    return started


@transaction.atomic
def suggestions_apply(*, review: Review, question: Question, actor: User, base_version: int) -> list[str]:
    """Select the best practices of `question` that the latest evidence SUPPORTS, once a person confirmed what
    they saw at `base_version` of the answer. Returns the codes that evidence supports.

    The answer's save (reviewapp.services.answer_record) and the audit entry naming the person who applied the
    suggestions commit together or not at all: if the answer changed meanwhile, AnswerConflict is raised and
    nothing is written. Raises ValidationError for a question of another lens version or one marked not
    applicable (the person must mark it applicable first).
    """
    if question.lens_version_id != review.lens_version_id:
        raise ValidationError("This question is not part of the review's lens version.")
    # Locked first, so what we add to is what answer_record compares with base_version.
    answer = Answer.objects.select_for_update().get(review=review, question=question)
    if not answer.is_applicable:
        raise ValidationError(f"{question.code} is marked as not applicable; mark it as applicable first.")
    suggestions = suggested_practices(review, question)
    supported = suggestions.codes
    saved = answer_record(
        review=review,
        question=question,
        actor=actor,
        base_version=base_version,
        selected=[*answer.selected, *supported],
        # Ticking practices contradicts "None of these"; the person confirmed the ticks.
        none_of_these=False,
        is_applicable=True,
        reason=answer.reason,
        choices_not_applicable={
            code: why for code, why in answer.choices_not_applicable.items() if code not in supported
        },
        choice_notes=dict(answer.choice_notes),
        notes=answer.notes,
    )
    if supported and saved.version != answer.version:
        audit_record(
            actor=actor,
            action="evidence.suggestions_apply",
            obj=review,
            object_repr=f"{question.code} of {review.workload.name}",
            workload_id=review.workload_id,
            after={
                "question": question.code,
                "suggested": supported,
                "run": str(suggestions.run_id),
                "sources": suggestions.sources,
                "version": saved.version,
            },
        )
    return supported
