"""Reports made in the background: request one, let a worker render it, download it when it is ready.

With Redis configured, `report_request` stores a QUEUED ReportJob and, once the transaction commits, queues
the thin task reviewapp.tasks.render_report, which calls `report_run`. On the embedded default (no broker)
the same task runs in a background thread of the web process (lib/queue.py) and the page polls the job. State
lives in the ReportJob row, never in a Celery result backend. A broker that cannot be reached is reported as
lib.queue.QueueUnavailable before anything is written.

The web page (views/reports.py), the CLI (export_review, through `report_file`) and the API use this module.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from ..access import report_jobs_of
from ..audit import audit_record
from ..lib.queue import enqueue_on_commit, ensure_broker
from ..models import Milestone, ReportJob, Review, User
from ..selectors.dashboard import DashboardFilters
from .archive import milestone_pdf
from .consolidated import ConsolidatedScope, consolidated_file, consolidated_filename, job_scope
from .errors import ReportBusy, ReportError, ReportTimeout
from .pdf import CONTENT_TYPE as PDF_CONTENT_TYPE
from .pdf import render_review_pdf
from .review_json import CONTENT_TYPE as JSON_CONTENT_TYPE
from .review_json import review_json_bytes
from .spreadsheets import CONTENT_TYPES as PLAN_CONTENT_TYPES
from .spreadsheets import plan_export
from .workload_plans import (
    PLAN_EXPORT_FORMATS,
    plan_export_bytes,
    plan_export_filename,
    plan_export_filters,
    plan_export_items,
    plan_export_scope,
)

logger = logging.getLogger(__name__)

FORMATS = tuple(ReportJob.Format.values)
# The kinds of a review's report; consolidated reports and plan exports span workloads and are asked for apart.
KINDS = (ReportJob.Kind.FULL.value, ReportJob.Kind.EXECUTIVE.value)
REVIEW_KIND_CHOICES = [(kind, ReportJob.Kind(kind).label) for kind in KINDS]
# At most this many reports of one review wait or render at once: enough for people, not for a flood.
MAX_ACTIVE_PER_REVIEW = 3
# Finished reports kept per review; older ones are removed when a new one is requested.
KEEP_PER_REVIEW = 20
# Consolidated reports: at most this many waiting or rendering per person, and finished ones kept per person.
MAX_ACTIVE_CONSOLIDATED = 2
KEEP_CONSOLIDATED = 20
# The Celery task that renders a job (reviewapp/tasks.py), queued by name: see reviewapp/lib/queue.py.
RENDER_TASK = "reviewapp.tasks.render_report"
# A render that runs out of time on a busy machine goes back on the queue and is tried again, each time with
# twice the time limit; only the last attempt's failure reaches the person who asked.
RENDER_ATTEMPTS = 3
RETRY = "RETRY"
WHAT = "The report"


@dataclass(frozen=True)
class ReportFile:
    content: bytes
    content_type: str
    filename: str


def report_filename(
    review: Review, *, fmt: str, kind: str = "full", milestone: Milestone | None = None
) -> str:
    workload = slugify(review.workload.name) or "workload"
    what = {"pdf": "security-review" if kind == "full" else "executive-summary", "json": "review"}.get(
        fmt, "improvement-plan"
    )
    when = slugify(milestone.name) if milestone is not None else timezone.localdate().isoformat()
    return f"{workload}-{what}-{when or 'milestone'}.{fmt}"


def report_file(
    review: Review,
    *,
    fmt: str,
    kind: str = "full",
    milestone: Milestone | None = None,
    timeout: float | None = None,
) -> ReportFile:
    """Render one report now, in this process: the file, its content type and a download name."""
    if fmt == "pdf" and milestone is not None:
        content = milestone_pdf(review, milestone=milestone, kind=kind, timeout=timeout)
        content_type = PDF_CONTENT_TYPE
    elif fmt == "pdf":
        content = render_review_pdf(review, milestone=milestone, kind=kind, timeout=timeout)
        content_type = PDF_CONTENT_TYPE
    elif fmt == "json":
        content, content_type = review_json_bytes(review, milestone=milestone), JSON_CONTENT_TYPE
    elif fmt in PLAN_CONTENT_TYPES:
        content, content_type = plan_export(review, fmt=fmt, milestone=milestone), PLAN_CONTENT_TYPES[fmt]
    else:
        raise ValueError(f"format must be one of {FORMATS}, not {fmt!r}")
    if len(content) > settings.REPORT_MAX_BYTES:
        raise ReportError(
            f"The report would be {len(content):,} bytes; the limit is {settings.REPORT_MAX_BYTES:,}."
        )
    return ReportFile(content, content_type, report_filename(review, fmt=fmt, kind=kind, milestone=milestone))


def content_type_of(job: ReportJob) -> str:
    return {"pdf": PDF_CONTENT_TYPE, "json": JSON_CONTENT_TYPE, **PLAN_CONTENT_TYPES}[job.format]


def _fail_unqueued(job_id: Any) -> None:
    ReportJob.objects.filter(pk=job_id, state=ReportJob.State.QUEUED).update(
        state=ReportJob.State.FAILED,
        finished_at=timezone.now(),
        error="The report could not be queued: the task queue was unreachable.",
    )


def _prune(review: Review) -> None:
    """Keep the newest KEEP_PER_REVIEW finished reports of the review: they are derived files, not records."""
    finished = ReportJob.objects.filter(
        review=review, state__in=[ReportJob.State.DONE, ReportJob.State.FAILED]
    )
    old = finished.order_by("-created_at").values_list("pk", flat=True)[KEEP_PER_REVIEW:]
    ReportJob.objects.filter(pk__in=list(old)).delete()


def report_request(
    *,
    review: Review,
    actor: User | None,
    kind: str = "full",
    fmt: str = "pdf",
    milestone: Milestone | None = None,
) -> ReportJob:
    """Ask for a report; returns its job (an identical one still waiting is returned instead of a new one).

    Raises ValidationError for a bad kind, format or milestone or too many waiting reports, and
    QueueUnavailable when the broker cannot be reached. Access is the caller's job: anyone who may VIEW
    the workload may ask for its reports.
    """
    errors: dict[str, list[str]] = {}
    if kind not in KINDS:
        errors["kind"] = [f"Choose one of: {', '.join(KINDS)}."]
    if fmt not in FORMATS:
        errors["format"] = [f"Choose one of: {', '.join(FORMATS)}."]
    if milestone is not None and milestone.review_id != review.pk:
        errors["milestone"] = ["That milestone belongs to another review."]
    if errors:
        raise ValidationError(errors)
    if fmt != "pdf":
        kind = "full"  # the kind only shapes PDFs; one value keeps identical requests identical
    active = ReportJob.objects.filter(
        review=review, state__in=[ReportJob.State.QUEUED, ReportJob.State.RUNNING]
    )
    same = active.filter(kind=kind, format=fmt, milestone=milestone).defer("content").first()
    if same is not None:
        return same
    if active.count() >= MAX_ACTIVE_PER_REVIEW:
        raise ValidationError(
            f"{MAX_ACTIVE_PER_REVIEW} reports of this review are already being made; wait for one to finish."
        )
    ensure_broker(WHAT)
    with transaction.atomic():
        job = ReportJob.objects.create(
            review=review, milestone=milestone, kind=kind, format=fmt, created_by=actor
        )
        audit_record(
            actor=actor,
            action="report.request",
            obj=job,
            object_repr=f"{review.workload.name} {fmt} report",
            workload_id=review.workload_id,
            after={"kind": kind, "format": fmt, "milestone": milestone.name if milestone else None},
        )
        _prune(review)
        job_id = job.pk
        enqueue_on_commit(RENDER_TASK, [[str(job_id)]], what=WHAT, on_failure=lambda: _fail_unqueued(job_id))
    job.refresh_from_db()
    return job


def _claim(job_id: Any) -> bool:
    """QUEUED -> RUNNING, once. A redelivered message (its worker was lost) may take over a stalled run."""
    now = timezone.now()
    stalled = now - timedelta(seconds=settings.REPORT_RENDER_TIMEOUT * 4 + 60)
    return bool(
        ReportJob.objects.filter(pk=job_id)
        .filter(Q(state=ReportJob.State.QUEUED) | Q(state=ReportJob.State.RUNNING, started_at__lt=stalled))
        .update(state=ReportJob.State.RUNNING, started_at=now, error="")
    )


def _fail(job_id: Any, error: str) -> None:
    ReportJob.objects.filter(pk=job_id).update(
        state=ReportJob.State.FAILED, finished_at=timezone.now(), error=error, content=None, size=0
    )


def _requeue(job_id: Any, attempt: int) -> str:
    ReportJob.objects.filter(pk=job_id, state=ReportJob.State.RUNNING).update(
        state=ReportJob.State.QUEUED,
        started_at=None,
        error=f"The server is busy; trying again (attempt {attempt + 1} of {RENDER_ATTEMPTS}).",
    )
    return RETRY


def report_run(job_id: Any, attempt: int = 1) -> str:
    """Render a queued report and store it; the final state (DONE/FAILED, SKIPPED when not claimable, or
    RETRY when a slow render was put back on the queue for attempt + 1)."""
    if not _claim(job_id):
        return "SKIPPED"
    job = ReportJob.objects.select_related(
        "review__workload__team", "review__lens", "milestone", "created_by"
    ).get(pk=job_id)
    timeout = settings.REPORT_RENDER_TIMEOUT * 2 ** (attempt - 1)
    try:
        # A review's report always has its review (constraint reportjob_review_unless_consolidated).
        if job.review is None:
            file = _workloads_report_file(job)
        else:
            file = report_file(
                job.review, fmt=job.format, kind=job.kind, milestone=job.milestone, timeout=timeout
            )
    except (ReportTimeout, ReportBusy) as exc:
        if attempt < RENDER_ATTEMPTS:
            logger.warning("report %s attempt %s: %s; queued again", job_id, attempt, exc.message)
            return _requeue(job_id, attempt)
        _fail(job_id, exc.message)
        return ReportJob.State.FAILED
    except ReportError as exc:
        _fail(job_id, exc.message)
        return ReportJob.State.FAILED
    except SoftTimeLimitExceeded:
        _fail(job_id, "The report took longer than the worker's time limit and was stopped.")
        return ReportJob.State.FAILED
    except Exception:
        # The row tells the person it failed; the traceback goes to the log, not to the page.
        logger.exception("report %s failed", job_id)
        _fail(job_id, "The report could not be made because of an internal error. It has been logged.")
        return ReportJob.State.FAILED
    ReportJob.objects.filter(pk=job_id, state=ReportJob.State.RUNNING).update(
        state=ReportJob.State.DONE,
        progress=100,
        content=file.content,
        size=len(file.content),
        filename=file.filename,
        finished_at=timezone.now(),
    )
    return ReportJob.State.DONE


def _workloads_report_file(job: ReportJob) -> ReportFile:
    """A report across the workloads its requester may see now: a consolidated report or a plan export."""
    if job.created_by is None or not job.created_by.is_active:
        raise ReportError("The person who asked for this report can no longer sign in, so it was not made.")

    def progress(percent: int) -> None:
        ReportJob.objects.filter(pk=job.pk, state=ReportJob.State.RUNNING).update(progress=percent)

    if job.kind == ReportJob.Kind.PLAN_EXPORT:
        filters = plan_export_filters(job.scope)
        content = plan_export_bytes(
            plan_export_items(job.created_by, filters), fmt=job.format, progress=progress
        )
        content_type, filename = PLAN_CONTENT_TYPES[job.format], plan_export_filename(job.format)
    else:
        content, content_type = consolidated_file(
            job.created_by, job_scope(job), fmt=job.format, progress=progress
        )
        filename = consolidated_filename(job.format)
    if len(content) > settings.REPORT_MAX_BYTES:
        raise ReportError(
            f"The report would be {len(content):,} bytes; the limit is {settings.REPORT_MAX_BYTES:,}."
        )
    return ReportFile(content, content_type, filename)


def _prune_workloads_jobs(user: User, kind: str) -> None:
    finished = ReportJob.objects.filter(
        kind=kind,
        created_by=user,
        state__in=[ReportJob.State.DONE, ReportJob.State.FAILED],
    )
    old = finished.order_by("-created_at").values_list("pk", flat=True)[KEEP_CONSOLIDATED:]
    ReportJob.objects.filter(pk__in=list(old)).delete()


def _workloads_job_request(
    *, actor: User, kind: str, fmt: str, stored: dict, object_repr: str, plural: str
) -> ReportJob:
    """Queue a report across workloads (no review) for `actor`, or return an identical one still waiting."""
    mine = ReportJob.objects.filter(kind=kind, created_by=actor)
    active = mine.filter(state__in=[ReportJob.State.QUEUED, ReportJob.State.RUNNING])
    same = active.filter(format=fmt, scope=stored).defer("content").first()
    if same is not None:
        return same
    if active.count() >= MAX_ACTIVE_CONSOLIDATED:
        raise ValidationError(
            f"{MAX_ACTIVE_CONSOLIDATED} of your {plural} are already being made; wait for one to finish."
        )
    ensure_broker(WHAT)
    with transaction.atomic():
        job = ReportJob.objects.create(review=None, kind=kind, format=fmt, scope=stored, created_by=actor)
        audit_record(
            actor=actor,
            action="report.request",
            obj=job,
            object_repr=object_repr[:255],
            after={"kind": kind, "format": fmt, **stored},
        )
        _prune_workloads_jobs(actor, kind)
        job_id = job.pk
        enqueue_on_commit(RENDER_TASK, [[str(job_id)]], what=WHAT, on_failure=lambda: _fail_unqueued(job_id))
    job.refresh_from_db()
    return job


def consolidated_request(*, actor: User, scope: ConsolidatedScope, fmt: str = "pdf") -> ReportJob:
    """Ask for a consolidated report of the workloads `actor` may see that match `scope`.

    An identical request still waiting is returned instead of a new one. Raises ValidationError for a bad
    format or too many waiting reports, QueueUnavailable when the broker cannot be reached; nothing is
    written then. The scope's filters are checked by the caller (forms/portfolio.py, the API serializer).
    """
    if fmt not in ("pdf", "xlsx"):
        raise ValidationError(
            {"format": ["A consolidated report is a PDF or an Excel workbook (pdf, xlsx)."]}
        )
    return _workloads_job_request(
        actor=actor,
        kind=ReportJob.Kind.CONSOLIDATED,
        fmt=fmt,
        stored=scope.as_json(),
        object_repr=f"consolidated {fmt} report: {scope.label}",
        plural="consolidated reports",
    )


def plan_export_request(*, actor: User, filters: DashboardFilters, label: str, fmt: str) -> ReportJob:
    """Ask for the improvement plans of the workloads `actor` may see that match the dashboard `filters`, as
    one CSV or XLSX file made in the background (an export too long to serve at once). Same rules and errors
    as consolidated_request."""
    if fmt not in PLAN_EXPORT_FORMATS:
        raise ValidationError({"format": ["A plan export is a CSV file or an Excel workbook (csv, xlsx)."]})
    return _workloads_job_request(
        actor=actor,
        kind=ReportJob.Kind.PLAN_EXPORT,
        fmt=fmt,
        stored=plan_export_scope(filters, label),
        object_repr=f"improvement plans {fmt} export: {label or 'all workloads'}",
        plural="plan exports",
    )


def consolidated_jobs_of(
    user: User, limit: int = KEEP_CONSOLIDATED + MAX_ACTIVE_CONSOLIDATED
) -> list[ReportJob]:
    """`user`'s consolidated reports, newest first, without their files. One query."""
    return list(report_jobs_of(user).defer("content").order_by("-created_at")[:limit])


def jobs_of(review: Review, limit: int = KEEP_PER_REVIEW + MAX_ACTIVE_PER_REVIEW) -> list[ReportJob]:
    """The review's reports, newest first, without their files. One query."""
    return list(
        ReportJob.objects.filter(review=review)
        .select_related("created_by", "milestone")
        .defer("content", "milestone__snapshot")
        .order_by("-created_at")[:limit]
    )


__all__ = [
    "FORMATS",
    "RENDER_ATTEMPTS",
    "RETRY",
    "consolidated_jobs_of",
    "consolidated_request",
    "KINDS",
    "REVIEW_KIND_CHOICES",
    "ReportFile",
    "content_type_of",
    "jobs_of",
    "plan_export_request",
    "report_file",
    "report_request",
    "report_run",
]
