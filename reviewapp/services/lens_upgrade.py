"""Moving a review to a newer version of its lens, without losing what was answered.

A milestone is saved first, so the review as answered on the old version stays on record. Answers then carry
over by best-practice code (selected, and not applicable with its reason, wherever the practice now lives)
and by question code (question not applicable, notes, "none of these"). Risks are recomputed on the new
version and the improvement plan follows; items of practices the new version dropped leave the plan, kept as
history.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from questionnaire.models import BestPractice, LensVersion, Question

from ..audit import audit_record
from ..models import Answer, ImprovementItem, Milestone, Review, User
from ..risk import answer_state, question_risk
from ..specs import version_specs
from .answers import OFF_THE_LENS, items_sync
from .milestones import NAME_MAX_LENGTH, milestone_create


@dataclass(frozen=True)
class PracticeDiff:
    code: str
    question_code: str
    title: str
    level: str
    old_title: str = ""
    old_level: str = ""

    @property
    def title_changed(self) -> bool:
        return bool(self.old_title) and self.old_title != self.title

    @property
    def level_changed(self) -> bool:
        return bool(self.old_title) and self.old_level != self.level


@dataclass
class LensDiff:
    added: list[PracticeDiff] = field(default_factory=list)
    removed: list[PracticeDiff] = field(default_factory=list)
    changed: list[PracticeDiff] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


@dataclass
class UpgradeReport:
    review: Review
    from_version: LensVersion
    to_version: LensVersion
    milestone: Milestone
    diff: LensDiff
    answers_carried: int


def _practices(version: LensVersion) -> dict[str, dict[str, str]]:
    return {
        bp["code"]: {
            "code": bp["code"],
            "title": bp["title"],
            "level": bp["level"],
            "question__code": bp["question__code"],
        }
        for bp in BestPractice.objects.filter(question__lens_version=version)
        .order_by("question__order", "order")
        .values("code", "title", "level", "question__code")
    }


def lens_version_diff(old: LensVersion, new: LensVersion) -> LensDiff:
    """Best practices added, removed, or changed (title or level) between two versions. Two queries."""
    before, after = _practices(old), _practices(new)
    diff = LensDiff()
    for code, bp in after.items():
        if code not in before:
            diff.added.append(PracticeDiff(code, bp["question__code"], bp["title"], bp["level"]))
        elif (before[code]["title"], before[code]["level"]) != (bp["title"], bp["level"]):
            old_bp = before[code]
            diff.changed.append(
                PracticeDiff(
                    code, bp["question__code"], bp["title"], bp["level"], old_bp["title"], old_bp["level"]
                )
            )
    for code, bp in before.items():
        if code not in after:
            diff.removed.append(PracticeDiff(code, bp["question__code"], bp["title"], bp["level"]))
    return diff


def _milestone_name(review: Review, target: LensVersion) -> str:
    base = f"Before upgrade to {target.label} ({timezone.localdate().isoformat()})"[:NAME_MAX_LENGTH]
    taken = {
        name.lower()
        for name in Milestone.objects.filter(workload_id=review.workload_id).values_list("name", flat=True)
    }
    name, suffix = base, 2
    while name.lower() in taken:
        tail = f" #{suffix}"
        name, suffix = base[: NAME_MAX_LENGTH - len(tail)] + tail, suffix + 1
    return name


@transaction.atomic
def review_upgrade(*, review: Review, actor: User) -> UpgradeReport:
    """Move `review` to the newest version of its lens; see the module docstring. All or nothing."""
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("workload__team", "lens", "lens_version")
        .get(pk=review.pk)
    )
    source = review.lens_version
    target = review.lens.current_version()
    if target is None or target.number <= source.number:
        raise ValidationError(f"This review is already on the newest version of {review.lens.name}.")
    milestone = milestone_create(review=review, actor=actor, name=_milestone_name(review, target))
    diff = lens_version_diff(source, target)

    old_answers = list(Answer.objects.filter(review=review).select_related("question"))
    selected = {code for answer in old_answers for code in answer.selected}
    practice_na = {code: why for answer in old_answers for code, why in answer.choices_not_applicable.items()}
    by_question = {answer.question.code: answer for answer in old_answers}

    specs = version_specs(target.pk)
    new_answers = []
    carried = 0
    for question in Question.objects.filter(lens_version=target).order_by("order"):
        codes = [choice.code for choice in specs.by_question_id[question.pk].choices]
        previous = by_question.get(question.code)
        answer = Answer(
            review=review,
            question=question,
            selected=[code for code in codes if code in selected],
            choices_not_applicable={
                code: practice_na[code] for code in codes if code in practice_na and code not in selected
            },
            is_applicable=previous.is_applicable if previous else True,
            reason=previous.reason if previous and not previous.is_applicable else "",
            notes=previous.notes if previous else "",
            # Continue the count: a page opened before the upgrade then gets a conflict, not an overwrite.
            version=previous.version + 1 if previous else 1,
            updated_by=actor,
        )
        answer.none_of_these = bool(previous and previous.none_of_these and not answer.selected)
        answer.risk = question_risk(specs.by_question_id[question.pk], answer_state(answer, codes))
        carried += int(answer_state(answer, codes).answered)
        new_answers.append(answer)
    # The old rows point at the old version's questions; the milestone just saved keeps them on record.
    Answer.objects.filter(review=review).delete()
    Answer.objects.bulk_create(new_answers)
    review.lens_version = target
    review.save(update_fields=["lens_version", "updated_at"])

    for answer in new_answers:
        codes = [choice.code for choice in specs.by_question_id[answer.question_id].choices]
        items_sync(review=review, question=answer.question, state=answer_state(answer, codes), actor=actor)
    left_the_lens = ImprovementItem.objects.filter(
        workload_id=review.workload_id, lens_id=review.lens_id
    ).exclude(bp_code__in=list(specs.bp_index))
    left_the_lens.update(**OFF_THE_LENS)
    for item in left_the_lens.select_for_update().filter(is_active=True):
        item.is_active = False
        item.version += 1
        item.save(update_fields=["is_active", "version", "updated_at"])
        audit_record(
            actor=actor,
            action="item.withdraw",
            obj=item,
            object_repr=f"{review.workload.name} {item.bp_code}",
            workload_id=review.workload_id,
            before={"is_active": True},
            after={"is_active": False, "reason": f"not in {target.name} {target.label}"},
        )
    audit_record(
        actor=actor,
        action="review.upgrade",
        obj=review,
        workload_id=review.workload_id,
        before={"lens_version": source.number, "label": source.label},
        after={
            "lens_version": target.number,
            "label": target.label,
            "milestone": str(milestone.pk),
            "added": [bp.code for bp in diff.added],
            "removed": [bp.code for bp in diff.removed],
            "changed": [bp.code for bp in diff.changed],
        },
    )
    return UpgradeReport(
        review=review,
        from_version=source,
        to_version=target,
        milestone=milestone,
        diff=diff,
        answers_carried=carried,
    )


__all__ = ["LensDiff", "PracticeDiff", "UpgradeReport", "lens_version_diff", "review_upgrade"]
