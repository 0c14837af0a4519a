"""Reads for review templates: what applying one would change in a review, question by question, and which
templates a review could take a newer version of."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import F, QuerySet

from questionnaire.models import Question

from ..models import Answer, Review, ReviewTemplate, ReviewTemplateVersion, TemplateUse


class Change(StrEnum):
    # The question is unanswered: the template's answer fills it.
    FILLS = "fills"
    # Already answered differently: replaced only when the person chooses it.
    REPLACES = "replaces"
    # Already answered exactly so: nothing to do.
    SAME = "same"
    # The review's lens version lacks the question or one of the named practices: left alone.
    ABSENT = "absent"


@dataclass
class TemplateChange:
    code: str
    title: str
    change: Change
    entry: dict
    # The review's answer now (None when the question is not in the review's lens version).
    answer: Answer | None
    question: Question | None


def answer_entry(answer: Answer) -> dict:
    """An answer in the template's entry shape, to compare with an entry and to save one from a review."""
    return {
        "selected": list(answer.selected),
        "none_of_these": answer.none_of_these,
        "applicable": answer.is_applicable,
        "reason": answer.reason if not answer.is_applicable else "",
        "choices_not_applicable": dict(answer.choices_not_applicable),
        "choice_notes": dict(answer.choice_notes),
        "notes": answer.notes,
    }


def answer_is_blank(answer: Answer) -> bool:
    """Nothing a person said: no practice, no "None of these", no not-applicable mark, no note."""
    entry = answer_entry(answer)
    return not any(
        [
            entry["selected"],
            entry["none_of_these"],
            not entry["applicable"],
            entry["choices_not_applicable"],
            entry["choice_notes"],
            entry["notes"],
        ]
    )


def template_version(template: ReviewTemplate, number: int | None = None) -> ReviewTemplateVersion:
    return ReviewTemplateVersion.objects.get(template=template, number=number or template.version)


def template_preview(review: Review, version: ReviewTemplateVersion) -> list[TemplateChange]:
    """Per question of the template, in the review's question order, what applying it would do. Two queries."""
    answers = {
        answer.question.code: answer
        for answer in Answer.objects.filter(review=review)
        .select_related("question")
        .prefetch_related("question__best_practices")
    }
    rows = []
    for code, entry in version.entries.items():
        answer = answers.get(code)
        question = answer.question if answer is not None else None
        known = {bp.code for bp in question.best_practices.all()} if question is not None else set()
        named = {*entry["selected"], *entry["choices_not_applicable"], *entry["choice_notes"]}
        if answer is None or not named <= known:
            change = Change.ABSENT
        elif answer_entry(answer) == entry:
            change = Change.SAME
        elif answer_is_blank(answer):
            change = Change.FILLS
        else:
            change = Change.REPLACES
        title = question.title if question is not None else ""
        rows.append(TemplateChange(code, title, change, entry, answer, question))
    order = {code: position for position, code in enumerate(answers)}
    return sorted(rows, key=lambda row: order.get(row.code, len(order)))


def templates_for_review(templates: QuerySet[ReviewTemplate], review: Review) -> QuerySet[ReviewTemplate]:
    """Of `templates` (those the person may see), the ones for the review's lens."""
    return templates.filter(lens_id=review.lens_id).select_related("team").order_by("name")


def template_updates(review: Review) -> QuerySet[TemplateUse]:
    """The templates this review took answers from that have a newer version since: offered, never applied."""
    return (
        TemplateUse.objects.filter(review=review, version__lt=F("template__version"))
        .select_related("template")
        .order_by("template__name")
    )


def reviews_behind(template: ReviewTemplate, reviews: QuerySet[Review]) -> QuerySet[TemplateUse]:
    """Of `reviews` (those the person may see), the uses of an older version of `template`."""
    return (
        TemplateUse.objects.filter(template=template, version__lt=template.version, review__in=reviews)
        .select_related("review__workload")
        .order_by("review__workload__name")
    )
