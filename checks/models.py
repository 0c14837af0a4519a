"""Evidence collection: connected AWS accounts, collection runs and their tasks, and the findings they
produce.

Run and task state lives here, never in a Celery result backend, so a page can always show where a run is and
the reaper can fail a run whose worker vanished. Invariants are database constraints, not just choices.
"""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from reviewapp.models import User, Workload

ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
# IAM role names: 1-64 of [\w+=,.@-], optionally under a path of the same characters and slashes.
ROLE_ARN_RE = re.compile(r"^arn:aws(?:-cn|-us-gov)?:iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?[\w+=,.@-]{1,64}$")
GLOBAL_REGION = "global"


def new_external_id() -> str:
    """A per-target secret the customer's role trust policy requires: it stops another customer of this app
    from pointing their own target at the same role (the confused-deputy problem)."""
    return f"wa-{secrets.token_hex(16)}"


def default_valid_until() -> datetime:
    """How long evidence collected now counts: settings.EVIDENCE_VALID_DAYS."""
    return timezone.now() + timedelta(days=settings.EVIDENCE_VALID_DAYS)


def validate_role_arn(value: str) -> None:
    if not ROLE_ARN_RE.match(value or ""):
        raise ValidationError(
            "Enter an IAM role ARN such as arn:aws:iam::123456789012:role/WellArchitectedEvidence.",
            code="role_arn",
        )


class AwsTarget(models.Model):
    """One AWS account of a workload that evidence is collected from, through a read-only role."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="aws_targets")
    account_id = models.CharField(
        max_length=12,
        validators=[RegexValidator(ACCOUNT_ID_RE, "An AWS account id is exactly 12 digits.")],
    )
    role_arn = models.CharField(max_length=2048, validators=[validate_role_arn])
    # Region names the regional checks run in; global checks run once per account whatever this holds.
    regions = models.JSONField(default=list)
    # Generated here, never typed in by a user, and never changed: the customer's role trusts exactly this
    # value.
    external_id = models.CharField(max_length=64, default=new_external_id, editable=False)
    label = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workload", "account_id"]
        constraints = [
            models.UniqueConstraint(fields=["workload", "account_id"], name="awstarget_unique_account"),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.account_id})" if self.label else self.account_id

    def clean(self) -> None:
        match = ROLE_ARN_RE.match(self.role_arn or "")
        if match and match.group(1) != self.account_id:
            raise ValidationError({"role_arn": ["The role must be in the account this target connects."]})

    @property
    def home_region(self) -> str:
        """Where global services are called: the first configured region."""
        return self.regions[0] if self.regions else "us-east-1"


class Schedule(models.TextChoices):
    NONE = "NONE", "Only when someone starts it"
    DAILY = "DAILY", "Every day"
    WEEKLY = "WEEKLY", "Every week"


class EvidenceSchedule(models.Model):
    """How often evidence is collected for a workload without a person starting it."""

    workload = models.OneToOneField(Workload, on_delete=models.CASCADE, related_name="evidence_schedule")
    frequency = models.CharField(max_length=8, choices=Schedule.choices, default=Schedule.NONE)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency__in=["NONE", "DAILY", "WEEKLY"]), name="evidenceschedule_frequency"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workload}: {self.get_frequency_display()}"


class RunState(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    PARTIAL = "PARTIAL", "Partly succeeded"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


ACTIVE_STATES = (RunState.QUEUED, RunState.RUNNING)
# Runs whose findings are complete enough to summarise as evidence.
USABLE_STATES = (RunState.SUCCEEDED, RunState.PARTIAL)


class Trigger(models.TextChoices):
    MANUAL = "MANUAL", "Started by a person"
    SCHEDULE = "SCHEDULE", "Scheduled"


class EvidenceRun(models.Model):
    """One collection of evidence for a workload: QUEUED -> RUNNING -> SUCCEEDED / PARTIAL / FAILED /
    CANCELLED."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="evidence_runs")
    state = models.CharField(max_length=10, choices=RunState.choices, default=RunState.QUEUED)
    trigger = models.CharField(max_length=10, choices=Trigger.choices, default=Trigger.MANUAL)
    started_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved forward by every task as it works; the reaper fails runs whose heartbeat stopped.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    total_tasks = models.PositiveIntegerField(default=0)
    done_tasks = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(state__in=["QUEUED", "RUNNING", "SUCCEEDED", "PARTIAL", "FAILED", "CANCELLED"]),
                name="evidencerun_state",
            ),
            models.CheckConstraint(
                condition=Q(trigger__in=["MANUAL", "SCHEDULE"]), name="evidencerun_trigger"
            ),
            models.CheckConstraint(
                condition=Q(done_tasks__lte=models.F("total_tasks")), name="evidencerun_progress"
            ),
            # At most one active run per workload: two runs would race on the same accounts and findings.
            models.UniqueConstraint(
                fields=["workload"],
                condition=Q(state__in=["QUEUED", "RUNNING"]),
                name="evidencerun_one_active_per_workload",
            ),
        ]
        indexes = [models.Index(fields=["workload", "state", "-finished_at"]), models.Index(fields=["state"])]

    def __str__(self) -> str:
        return f"{self.workload} run {self.created_at:%Y-%m-%d %H:%M} ({self.state})"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES

    @property
    def percent(self) -> int:
        return round(100 * self.done_tasks / self.total_tasks) if self.total_tasks else 0


class TaskState(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    SUCCEEDED = "SUCCEEDED", "Succeeded"
    FAILED = "FAILED", "Failed"
    CANCELLED = "CANCELLED", "Cancelled"


TASK_DONE_STATES = (TaskState.SUCCEEDED, TaskState.FAILED, TaskState.CANCELLED)


class EvidenceTask(models.Model):
    """One Celery task of a run: one check group in one region of one account ("global" for global checks)."""

    run = models.ForeignKey(EvidenceRun, on_delete=models.CASCADE, related_name="tasks")
    # Kept when the target is removed later, so a finished run still explains what it did.
    target = models.ForeignKey(AwsTarget, on_delete=models.SET_NULL, null=True, related_name="tasks")
    account_id = models.CharField(max_length=12)
    region = models.CharField(max_length=32)
    group = models.CharField(max_length=32)
    state = models.CharField(max_length=10, choices=TaskState.choices, default=TaskState.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["run", "account_id", "group", "region"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "account_id", "region", "group"], name="evidencetask_unique"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"]),
                name="evidencetask_state",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.region}/{self.group} ({self.state})"


class FindingStatus(models.TextChoices):
    PASS = "PASS", "Pass"
    FAIL = "FAIL", "Fail"
    ERROR = "ERROR", "Could not check"
    NOT_APPLICABLE = "NOT_APPLICABLE", "Not applicable"


class Severity(models.TextChoices):
    HIGH = "HIGH", "High"
    MEDIUM = "MEDIUM", "Medium"
    LOW = "LOW", "Low"


class FindingSource(models.TextChoices):
    """Who saw it: our own checks, or a scanner whose output a person imported."""

    CHECKS = "CHECKS", "Our checks"
    PROWLER = "PROWLER", "Prowler"
    SECURITY_HUB = "SECURITY_HUB", "Security Hub CSPM"


class EvidenceImport(models.Model):
    """One scanner output file a person imported as evidence for a workload. Only complete imports exist: a
    file that fails to parse, or names an account the workload is not connected to, leaves no row at all."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="evidence_imports")
    source = models.CharField(max_length=16, choices=FindingSource.choices)
    # "json-ocsf", "csv" or "asff": the format the file was read as.
    file_format = models.CharField(max_length=16)
    file_name = models.CharField(max_length=255)
    file_size = models.PositiveBigIntegerField()
    accounts = models.JSONField(default=list)
    imported_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    total = models.PositiveIntegerField(default=0)
    mapped = models.PositiveIntegerField(default=0)
    unmapped = models.PositiveIntegerField(default=0)
    # {reason: count} of findings read but not stored as evidence (archived, suppressed, muted).
    skipped = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["PROWLER", "SECURITY_HUB"]), name="evidenceimport_source"
            ),
            models.CheckConstraint(
                condition=Q(mapped__lte=models.F("total")) & Q(unmapped__lte=models.F("total")),
                name="evidenceimport_counts",
            ),
        ]
        indexes = [models.Index(fields=["workload", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_source_display()} import {self.file_name} ({self.total} findings)"


class Finding(models.Model):
    """What one check (ours, or an imported scanner's) saw about one resource (or one account/region)."""

    # Exactly one of run and evidence_import: where the finding came from.
    run = models.ForeignKey(EvidenceRun, on_delete=models.CASCADE, null=True, related_name="findings")
    evidence_import = models.ForeignKey(
        EvidenceImport, on_delete=models.CASCADE, null=True, related_name="findings"
    )
    source = models.CharField(max_length=16, choices=FindingSource.choices, default=FindingSource.CHECKS)
    # The task that produced it: a redelivered task replaces its own findings instead of duplicating them.
    task = models.ForeignKey(EvidenceTask, on_delete=models.CASCADE, null=True, related_name="findings")
    # Our check id, or the scanner's own (a Prowler check id, a Security Hub control id).
    check_id = models.CharField(max_length=128)
    # The scanner's title for an imported finding; our checks' titles live in the registry.
    title = models.CharField(max_length=512, blank=True)
    # The BPs the check evidenced when it ran: history stays true if the check's mapping changes later. Empty
    # for an imported finding no mapping table covers (kept and listed, never dropped).
    bp_codes = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=FindingStatus.choices)
    resource_arn = models.CharField(max_length=2048)
    region = models.CharField(max_length=32)
    # From GetCallerIdentity of the session that produced the finding, never from what the user typed; for an
    # import, from the file, and only if the workload is connected to that account.
    account_id = models.CharField(max_length=12)
    message = models.TextField()
    severity = models.CharField(max_length=8, choices=Severity.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the resource was seen in this state, and until when that observation counts as evidence; after it
    # the finding is shown as stale and feeds no suggestion.
    collected_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField(default=default_valid_until)
    # What the scanner reports for an imported finding (first and last time it saw the problem).
    first_seen_at = models.DateTimeField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # A newer import of the same source and account replaced this finding as evidence (kept as history).
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["run", "check_id", "account_id", "region", "resource_arn"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["PASS", "FAIL", "ERROR", "NOT_APPLICABLE"]), name="finding_status"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["HIGH", "MEDIUM", "LOW"]), name="finding_severity"
            ),
            models.CheckConstraint(
                condition=(Q(run__isnull=False) & Q(evidence_import__isnull=True) & Q(source="CHECKS"))
                | (Q(run__isnull=True) & Q(evidence_import__isnull=False) & ~Q(source="CHECKS")),
                name="finding_one_origin",
            ),
            models.CheckConstraint(
                condition=Q(valid_until__gte=models.F("collected_at")), name="finding_validity"
            ),
        ]
        indexes = [
            models.Index(fields=["run", "status"]),
            models.Index(fields=["run", "check_id"]),
            models.Index(fields=["evidence_import", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.check_id} {self.status} {self.resource_arn}"

    @property
    def is_imported(self) -> bool:
        return self.source != FindingSource.CHECKS

    @property
    def is_stale(self) -> bool:
        """Past its lifetime: shown, but no longer evidence."""
        return self.valid_until < timezone.now()
