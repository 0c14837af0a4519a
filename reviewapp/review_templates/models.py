"""Review templates: answers, not-applicable marks and notes for some questions of one lens, kept by a team or,
when `team` is empty, by the organisation (its administrators). Every change of the answers is a new, immutable
version; a review remembers which version of each template it took (TemplateUse), so a newer version can be
offered to it and never pushed into it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

if TYPE_CHECKING:
    from ..models import Grant


class ReviewTemplate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Empty: the organisation's template, kept by administrators and offered to every team.
    team = models.ForeignKey(
        "reviewapp.Team", on_delete=models.CASCADE, null=True, blank=True, related_name="review_templates"
    )
    lens = models.ForeignKey("questionnaire.Lens", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    description = models.TextField(max_length=1000, blank=True)
    # The number of the newest ReviewTemplateVersion: what applying the template uses.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Set by reviewapp.access on the instance it hands to a user (see models.Grant); not a database field.
    grant: Grant | None = None

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("team", Lower("name"), name="template_unique_name_per_team"),
            models.UniqueConstraint(
                Lower("name"), condition=Q(team__isnull=True), name="template_unique_name_organisation"
            ),
            models.CheckConstraint(condition=Q(version__gte=1), name="template_version_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class ReviewTemplateVersion(models.Model):
    """One version of a template's answers, written once.

    `entries` maps a question code to {"selected": [BP codes], "none_of_these": bool, "applicable": bool,
    "reason": str, "choices_not_applicable": {BP code: reason}, "choice_notes": {BP code: text}, "notes": str};
    services/templates.py validates it against the lens before it is stored."""

    template = models.ForeignKey(ReviewTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    entries = models.JSONField(default=dict)
    created_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template", "number"]
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="templateversion_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.template_id} v{self.number}"

    def save(self, *args, **kwargs) -> None:
        # Reviews record the version they took: rewriting it would change what they say they used.
        if not self._state.adding:
            raise ValueError(f"template version {self.pk} already exists and cannot be changed")
        super().save(*args, **kwargs)


class TemplateUse(models.Model):
    """The version of a template a review last took answers from."""

    review = models.ForeignKey("reviewapp.Review", on_delete=models.CASCADE, related_name="template_uses")
    template = models.ForeignKey(ReviewTemplate, on_delete=models.CASCADE, related_name="uses")
    version = models.PositiveIntegerField()
    applied_by = models.ForeignKey("reviewapp.User", on_delete=models.SET_NULL, null=True, related_name="+")
    applied_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["review", "template__name"]
        constraints = [models.UniqueConstraint(fields=["review", "template"], name="templateuse_unique")]

    def __str__(self) -> str:
        return f"{self.review_id} took {self.template_id} v{self.version}"
