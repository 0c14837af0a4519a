"""Risk acceptances of improvement items and the reminder e-mails sent about them."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q

from ..models import ImprovementItem, User


class AcceptanceState(models.TextChoices):
    PENDING = "PENDING", "Requested"
    APPROVED = "APPROVED", "Approved"
    REJECTED = "REJECTED", "Rejected"
    EXPIRED = "EXPIRED", "Expired"
    REVOKED = "REVOKED", "Revoked"


# While one of these, the acceptance is current: an item has at most one at a time.
OPEN_STATES = (AcceptanceState.PENDING, AcceptanceState.APPROVED)


class RiskAcceptance(models.Model):
    """One request to accept the risk of leaving a best practice out, and what became of it.

    Only an APPROVED acceptance puts its item in RISK_ACCEPTED; a pending one changes nothing in the risk picture.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.ForeignKey(ImprovementItem, on_delete=models.CASCADE, related_name="acceptances")
    state = models.CharField(max_length=10, choices=AcceptanceState.choices, default=AcceptanceState.PENDING)
    # The practice's risk level when requested: it set the expiry limit and who may approve.
    level = models.CharField(max_length=10)
    justification = models.TextField(max_length=2000)
    compensating_controls = models.TextField(max_length=2000, blank=True)
    expires_on = models.DateField()
    requested_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(max_length=2000, blank=True)
    # Who ended an approved acceptance early (revoked) and why; None with a date for an expiry.
    ended_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(max_length=2000, blank=True)

    class Meta:
        ordering = ["item", "-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["item"], condition=Q(state__in=["PENDING", "APPROVED"]), name="acceptance_one_open"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["PENDING", "APPROVED", "REJECTED", "EXPIRED", "REVOKED"]),
                name="acceptance_state",
            ),
            models.CheckConstraint(
                condition=Q(state="PENDING") | Q(decided_at__isnull=False), name="acceptance_decided"
            ),
        ]
        indexes = [models.Index(fields=["state", "expires_on"])]

    def __str__(self) -> str:
        return f"{self.item.bp_code} acceptance ({self.state})"


class AcceptanceReminder(models.Model):
    """One e-mail per acceptance and kind: the row commits with the send, so a second run skips it."""

    class Kind(models.TextChoices):
        DAYS_14 = "D14", "14 days before expiry"
        DAYS_1 = "D1", "1 day before expiry"
        EXPIRED = "EXPIRED", "At expiry"

    acceptance = models.ForeignKey(RiskAcceptance, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    class Meta:
        ordering = ["acceptance", "sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["acceptance", "kind"], name="acceptance_reminder_once"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} reminder of {self.acceptance_id}"
