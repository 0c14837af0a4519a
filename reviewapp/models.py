"""The review domain: teams, workloads, reviews and their answers, the improvement plan, milestones, the audit trail.

Writes go through services.py; models keep only simple derived values. Invariants that matter are database
constraints, not just form choices.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from questionnaire.models import BestPractice, Lens, LensVersion, Question

from .risk import NOT_IN_CATALOGUE


class Action(StrEnum):
    """What a person may do with a workload and everything under it. reviewapp.access decides who may do which."""

    VIEW = "view"
    # Answer reviews, edit workload fields, save milestones, start evidence collection.
    EDIT = "edit"
    # Change improvement items: owners, due dates, statuses, accepted risks.
    PLAN = "plan"
    # Archive the workload, connect AWS accounts or Jira, manage the team's members.
    ADMINISTER = "administer"


@dataclass(frozen=True)
class Grant:
    """The actions reviewapp.access granted one user on one object, kept on the instance it handed out (the
    `grant` attribute of Team, Workload and Review) so a page can show what the user may do without asking
    the database again. An instance fetched any other way carries None: access.may() then decides afresh."""

    actions: frozenset[Action] = frozenset()

    def allows(self, action: Action) -> bool:
        return action in self.actions


class User(AbstractUser):
    # Not a column: set per API request by api/authentication.py from a token limited to teams; access.py
    # then reaches only those teams' workloads. Empty: no limit.
    token_team_ids: frozenset[Any] = frozenset()

    class OrgRole(models.TextChoices):
        MEMBER = "", "Member"
        # Reads every workload and manages improvement plans across teams.
        SECURITY_LEAD = "SECURITY_LEAD", "Security lead"
        # Everything a security lead can, plus teams and people.
        ADMIN = "ADMIN", "Administrator"

    org_role = models.CharField(max_length=20, choices=OrgRole.choices, blank=True, default="")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(org_role__in=["", "SECURITY_LEAD", "ADMIN"]), name="user_org_role"
            ),
        ]

    @property
    def is_org_admin(self) -> bool:
        return self.org_role == self.OrgRole.ADMIN or self.is_superuser

    @property
    def reads_everything(self) -> bool:
        return self.is_org_admin or self.org_role == self.OrgRole.SECURITY_LEAD

    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    # Set by reviewapp.access on the instance it hands to a user (see Grant); not a database field.
    grant: Grant | None = None

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="team_unique_name_ci")]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    OWNER = "OWNER", "Owner"
    CONTRIBUTOR = "CONTRIBUTOR", "Contributor"
    VIEWER = "VIEWER", "Viewer"


def is_owner_role(role: str) -> bool:
    """A team keeps at least one owner: services/workloads.py asks this before a role change or removal."""
    return role == Role.OWNER


class MembershipQuerySet(models.QuerySet["Membership"]):
    def owners(self) -> MembershipQuerySet:
        return self.filter(role=Role.OWNER)


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=12, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["team", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_unique"),
            models.CheckConstraint(
                condition=Q(role__in=["OWNER", "CONTRIBUTOR", "VIEWER"]), name="membership_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_owner(self) -> bool:
        return is_owner_role(self.role)


class Environment(models.TextChoices):
    PRODUCTION = "PRODUCTION", "Production"
    PREPRODUCTION = "PREPRODUCTION", "Pre-production"


class Workload(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="workloads")
    name = models.CharField(max_length=100)
    description = models.TextField(max_length=250)
    environment = models.CharField(max_length=16, choices=Environment.choices)
    review_owner = models.CharField(max_length=255, help_text="Who is accountable for this review.")
    aws_regions = models.JSONField(default=list, blank=True)
    other_locations = models.CharField(max_length=250, blank=True)
    account_ids = models.JSONField(default=list, blank=True)
    architecture_url = models.URLField(max_length=2048, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    notes = models.TextField(max_length=2084, blank=True)
    tags = models.JSONField(default=dict, blank=True)
    is_archived = models.BooleanField(default=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by reviewapp.access on the instance it hands to a user (see Grant); not a database field.
    grant: Grant | None = None

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("team", Lower("name"), name="workload_unique_name_per_team"),
            models.CheckConstraint(
                condition=Q(environment__in=["PRODUCTION", "PREPRODUCTION"]), name="workload_environment"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Review(models.Model):
    """A workload reviewed against one lens; pins the lens version it was answered on."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="reviews")
    lens = models.ForeignKey(Lens, on_delete=models.PROTECT, related_name="+")
    lens_version = models.ForeignKey(LensVersion, on_delete=models.PROTECT, related_name="reviews")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by reviewapp.access on the instance it hands to a user (see Grant); not a database field.
    grant: Grant | None = None

    class Meta:
        ordering = ["workload", "created_at"]
        constraints = [models.UniqueConstraint(fields=["workload", "lens"], name="review_one_per_lens")]

    def __str__(self) -> str:
        return f"{self.workload} / {self.lens_version}"


class NotApplicableReason(models.TextChoices):
    OUT_OF_SCOPE = "OUT_OF_SCOPE", "Out of scope"
    BUSINESS_PRIORITIES = "BUSINESS_PRIORITIES", "Business priorities"
    ARCHITECTURE_CONSTRAINTS = "ARCHITECTURE_CONSTRAINTS", "Architecture constraints"
    OTHER = "OTHER", "Other"
    # The WA Tool lets a choice or question be not applicable without saying why; kept as such, never guessed.
    NONE = "NONE", "No reason given"


class Answer(models.Model):
    """One question's answer. `version` grows on every save: a stale save is refused, never applied."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    # BP codes, in catalogue order.
    selected = models.JSONField(default=list, blank=True)
    none_of_these = models.BooleanField(default=False)
    is_applicable = models.BooleanField(default=True)
    reason = models.CharField(max_length=32, choices=NotApplicableReason.choices, blank=True)
    # {BP code: reason} for best practices marked not applicable.
    choices_not_applicable = models.JSONField(default=dict, blank=True)
    # {BP code: free text}: a person's words about one best practice, such as why it does not apply.
    choice_notes = models.JSONField(default=dict, blank=True)
    notes = models.TextField(max_length=2084, blank=True)
    # Derived by risk.py on every save, stored so lists and the dashboard never recompute it.
    risk = models.CharField(max_length=16, default="UNANSWERED")
    version = models.PositiveIntegerField(default=1)
    updated_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "question__order"]
        constraints = [
            models.UniqueConstraint(fields=["review", "question"], name="answer_unique_question"),
            models.CheckConstraint(
                condition=Q(is_applicable=True) | ~Q(reason=""), name="answer_na_needs_reason"
            ),
            models.CheckConstraint(
                condition=Q(risk__in=["HIGH", "MEDIUM", "NONE", "NOT_APPLICABLE", "UNANSWERED"]),
                name="answer_risk",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.review_id}:{self.question_id} v{self.version}"


class WaToolLink(models.Model):
    """The AWS Well-Architected Tool workload a review syncs with: linked by id, or created in the tool."""

    review = models.OneToOneField(Review, on_delete=models.CASCADE, related_name="wa_tool_link")
    workload_arn = models.CharField(max_length=200)
    created_in_tool = models.BooleanField(default=False, help_text="True when this app created it there.")
    linked_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    linked_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.workload_arn


class ItemStatus(models.TextChoices):
    OPEN = "OPEN", "Open"
    IN_PROGRESS = "IN_PROGRESS", "In progress"
    DONE = "DONE", "Done"
    RISK_ACCEPTED = "RISK_ACCEPTED", "Risk accepted"


# Statuses that still mean work for someone: the plan, the dashboard, reminders and reports count these.
WORK_LEFT = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS)


class ImprovementItem(models.Model):
    """Tracking state of one missing best practice of a workload; kept (never deleted) when the BP is adopted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="improvement_items")
    lens = models.ForeignKey(Lens, on_delete=models.PROTECT, related_name="+")
    # The BP code is stable across lens versions, so tracking survives a lens upgrade.
    bp_code = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    # True while the BP is applicable and unselected in the current answers: the item is on the plan.
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="owned_items"
    )
    due_date = models.DateField(null=True, blank=True)
    ticket_url = models.URLField(max_length=2048, blank=True)
    notes = models.TextField(max_length=2000, blank=True)
    acceptance_justification = models.TextField(max_length=2000, blank=True)
    acceptance_expires_on = models.DateField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # Where the item stands on the plan, kept by services.answers.items_sync in the transaction that saves the
    # answer, so every plan list filters, sorts and pages in the database: the best practice's level in the
    # review's lens version ("" when it has none or left the lens), its question's stored risk, and
    # risk.plan_priority of the two (smaller is more urgent).
    level = models.CharField(max_length=10, blank=True)
    question_risk = models.CharField(max_length=16, default="UNANSWERED")
    priority = models.PositiveIntegerField(default=NOT_IN_CATALOGUE)
    # Grows on every change a person (or a job) makes: a save based on an older version is refused, as with
    # answers, so two people editing the same item never silently overwrite each other.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workload", "bp_code"]
        constraints = [
            models.UniqueConstraint(fields=["workload", "lens", "bp_code"], name="item_unique_bp"),
            models.CheckConstraint(
                condition=Q(status__in=["OPEN", "IN_PROGRESS", "DONE", "RISK_ACCEPTED"]), name="item_status"
            ),
            models.CheckConstraint(
                condition=~Q(status="RISK_ACCEPTED")
                | (~Q(acceptance_justification="") & Q(acceptance_expires_on__isnull=False)),
                name="item_acceptance_complete",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["status", "due_date"]),
            models.Index(fields=["workload", "is_active", "priority"], name="item_plan_order"),
            models.Index(fields=["is_active", "priority"], name="item_portfolio_order"),
        ]

    def __str__(self) -> str:
        return f"{self.bp_code} ({self.status})"


class Milestone(models.Model):
    """An immutable, hashed snapshot of a review. Nothing updates a milestone after it is created."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey(Workload, on_delete=models.CASCADE, related_name="milestones")
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="milestones")
    lens_version = models.ForeignKey(LensVersion, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    snapshot = models.JSONField()
    sha256 = models.CharField(max_length=64)
    # HMAC of the canonical snapshot with AUDIT_HMAC_KEY (empty on milestones saved before it existed): unlike
    # the SHA-256, it cannot be recomputed by someone who can only rewrite the database.
    fingerprint = models.CharField(max_length=64, blank=True, default="")
    fingerprint_key_id = models.CharField(max_length=32, blank=True, default="")
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["workload", "created_at"]
        constraints = [models.UniqueConstraint("workload", Lower("name"), name="milestone_unique_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # Written once: changing a stored milestone would falsify the history its hash vouches for.
        if not self._state.adding:
            raise ValueError(f"milestone {self.pk} already exists and cannot be changed")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)


class ReminderLog(models.Model):
    """One reminder e-mail per owner per day: the row is written before the mail is sent, so a re-run skips."""

    owner = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    date = models.DateField()
    item_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "owner"]
        constraints = [
            models.UniqueConstraint(fields=["owner", "date"], name="reminderlog_unique_owner_date")
        ]

    def __str__(self) -> str:
        return f"{self.owner_id} {self.date}"


class AuditEvent(models.Model):
    """Append-only trail of changes and sign-ins; each row's hash covers the previous row's hash."""

    at = models.DateTimeField(db_index=True)
    # No database constraint and no SET NULL: deleting a user must not rewrite (and so break) the hash chain.
    actor = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, db_constraint=False, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=150, blank=True, help_text="Username at the time, kept if deleted."
    )
    action = models.CharField(max_length=64, db_index=True, help_text="e.g. answer.update, auth.login_failed")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=255, blank=True)
    # Not a foreign key: the trail must outlive the workload it talks about.
    workload_id = models.UUIDField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # Which AUDIT_HMAC_KEY made `hash`; empty for entries from before the chain was keyed (plain SHA-256).
    key_id = models.CharField(max_length=32, blank=True, default="")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.object_repr}"

    # Append-only here and, on PostgreSQL, by a trigger (migration 0004_identity_and_append_only_audit).
    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError(f"audit entry {self.pk} already exists: the audit trail is append-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("the audit trail is append-only: entries are never deleted")


class ApiToken(models.Model):
    """A personal API token. Only a keyed hash of the secret is stored; the secret is shown once, at creation.

    See reviewapp.services.tokens for how the hash is made and reviewapp.api.authentication for how it is checked.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(
        max_length=8, help_text="The token's first characters, to recognise it in lists."
    )
    sha256 = models.CharField(max_length=64, unique=True, help_text="HMAC-SHA256 of the token.")
    read_only = models.BooleanField(default=False)
    # The user's organisation role when the token was made: a token outlives no role change (it would carry
    # rights, or skip a second factor, that nobody confirmed when it was created).
    issued_role = models.CharField(max_length=20, blank=True, default="")
    # When set, the token reaches only these teams' workloads (access.py), whatever its user may see.
    teams = models.ManyToManyField(Team, blank=True, related_name="+")
    # Set with `teams`, so an unlimited token (most of them) costs no query per request to find its limit.
    team_limited = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # Updated at most once a minute (together with the "api.token_use" audit entry), not on every request.
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["user", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


# The sign-in area keeps its models beside its code; importing them here makes them part of this app.
from .identity.models import (  # noqa: E402
    ExternalIdentity,
    LoginAttempt,
    MfaDevice,
    RecoveryCode,
    UserSession,
)
from .integrity.models import AuditCheckpoint  # noqa: E402

__all__ = [
    "Answer",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEvent",
    "BestPractice",
    "Environment",
    "ExternalIdentity",
    "ImprovementItem",
    "ItemStatus",
    "LoginAttempt",
    "Membership",
    "MfaDevice",
    "Milestone",
    "NotApplicableReason",
    "RecoveryCode",
    "ReminderLog",
    "Review",
    "Role",
    "Team",
    "User",
    "UserSession",
    "WaToolLink",
    "Workload",
]


class SavedFilter(models.Model):
    """A dashboard filter a person saved under a name, to reopen the dashboard or make a consolidated report
    with it. Private to its owner; the workloads it selects are always those the owner may see at the time."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(max_length=80)
    # DashboardFilters fields with a value: team, environment, risk, owner, tag.
    filters = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "name"]
        constraints = [models.UniqueConstraint("user", Lower("name"), name="savedfilter_unique_name")]

    def __str__(self) -> str:
        return self.name


# Report jobs live beside the code that renders them (reviewapp/reports).
# Jira connections and the links of improvement items to Jira issues live beside their code (reviewapp/jira).
# Risk acceptances with their approval and reminders live beside their code (reviewapp/acceptance).
from .acceptance.models import AcceptanceReminder, AcceptanceState, RiskAcceptance  # noqa: E402
from .jira.models import JiraConnection, JiraLink  # noqa: E402
from .reports.models import ReportJob  # noqa: E402

__all__ += [
    "AcceptanceReminder",
    "AcceptanceState",
    "JiraConnection",
    "JiraLink",
    "ReportJob",
    "RiskAcceptance",
    "SavedFilter",
]

# Review templates live beside their code (reviewapp/review_templates), like Jira.
from .review_templates.models import ReviewTemplate, ReviewTemplateVersion, TemplateUse  # noqa: E402

__all__ += ["ReviewTemplate", "ReviewTemplateVersion", "TemplateUse"]

# Workload profiles and the priorities derived from them (reviewapp/profiles).
from .profiles.models import ProfilePriority, WorkloadProfile  # noqa: E402

__all__ += ["ProfilePriority", "WorkloadProfile"]

# Workload shares (read only by access.py) and evidence files live in their topic modules.
from .attachments.models import EVIDENCE_TYPES, EvidenceFile  # noqa: E402
from .sharing.models import WorkloadShare  # noqa: E402

__all__ += ["EVIDENCE_TYPES", "EvidenceFile", "WorkloadShare"]
