"""Celery tasks of the review domain: thin daily jobs calling services (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .acceptance.services import expire_risk_acceptances as expire_service
from .acceptance.services import send_acceptance_reminders as acceptance_reminders_service
from .integrity.checkpoints import audit_checkpoint_write
from .jira.sync import links_sync, sync_due
from .reports.jobs import RETRY, report_run
from .services.plan import send_item_reminders as reminders_service


@shared_task(name="reviewapp.tasks.expire_risk_acceptances")
def expire_risk_acceptances() -> int:
    """Reopen improvement items whose risk acceptance has expired, then tell the people concerned."""
    expired = len(expire_service(timezone.localdate()))
    acceptance_reminders_service(timezone.localdate())
    return expired


@shared_task(name="reviewapp.tasks.send_item_reminders")
def send_item_reminders() -> int:
    """E-mail owners about overdue and soon-due items; safe to run more than once a day."""
    return reminders_service(timezone.localdate())


# Seconds before a slow render is tried again, times the attempt: the busy spell may pass.
RENDER_RETRY_DELAY = 10


@shared_task(name="reviewapp.tasks.render_report")
def render_report(job_id: str, attempt: int = 1) -> str:
    """Render a requested report (PDF, JSON or plan spreadsheet) and store it in its ReportJob row."""
    outcome = report_run(job_id, attempt)
    if outcome == RETRY:
        render_report.apply_async(args=[job_id, attempt + 1], countdown=RENDER_RETRY_DELAY * attempt)
    return outcome


@shared_task(name="reviewapp.tasks.jira_sync_links")
def jira_sync_links(link_ids: list[str], force: bool = False) -> dict[str, int]:
    """Create or sync the Jira issues of these links now (a person asked for it)."""
    return links_sync(link_ids, force=force)


@shared_task(name="reviewapp.tasks.jira_sync_due")
def jira_sync_due() -> dict[str, int]:
    """The schedule's pass: retries that are due and linked issues not synced for a while."""
    return sync_due()


@shared_task(name="reviewapp.tasks.audit_checkpoint")
def audit_checkpoint() -> int:
    """Sign the audit chain's head and store the checkpoint (database, log, file and S3 when configured)."""
    return audit_checkpoint_write().entry_count
