"""A team's Jira connection and the links of improvement items to Jira issues.

The API token is stored encrypted with the field encryption (identity/crypto.py, FIELD_ENCRYPTION_KEY) and is
never shown back. A link is unique per item (nothing is created twice) and per issue within a connection; it
carries the last sync's outcome so failures are shown on the item they concern.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class JiraConnection(models.Model):
    class Deployment(models.TextChoices):
        # Jira Cloud: e-mail address + API token, HTTP basic authentication.
        CLOUD = "CLOUD", "Jira Cloud"
        # Jira Data Center / Server: a personal access token, sent as a bearer token.
        DATA_CENTER = "DATA_CENTER", "Jira Data Center"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    team = models.OneToOneField("reviewapp.Team", on_delete=models.CASCADE, related_name="jira_connection")
    site_url = models.URLField(max_length=500)
    project_key = models.CharField(max_length=32)
    deployment = models.CharField(max_length=12, choices=Deployment.choices, default=Deployment.CLOUD)
    email = models.EmailField(blank=True, help_text="Jira Cloud only: the account the API token belongs to.")
    token_encrypted = models.TextField(editable=False)
    issue_type = models.CharField(max_length=100, default="Task")
    # Which item facts fill which Jira fields: {"due_date": "duedate", "level": "priority", ...}.
    field_mapping = models.JSONField(default=dict, blank=True)
    # Set by a 429 answer: the scheduled sync leaves this connection alone until then.
    paused_until = models.DateTimeField(null=True, blank=True)
    last_sync_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(deployment__in=["CLOUD", "DATA_CENTER"]), name="jiraconnection_deployment"
            ),
            models.CheckConstraint(
                condition=~Q(deployment="CLOUD") | ~Q(email=""), name="jiraconnection_cloud_needs_email"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.project_key} on {self.site_url}"

    def browse_url(self, issue_key: str) -> str:
        return f"{self.site_url.rstrip('/')}/browse/{issue_key}"


class JiraLink(models.Model):
    """One improvement item's Jira issue: asked for (no key yet), created or found, linked, kept in step."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    item = models.OneToOneField(
        "reviewapp.ImprovementItem", on_delete=models.CASCADE, related_name="jira_link"
    )
    connection = models.ForeignKey(JiraConnection, on_delete=models.CASCADE, related_name="links")
    # Empty until the issue is created (or found by its item label); the sync retries until it is.
    issue_key = models.CharField(max_length=64, blank=True)
    issue_id = models.CharField(max_length=32, blank=True)
    jira_status = models.CharField(max_length=100, blank=True)
    # Jira's status category is "done": the item waits for a person to confirm (or dismiss) it.
    jira_done = models.BooleanField(default=False)
    done_dismissed = models.BooleanField(default=False)
    # The item's status the last sync saw and told Jira about: a change from it is what the sync reports.
    synced_item_status = models.CharField(max_length=16, blank=True)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    # The last failure, for the item's row; empty when the last attempt worked.
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker holds the link while it talks to Jira, so two workers never create the same issue.
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "issue_key"],
                condition=~Q(issue_key=""),
                name="jiralink_unique_issue",
            ),
        ]
        indexes = [models.Index(fields=["next_attempt_at"])]

    def __str__(self) -> str:
        return self.issue_key or f"pending issue for {self.item_id}"

    @property
    def pending(self) -> bool:
        return not self.issue_key

    @property
    def awaits_confirmation(self) -> bool:
        """Jira says done, the item still has work left, and nobody has decided yet."""
        return self.jira_done and not self.done_dismissed and self.item.status in ("OPEN", "IN_PROGRESS")

    @property
    def issue_url(self) -> str:
        return self.connection.browse_url(self.issue_key) if self.issue_key else ""
