"""Celery tasks of the review domain: thin daily jobs calling services (scheduled in CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from .acceptance.services import expire_risk_acceptances as expire_service
from .acceptance.services import send_acceptance_reminders as acceptance_reminders_service
from .jira.sync import links_sync, sync_due
from .reports.jobs import report_run
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


@shared_task(name="reviewapp.tasks.render_report")
def render_report(job_id: str) -> str:
    """Render a requested report (PDF, JSON or plan spreadsheet) and store it in its ReportJob row."""
    return report_run(job_id)


@shared_task(name="reviewapp.tasks.jira_sync_links")
def jira_sync_links(link_ids: list[str], force: bool = False) -> dict[str, int]:
    """Create or sync the Jira issues of these links now (a person asked for it)."""
    return links_sync(link_ids, force=force)


@shared_task(name="reviewapp.tasks.jira_sync_due")
def jira_sync_due() -> dict[str, int]:
    """The schedule's pass: retries that are due and linked issues not synced for a while."""
    return sync_due()
