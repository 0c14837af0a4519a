"""Review templates: keep them (each change of answers a new version), start a review from one, apply one to a
review without overwriting what people already answered unless they choose it. Every write is audited in its
transaction; bad input raises ValidationError and writes nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from questionnaire.models import Lens, LensVersion, Question

from ..audit import audit_record
from ..models import Review, ReviewTemplate, ReviewTemplateVersion, Team, TemplateUse, User, Workload
from ..selectors.templates import Change, template_preview, template_version
from .answers import _validate, answer_record, review_start

NAME_MAX_LENGTH = 100
DESCRIPTION_MAX_LENGTH = 1000


def _strings(value: Any, what: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError(f"{what} must be a list of best-practice codes.")
    return value


def _mapping(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
        raise ValidationError(f"{what} must map best-practice codes to text.")
    return value


def _entry_clean(question: Question, codes: list[str], raw: Any) -> dict:
    if not isinstance(raw, dict):
        raise ValidationError("must be an object with the answer's fields.")
    selected = _strings(raw.get("selected", []), "selected")
    choices_na = _mapping(raw.get("choices_not_applicable", {}), "choices_not_applicable")
    choice_notes = {
        code: text.strip()
        for code, text in _mapping(raw.get("choice_notes", {}), "choice_notes").items()
        if text.strip()
    }
    none_of_these = raw.get("none_of_these", False) is True
    applicable = raw.get("applicable", True) is not False
    reason = raw.get("reason", "") if isinstance(raw.get("reason", ""), str) else ""
    notes = raw.get("notes", "") if isinstance(raw.get("notes", ""), str) else ""
    _validate(question, codes, selected, none_of_these, applicable, reason, choices_na, choice_notes, notes)
    return {
        "selected": [code for code in codes if code in set(selected)],
        "none_of_these": none_of_these,
        "applicable": applicable,
        "reason": "" if applicable else reason,
        "choices_not_applicable": {code: choices_na[code] for code in codes if code in choices_na},
        "choice_notes": {code: choice_notes[code] for code in codes if code in choice_notes},
        "notes": notes,
    }


def template_entries_clean(version: LensVersion, raw: Any) -> dict[str, dict]:
    """`raw` (question code -> answer fields) checked against the lens version and put in catalogue order.
    Every problem is named with its question, and a single one refuses the whole set."""
    if not isinstance(raw, dict):
        raise ValidationError("The answers must be an object keyed by question code.")
    questions = Question.objects.filter(lens_version=version).prefetch_related("best_practices")
    by_code = {question.code: question for question in questions.order_by("order")}
    errors: list[str] = []
    cleaned: dict[str, dict] = {}
    for code in [code for code in raw if code not in by_code]:
        errors.append(f"{code} is not a question of {version.name}.")
    for code, question in by_code.items():
        if code not in raw:
            continue
        codes = [bp.code for bp in question.best_practices.all()]
        try:
            cleaned[code] = _entry_clean(question, codes, raw[code])
        except ValidationError as error:
            errors.extend(f"{code}: {message}" for message in error.messages)
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError("A template needs the answer to at least one question.")
    return cleaned


def _name_clean(name: str, description: str) -> tuple[str, str]:
    name = name.strip()
    if not name:
        raise ValidationError({"name": ["Give the template a name."]})
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError({"name": [f"Names are limited to {NAME_MAX_LENGTH} characters."]})
    if len(description) > DESCRIPTION_MAX_LENGTH:
        raise ValidationError(
            {"description": [f"Descriptions are limited to {DESCRIPTION_MAX_LENGTH} characters."]}
        )
    return name, description.strip()


def _summary(template: ReviewTemplate, entries: dict) -> dict:
    return {
        "name": template.name,
        "team": str(template.team_id) if template.team_id else None,
        "lens": template.lens.slug,
        "version": template.version,
        "questions": list(entries),
    }


@transaction.atomic
def template_create(
    *,
    actor: User,
    lens: Lens,
    team: Team | None,
    name: str,
    entries: Any,
    description: str = "",
) -> ReviewTemplate:
    """A template of `team` (None: the organisation's) with its first version. The caller has decided, through
    access.template_teams_for, that `actor` may keep templates there."""
    name, description = _name_clean(name, description)
    version = lens.current_version()
    if version is None:
        raise ValidationError(f"The lens {lens.name} has no version loaded.")
    cleaned = template_entries_clean(version, entries)
    template = ReviewTemplate(team=team, lens=lens, name=name, description=description, created_by=actor)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ValidationError({"name": [f"There is already a template named {name} here."]}) from None
    ReviewTemplateVersion.objects.create(template=template, number=1, entries=cleaned, created_by=actor)
    audit_record(actor=actor, action="template.create", obj=template, after=_summary(template, cleaned))
    return template


@transaction.atomic
def template_update(
    *, template: ReviewTemplate, actor: User, name: str, entries: Any, description: str = ""
) -> ReviewTemplate:
    """New answers make a new version (the old one stays, for the reviews that took it); a new name or
    description alone does not."""
    name, description = _name_clean(name, description)
    template = ReviewTemplate.objects.select_for_update().select_related("lens").get(pk=template.pk)
    current = template_version(template)
    version = template.lens.current_version()
    if version is None:  # Versions are never deleted, so only a broken catalogue gets here.
        raise ValidationError(f"The lens {template.lens.name} has no version loaded.")
    cleaned = template_entries_clean(version, entries)
    before = _summary(template, current.entries)
    template.name, template.description = name, description
    if cleaned != current.entries:
        template.version += 1
        ReviewTemplateVersion.objects.create(
            template=template, number=template.version, entries=cleaned, created_by=actor
        )
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        raise ValidationError({"name": [f"There is already a template named {name} here."]}) from None
    audit_record(
        actor=actor, action="template.update", obj=template, before=before, after=_summary(template, cleaned)
    )
    return template


@dataclass
class TemplateApplied:
    version: int
    filled: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    # Answered differently and not chosen: left as the person answered them.
    kept: list[str] = field(default_factory=list)


def lens_mismatch(review: Review, template: ReviewTemplate) -> str:
    """Why `template` cannot be applied to `review` ("" when it can): a template answers one lens only."""
    if template.lens_id == review.lens_id:
        return ""
    return (
        f"The template {template.name} is for the lens {template.lens.name}, and this review is on "
        f"{review.lens.name}: choose a template made for {review.lens.name}."
    )


@transaction.atomic
def template_apply(
    *, review: Review, template: ReviewTemplate, actor: User, overwrite: Iterable[str] = ()
) -> TemplateApplied:
    """Fill the review's unanswered questions from the template's newest version; questions already answered
    differently are replaced only when their code is in `overwrite`. A template for another lens is refused.
    A question saved by someone else since the preview raises AnswerConflict, and nothing is written."""
    refusal = lens_mismatch(review, template)
    if refusal:
        raise ValidationError(refusal)
    version = template_version(template)
    chosen = set(overwrite)
    applied = TemplateApplied(version=version.number)
    for row in template_preview(review, version):
        if row.change == Change.REPLACES and row.code not in chosen:
            applied.kept.append(row.code)
            continue
        if row.change not in (Change.FILLS, Change.REPLACES) or row.answer is None or row.question is None:
            continue
        entry = row.entry
        answer_record(
            review=review,
            question=row.question,
            actor=actor,
            base_version=row.answer.version,
            selected=entry["selected"],
            none_of_these=entry["none_of_these"],
            is_applicable=entry["applicable"],
            reason=entry["reason"],
            choices_not_applicable=entry["choices_not_applicable"],
            choice_notes=entry["choice_notes"],
            notes=entry["notes"],
        )
        (applied.filled if row.change == Change.FILLS else applied.replaced).append(row.code)
    TemplateUse.objects.update_or_create(
        review=review, template=template, defaults={"version": version.number, "applied_by": actor}
    )
    audit_record(
        actor=actor,
        action="template.apply",
        obj=template,
        workload_id=review.workload_id,
        object_repr=f"{template.name} v{version.number} on {review.workload.name}",
        after={
            "review": str(review.pk),
            "version": version.number,
            "filled": applied.filled,
            "replaced": applied.replaced,
            "kept": applied.kept,
        },
    )
    return applied


@transaction.atomic
def review_start_from_template(
    *, workload: Workload, actor: User, template: ReviewTemplate
) -> tuple[Review, TemplateApplied]:
    """A new review on the template's lens, pre-filled from it: every answer in it is the template's."""
    review = review_start(workload=workload, actor=actor, lens=template.lens)
    return review, template_apply(review=review, template=template, actor=actor)
