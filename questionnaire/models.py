"""The lens catalogue: versioned, read-only data that reviews pin.

A Lens (the Security pillar, or a custom lens) has LensVersions; a version's pillars, questions, best practices and
risk rules are written once when the version is loaded and never rewritten, so a finished review always reads the
catalogue it was answered against.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def max_length(model: type[models.Model], name: str) -> int:
    """The max_length of `model`'s field `name` (any app's model), so imports, forms, serializers and services
    refuse what the database would. Here because the catalogue is the lowest layer: every app may import it."""
    limit = getattr(model._meta.get_field(name), "max_length", None)
    if not isinstance(limit, int):
        raise TypeError(f"{model.__name__}.{name} has no max_length")
    return limit


class Level(models.TextChoices):
    """The risk of a best practice when it is not established."""

    HIGH = "HIGH", "High"
    MEDIUM = "MEDIUM", "Medium"
    LOW = "LOW", "Low"


class RuleRisk(models.TextChoices):
    HIGH = "HIGH", "High risk"
    MEDIUM = "MEDIUM", "Medium risk"
    NONE = "NONE", "No risk"


class Lens(models.Model):
    class Kind(models.TextChoices):
        BUILTIN = "BUILTIN", "Built-in"
        CUSTOM = "CUSTOM", "Custom"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "lenses"
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["BUILTIN", "CUSTOM"]), name="lens_kind_valid")
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def current_version(self) -> LensVersion | None:
        return self.versions.order_by("-number").first()


class LensVersion(models.Model):
    class RiskModel(models.TextChoices):
        # HIGH if any applicable High BP is missing, MEDIUM if any Medium one is (the built-in lens).
        LEVELS = "LEVELS", "By best-practice risk level"
        # Ordered riskRules conditions, first match wins (custom lenses).
        RULES = "RULES", "Explicit risk rules"

    lens = models.ForeignKey(Lens, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(help_text="1, 2, 3... in load order; the highest is current.")
    label = models.CharField(max_length=64, help_text="The version the file declares, e.g. 2025.1.")
    name = models.CharField(max_length=128)
    description = models.TextField(blank=True)
    risk_model = models.CharField(max_length=10, choices=RiskModel.choices)
    content_sha256 = models.CharField(
        max_length=64, help_text="SHA-256 of the canonical content; detects changes."
    )
    # The WA Tool's LensVersion values this catalogue matches (e.g. "2024-06-27"); empty for a lens the tool
    # does not have. Mapping data like choice aliases: kept up to date on an existing version.
    tool_lens_versions = models.JSONField(default=list, blank=True)
    # Rules that turn a workload's profile into priorities (format: docs/profiles.md), validated on load.
    profile_rules = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lens", "number"]
        constraints = [
            models.UniqueConstraint(fields=["lens", "number"], name="lensversion_unique_number"),
            models.UniqueConstraint(fields=["lens", "content_sha256"], name="lensversion_unique_content"),
            models.CheckConstraint(condition=Q(number__gte=1), name="lensversion_number_positive"),
            models.CheckConstraint(
                condition=Q(risk_model__in=["LEVELS", "RULES"]), name="lensversion_risk_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} v{self.number} ({self.label})"

    @property
    def is_current(self) -> bool:
        return not LensVersion.objects.filter(lens_id=self.lens_id, number__gt=self.number).exists()


class Pillar(models.Model):
    lens_version = models.ForeignKey(LensVersion, on_delete=models.CASCADE, related_name="pillars")
    code = models.CharField(max_length=64)
    name = models.CharField(max_length=128)
    notes = models.TextField(blank=True, help_text="A custom lens's notes on the pillar.")
    order = models.PositiveIntegerField()

    class Meta:
        ordering = ["lens_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["lens_version", "code"], name="pillar_unique_code"),
            models.UniqueConstraint(fields=["lens_version", "order"], name="pillar_unique_order"),
        ]

    def __str__(self) -> str:
        return self.name


class Question(models.Model):
    lens_version = models.ForeignKey(LensVersion, on_delete=models.CASCADE, related_name="questions")
    pillar = models.ForeignKey(Pillar, on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(max_length=64, help_text="Our id, e.g. SEC3.")
    wa_id = models.CharField(max_length=128, help_text="The WA Tool QuestionId, e.g. permissions.")
    title = models.CharField(max_length=512)
    description = models.TextField(blank=True)
    area = models.CharField(max_length=128, blank=True, help_text="Best-practice area, e.g. Detection.")
    order = models.PositiveIntegerField(help_text="Position in the whole lens version, from 1.")
    helpful_url = models.URLField(max_length=2048, blank=True)
    helpful_text = models.TextField(blank=True, help_text="The text of a custom lens's helpful resource.")

    class Meta:
        ordering = ["lens_version", "order"]
        constraints = [
            models.UniqueConstraint(fields=["lens_version", "code"], name="question_unique_code"),
            models.UniqueConstraint(fields=["lens_version", "wa_id"], name="question_unique_wa_id"),
            models.UniqueConstraint(fields=["lens_version", "order"], name="question_unique_order"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class BestPractice(models.Model):
    """A best practice; in the WA Tool's words, a question's choice."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="best_practices")
    code = models.CharField(
        max_length=64, help_text="Our id, e.g. SEC03-BP02 (the choice id for custom lenses)."
    )
    choice_id = models.CharField(max_length=128, help_text="The WA Tool ChoiceId we send by default.")
    # Other ids the WA Tool has used for this practice: accepted on import; on export the id the tool itself
    # lists for the question wins. The AWS doc page is `doc_url`, never built from these ids.
    choice_aliases = models.JSONField(default=list, blank=True)
    title = models.CharField(max_length=512)
    # Custom-lens choices carry no level of their own: their question's risk comes from explicit rules.
    level = models.CharField(max_length=10, choices=Level.choices, blank=True)
    description = models.TextField(blank=True)
    guidance = models.TextField(blank=True, help_text="What 'established' looks like.")
    verification = models.TextField(blank=True, help_text="How a reviewer verifies it.")
    improvement = models.TextField(blank=True, help_text="What to do first when it is missing.")
    doc_url = models.URLField(max_length=2048, blank=True)
    improvement_url = models.URLField(max_length=2048, blank=True)
    # A custom lens's additionalResources: [{"type": HELPFUL_RESOURCE | IMPROVEMENT_PLAN, "text", "url"}].
    resources = models.JSONField(default=list, blank=True)
    order = models.PositiveIntegerField(help_text="Position within the question, from 1.")

    class Meta:
        ordering = ["question", "order"]
        constraints = [
            models.UniqueConstraint(fields=["question", "code"], name="bestpractice_unique_code"),
            models.UniqueConstraint(fields=["question", "choice_id"], name="bestpractice_unique_choice_id"),
            models.UniqueConstraint(fields=["question", "order"], name="bestpractice_unique_order"),
            models.CheckConstraint(
                condition=Q(level__in=["HIGH", "MEDIUM", "LOW", ""]), name="bestpractice_level"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class RiskRule(models.Model):
    """One riskRules entry of a custom lens: the first rule whose condition holds gives the question's risk."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="risk_rules")
    order = models.PositiveIntegerField()
    condition = models.CharField(max_length=2000, help_text="e.g. choice_a && !choice_b, or default")
    risk = models.CharField(max_length=10, choices=RuleRisk.choices)

    class Meta:
        ordering = ["question", "order"]
        constraints = [
            models.UniqueConstraint(fields=["question", "order"], name="riskrule_unique_order"),
            models.CheckConstraint(
                condition=Q(risk__in=["HIGH", "MEDIUM", "NONE"]), name="riskrule_risk_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.condition} -> {self.risk}"
