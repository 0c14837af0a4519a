"""Starting reviews and recording answers, with optimistic concurrency and the improvement plan kept in step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from questionnaire.models import Lens, Question
from questionnaire.rating import Level, Risk

from ..audit import audit_record
from ..models import Answer, ImprovementItem, ItemStatus, NotApplicableReason, Review, User, Workload
from ..risk import NOT_IN_CATALOGUE, AnswerState, answer_state, missing_choices, plan_priority, question_risk
from ..specs import VersionSpecs, version_specs

# The WA Tool's limit for a choice's notes; ours is the same so a sync never truncates.
CHOICE_NOTE_MAX_LENGTH = 250


class AnswerConflict(Exception):
    """The answer changed since the user loaded it; `current` is what is stored now."""

    def __init__(self, current: Answer) -> None:
        super().__init__(f"answer {current.pk} is at version {current.version}")
        self.current = current


def answer_snapshot(answer: Answer) -> dict:
    """The user-visible content of an answer: what the audit trail and conflict messages compare."""
    return {
        "selected": list(answer.selected),
        "none_of_these": answer.none_of_these,
        "is_applicable": answer.is_applicable,
        "reason": answer.reason,
        "choices_not_applicable": dict(answer.choices_not_applicable),
        "choice_notes": dict(answer.choice_notes),
        "notes": answer.notes,
        "risk": answer.risk,
        "version": answer.version,
    }


@transaction.atomic
def review_start(*, workload: Workload, actor: User, lens: Lens | None = None) -> Review:
    """A review of `workload` on the current version of `lens`, with one unanswered Answer per question."""
    lens = lens or Lens.objects.get(slug=settings.DEFAULT_LENS_SLUG)
    version = lens.current_version()
    if version is None:
        raise ValidationError(f"The lens {lens.name} has no version loaded.")
    if Review.objects.filter(workload=workload, lens=lens).exists():
        raise ValidationError(f"{workload.name} already has a review on {lens.name}.")
    review = Review.objects.create(workload=workload, lens=lens, lens_version=version, created_by=actor)
    Answer.objects.bulk_create(
        Answer(review=review, question=question, updated_by=None)
        for question in Question.objects.filter(lens_version=version)
    )
    audit_record(
        actor=actor,
        action="review.start",
        obj=review,
        workload_id=workload.pk,
        after={"lens": lens.slug, "lens_version": version.number},
    )
    return review


def _contradictions(
    selected: list[str], none_of_these: bool, is_applicable: bool, choices_not_applicable: dict[str, str]
) -> dict[str, list[str]]:
    """An answer must mean one thing: each combination below would say yes and no at once."""
    errors: dict[str, list[str]] = {}
    if not is_applicable and (selected or none_of_these):
        what = "best practices are selected" if selected else '"None of these" is chosen'
        errors["is_applicable"] = [
            f"The question cannot be marked as not applying while {what}: clear them first, "
            "or keep the question applicable."
        ]
    if none_of_these and selected:
        errors["none_of_these"] = [
            '"None of these" cannot be combined with selected best practices: clear them first.'
        ]
    both = set(selected) & set(choices_not_applicable)
    if both:
        errors["choices_not_applicable"] = [
            f"{', '.join(sorted(both))} cannot be both selected and not applicable."
        ]
    return errors


def _validate(
    question: Question,
    codes: list[str],
    selected: list[str],
    none_of_these: bool,
    is_applicable: bool,
    reason: str,
    choices_not_applicable: dict[str, str],
    choice_notes: dict[str, str],
    notes: str,
) -> None:
    errors = _contradictions(selected, none_of_these, is_applicable, choices_not_applicable)
    unknown = [code for code in [*selected, *choices_not_applicable, *choice_notes] if code not in codes]
    if unknown:
        errors.setdefault("selected", []).append(
            f"{', '.join(sorted(set(unknown)))} is not a best practice of {question.code}."
        )
    valid_reasons = set(NotApplicableReason.values)
    if not is_applicable and reason not in valid_reasons:
        errors.setdefault("reason", []).append("Choose why the question does not apply.")
    bad_reasons = [code for code, why in choices_not_applicable.items() if why not in valid_reasons]
    if bad_reasons:
        errors.setdefault("choices_not_applicable", []).append(
            f"Choose why {', '.join(sorted(bad_reasons))} does not apply."
        )
    long_notes = sorted(code for code, text in choice_notes.items() if len(text) > CHOICE_NOTE_MAX_LENGTH)
    if long_notes:
        errors.setdefault("choice_notes", []).append(
            f"The note on {', '.join(long_notes)} is limited to {CHOICE_NOTE_MAX_LENGTH} characters."
        )
    if len(notes) > settings.ANSWER_NOTES_MAX_LENGTH:
        errors.setdefault("notes", []).append(
            f"Notes are limited to {settings.ANSWER_NOTES_MAX_LENGTH:,} characters (you have {len(notes):,})."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def answer_record(
    *,
    review: Review,
    question: Question,
    actor: User,
    base_version: int,
    selected: Iterable[str] = (),
    none_of_these: bool = False,
    is_applicable: bool = True,
    reason: str = "",
    choices_not_applicable: dict[str, str] | None = None,
    choice_notes: dict[str, str] | None = None,
    notes: str = "",
) -> Answer:
    """Save an answer the user edited from `base_version`; a newer stored version raises AnswerConflict.

    An answer that contradicts itself (practices selected with "None of these", or on a question that does
    not apply; a practice both selected and not applicable) is refused with a ValidationError naming why,
    for the web form, the API and imports alike.
    """
    specs = version_specs(review.lens_version_id)
    spec = specs.by_question_id[question.pk]
    codes = [choice.code for choice in spec.choices]
    selected_set = set(selected)
    selected_list = [code for code in codes if code in selected_set] + sorted(selected_set - set(codes))
    choices_na = dict(choices_not_applicable or {})
    # An empty note is no note: a cleared field must not leave a key behind.
    notes_by_code = {code: text.strip() for code, text in (choice_notes or {}).items() if text.strip()}
    _validate(
        question, codes, selected_list, none_of_these, is_applicable, reason, choices_na, notes_by_code, notes
    )

    answer = Answer.objects.select_for_update().filter(review=review, question=question).first()
    if answer is None:
        # A question added by a lens upgrade after the review started has no row yet.
        try:
            with transaction.atomic():
                answer = Answer.objects.create(review=review, question=question, version=1)
        except IntegrityError:
            answer = Answer.objects.select_for_update().get(review=review, question=question)
    before = answer_snapshot(answer)
    wanted = {
        "selected": selected_list,
        "none_of_these": none_of_these,
        "is_applicable": is_applicable,
        "reason": "" if is_applicable else reason,
        "choices_not_applicable": {code: choices_na[code] for code in codes if code in choices_na},
        "choice_notes": {code: notes_by_code[code] for code in codes if code in notes_by_code},
        "notes": notes,
    }
    if all(before[key] == value for key, value in wanted.items()):
        # Saving what is already stored changes nothing, even from a stale page: no conflict, no new version.
        return answer
    if answer.version != base_version:
        raise AnswerConflict(answer)

    # Per-BP reasons are kept even while the whole question is N/A, so un-marking it restores them.
    for key, value in wanted.items():
        setattr(answer, key, value)
    state = answer_state(answer, codes)
    answer.risk = question_risk(spec, state)
    answer.version += 1
    answer.updated_by = actor
    answer.save()
    audit_record(
        actor=actor,
        action="answer.update",
        obj=answer,
        object_repr=f"{review.workload.name} {question.code}",
        workload_id=review.workload_id,
        before=before,
        after=answer_snapshot(answer),
    )
    items_sync(review=review, question=question, state=state, actor=actor)
    return answer


def items_sync(*, review: Review, question: Question, state: AnswerState, actor: User | None) -> None:
    """Bring the workload's improvement items for one question in line with its answer.

    Missing BPs are active items (created OPEN, or reopened if an earlier adoption had closed them); a BP that
    is selected again resolves its item; N/A BPs leave the plan. Items are never deleted, so history is kept.
    """
    specs = version_specs(review.lens_version_id)
    spec = specs.by_question_id[question.pk]
    risk = question_risk(spec, state)
    missing = {choice.code for choice in missing_choices(spec, state)}
    codes = [choice.code for choice in spec.choices]
    items = {
        item.bp_code: item
        for item in ImprovementItem.objects.select_for_update().filter(
            workload_id=review.workload_id, lens_id=review.lens_id, bp_code__in=codes
        )
    }
    for code in codes:
        item = items.get(code)
        if code in missing:
            if item is None:
                item = ImprovementItem.objects.create(
                    workload_id=review.workload_id,
                    lens_id=review.lens_id,
                    bp_code=code,
                    **item_placement(specs, code, risk),
                )
                audit_record(
                    actor=actor,
                    action="item.open",
                    obj=item,
                    workload_id=review.workload_id,
                    after={"status": item.status},
                )
            elif not item.is_active or item.status == ItemStatus.DONE:
                before = {"status": item.status, "is_active": item.is_active}
                item.is_active = True
                if item.status == ItemStatus.DONE:
                    item.status = ItemStatus.OPEN
                item.version += 1
                item.save(update_fields=["is_active", "status", "version", "updated_at"])
                audit_record(
                    actor=actor,
                    action="item.reopen",
                    obj=item,
                    workload_id=review.workload_id,
                    before=before,
                    after={"status": item.status, "is_active": True},
                )
        elif item is not None and item.is_active:
            before = {"status": item.status, "is_active": True}
            item.is_active = False
            adopted = code in state.selected and state.answered and not state.question_not_applicable
            if adopted:
                item.status = ItemStatus.DONE
            item.version += 1
            item.save(update_fields=["is_active", "status", "version", "updated_at"])
            audit_record(
                actor=actor,
                action="item.resolve" if adopted else "item.withdraw",
                obj=item,
                workload_id=review.workload_id,
                before=before,
                after={"status": item.status, "is_active": False},
            )
    items_place(list(items.values()), specs, risk)


def item_placement(specs: VersionSpecs, code: str, risk: Risk | str) -> dict[str, Any]:
    """The stored fields that place an item on the plan (see ImprovementItem.priority), for `code` in the
    lens version of `specs` when its question's risk is `risk`."""
    entry = specs.bp_index.get(code)
    if entry is None:
        return dict(OFF_THE_LENS)
    _question_id, level, position = entry
    return {
        "level": level,
        "question_risk": Risk(risk).value,
        "priority": plan_priority(Risk(risk), Level(level) if level else None, position),
    }


def items_place(items: list[ImprovementItem], specs: VersionSpecs, risk: Risk | str) -> None:
    """Store each item's placement where it changed (one query, none when nothing did)."""
    changed = []
    for item in items:
        placement = item_placement(specs, item.bp_code, risk)
        if any(getattr(item, name) != value for name, value in placement.items()):
            for name, value in placement.items():
                setattr(item, name, value)
            changed.append(item)
    if changed:
        ImprovementItem.objects.bulk_update(changed, list(PLACEMENT_FIELDS))


PLACEMENT_FIELDS = ("level", "question_risk", "priority")
# An item whose best practice is not in the review's lens version: kept as history, listed last.
OFF_THE_LENS = {"level": "", "question_risk": Risk.UNANSWERED.value, "priority": NOT_IN_CATALOGUE}


__all__ = [
    "OFF_THE_LENS",
    "PLACEMENT_FIELDS",
    "item_placement",
    "items_place",
    "CHOICE_NOTE_MAX_LENGTH",
    "AnswerConflict",
    "answer_record",
    "answer_snapshot",
    "items_sync",
    "review_start",
]
