"""A workload shared with another team: that team's members get a role on it until the share expires.

Only reviewapp/access.py reads shares to decide anything. A share is active while `expires_on` is today or
later, so an expired share grants nothing the moment its day is over: no job has to remove it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


class WorkloadShare(models.Model):
    class ShareRole(models.TextChoices):
        VIEWER = "VIEWER", "Viewer"
        CONTRIBUTOR = "CONTRIBUTOR", "Contributor"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workload = models.ForeignKey("reviewapp.Workload", on_delete=models.CASCADE, related_name="shares")
    team = models.ForeignKey("reviewapp.Team", on_delete=models.CASCADE, related_name="workload_shares")
    role = models.CharField(max_length=12, choices=ShareRole.choices)
    # The last day the share grants its role.
    expires_on = models.DateField()
    created_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["workload", "team__name"]
        constraints = [
            models.UniqueConstraint(fields=["workload", "team"], name="workloadshare_one_per_team"),
            models.CheckConstraint(
                condition=Q(role__in=["VIEWER", "CONTRIBUTOR"]), name="workloadshare_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.workload} shared with {self.team} ({self.role})"
