"""The report job: a report of a review, or across workloads, rendered in the background (reviewapp/reports)."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from ..models import Milestone, Review, User


class ReportJob(models.Model):
    """A report of a review (PDF, JSON or plan spreadsheet), or a consolidated report across the workloads a
    person may see (PDF or XLSX), rendered by a Celery worker when Redis is set up.

    The file is kept in the row: reports are bounded by REPORT_MAX_BYTES, are deleted with their review, are
    covered by database backups, and are never served from a guessable path. See reviewapp/reports/jobs.py.
    A consolidated report has no review: it belongs to the person who asked (access.py), and `scope` keeps
    the filter that chose its workloads.
    """

    class Kind(models.TextChoices):
        FULL = "full", "Full report"
        EXECUTIVE = "executive", "Executive summary"
        CONSOLIDATED = "consolidated", "Consolidated report"
        # The improvement plans of many workloads as one CSV/XLSX file, too many rows to serve at once.
        PLAN_EXPORT = "plan_export", "Improvement plans export"

    class Format(models.TextChoices):
        PDF = "pdf", "PDF"
        JSON = "json", "JSON"
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel"

    class State(models.TextChoices):
        QUEUED = "QUEUED", "Queued"
        RUNNING = "RUNNING", "Rendering"
        DONE = "DONE", "Ready"
        FAILED = "FAILED", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="report_jobs"
    )
    # Set when the report shows a milestone's frozen snapshot instead of the current answers.
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.FULL)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.PDF)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    content = models.BinaryField(null=True, blank=True, editable=False)
    filename = models.CharField(max_length=255, blank=True)
    size = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # Consolidated reports: the filter that chose the workloads (team, environment, tag, ..., since), and how
    # far the render has got, in percent, for the page that polls it.
    scope = models.JSONField(default=dict, blank=True)
    progress = models.PositiveSmallIntegerField(default=0)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["full", "executive", "consolidated", "plan_export"]),
                name="reportjob_kind",
            ),
            # A review's report has its review; a consolidated report or plan export spans workloads and has none.
            models.CheckConstraint(
                condition=Q(kind__in=["consolidated", "plan_export"], review__isnull=True)
                | (~Q(kind__in=["consolidated", "plan_export"]) & Q(review__isnull=False)),
                name="reportjob_review_unless_consolidated",
            ),
            models.CheckConstraint(
                condition=Q(format__in=["pdf", "json", "csv", "xlsx"]), name="reportjob_format"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["QUEUED", "RUNNING", "DONE", "FAILED"]), name="reportjob_state"
            ),
            # A finished report has its file; nothing else does.
            models.CheckConstraint(
                condition=Q(state="DONE", content__isnull=False)
                | (~Q(state="DONE") & Q(content__isnull=True)),
                name="reportjob_content_when_done",
            ),
        ]
        indexes = [
            models.Index(fields=["review", "-created_at"]),
            models.Index(fields=["created_by", "kind", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.format} of {self.review_id or 'workloads'} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.RUNNING)
