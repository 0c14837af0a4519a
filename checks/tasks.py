"""Celery tasks of evidence collection: thin, take ids only, call services. Job state lives in our tables."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded

from . import execution, services
from .models import TaskState


@shared_task(name="checks.tasks.run_task")
def run_task(task_id: int) -> None:
    """Run one (account, region, check group) task of an evidence run."""
    try:
        execution.task_execute(task_id)
    except SoftTimeLimitExceeded:
        execution.task_finish(
            task_id,
            TaskState.FAILED,
            "The checks took longer than the task time limit; the account may be very large or AWS "
            "throttled us.",
        )
    except Exception as exc:
        # Record the failure so the run can still finish; the traceback goes to the worker log.
        execution.task_finish(
            task_id, TaskState.FAILED, f"The task failed unexpectedly ({type(exc).__name__})."
        )
        raise


@shared_task(name="checks.tasks.reap_stale_runs")
def reap_stale_runs() -> int:
    """Fail runs that outlived their time limit or lost their worker (scheduled every minute by beat)."""
    return len(services.runs_reap())


@shared_task(name="checks.tasks.run_scheduled_collections")
def run_scheduled_collections() -> int:
    """Start the collections that workload schedules say are due (scheduled every 15 minutes by beat)."""
    return len(services.scheduled_runs_start())
