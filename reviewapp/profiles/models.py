"""A workload's profile (its answers to the business-context questions of questionnaire/profiles.py) and the
priorities the lens's profile rules derive from it.

The priorities are stored, one row per prioritised question or practice, whenever the profile or the workload's
reviews change, so the plan and the dashboard can rank by them in SQL (an annotated subquery in ORDER BY)
instead of evaluating rules per row in Python."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class WorkloadProfile(models.Model):
    workload = models.OneToOneField("reviewapp.Workload", on_delete=models.CASCADE, related_name="profile")
    # {question key: true/false} for the keys of questionnaire.profiles.PROFILE_QUESTIONS; a missing key is
    # unanswered.
    answers = models.JSONField(default=dict, blank=True)
    updated_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.workload_id}"


class ProfilePriority(models.Model):
    """One question (kind QUESTION, code SEC5) or practice (PRACTICE, SEC05-BP01) of a lens that the workload's
    profile prioritises; `priority` 2 is high, 1 elevated. Absent rows mean no priority (0)."""

    class Kind(models.TextChoices):
        QUESTION = "QUESTION", "Question"
        PRACTICE = "PRACTICE", "Best practice"

    workload = models.ForeignKey(
        "reviewapp.Workload", on_delete=models.CASCADE, related_name="profile_priorities"
    )
    lens = models.ForeignKey("questionnaire.Lens", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    code = models.CharField(max_length=64)
    priority = models.PositiveSmallIntegerField()
    # Why: the rules that matched, in the lens file's words, to show beside the mark.
    reasons = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["workload", "lens", "kind", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["workload", "lens", "kind", "code"], name="profilepriority_unique"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["QUESTION", "PRACTICE"]), name="profilepriority_kind"
            ),
            models.CheckConstraint(condition=Q(priority__in=[1, 2]), name="profilepriority_level"),
        ]

    def __str__(self) -> str:
        return f"{self.code} priority {self.priority}"
