"""Reads for the guided review and its overview, each a fixed number of queries whatever the review holds."""

from __future__ import annotations

from dataclasses import dataclass, field

from questionnaire.models import BestPractice, LensVersion, Question
from questionnaire.rating import Risk

from ..models import Answer, Review
from ..risk import RiskCounts, answer_state, missing_choices
from ..specs import version_catalogue, version_specs

# What templates/reviews/_risk_label.html says, for lists that show a label per row without an include each.
RISK_LABELS = {
    Risk.HIGH: "High risk",
    Risk.MEDIUM: "Medium risk",
    Risk.NONE: "No risk",
    Risk.NOT_APPLICABLE: "Not applicable",
    Risk.UNANSWERED: "Unanswered",
}


@dataclass
class QuestionRow:
    code: str
    title: str
    area: str
    order: int
    risk: Risk
    answered: bool
    not_applicable: bool
    missing: list[BestPractice] = field(default_factory=list)
    # The question's page, where a view fills it in (one reverse() for every row, not one per row).
    url: str = ""

    @property
    def risk_label(self) -> str:
        return RISK_LABELS[self.risk]


@dataclass
class AreaRow:
    name: str
    counts: RiskCounts


@dataclass
class ReviewSummary:
    rows: list[QuestionRow]
    counts: RiskCounts
    areas: list[AreaRow]
    # The stored answers by question code, for the page of one question to take its own from.
    answers: dict[str, Answer] = field(default_factory=dict)

    @property
    def applicable(self) -> int:
        return self.counts.applicable

    @property
    def answered_applicable(self) -> int:
        return self.counts.high + self.counts.medium + self.counts.none

    @property
    def percent_done(self) -> int:
        return round(100 * self.answered_applicable / self.applicable) if self.applicable else 100


def review_summary(review: Review, *, with_missing: bool = False) -> ReviewSummary:
    """Per-question risk and answered state in catalogue order, with counts per area and for the review.

    One query, for the answers: their questions and best practices come from the memoised catalogue.
    """
    specs = version_specs(review.lens_version_id)
    catalogue = version_catalogue(review.lens_version_id)
    answers = sorted(
        Answer.objects.filter(review=review),
        key=lambda answer: catalogue.by_question_id[answer.question_id].order,
    )
    practices: dict[str, BestPractice] = {}
    if with_missing:
        practices = {bp.code: bp for bps in catalogue.practices.values() for bp in bps}
    rows: list[QuestionRow] = []
    for answer in answers:
        question: Question = catalogue.by_question_id[answer.question_id]
        answer.question = question
        spec = specs.by_question_id[question.pk]
        state = answer_state(answer, [choice.code for choice in spec.choices])
        row = QuestionRow(
            code=question.code,
            title=question.title,
            area=question.area or "Other",
            order=question.order,
            risk=Risk(answer.risk),
            answered=state.answered,
            not_applicable=not answer.is_applicable,
        )
        if with_missing:
            row.missing = [practices[choice.code] for choice in missing_choices(spec, state)]
        rows.append(row)
    areas: dict[str, list[Risk]] = {}
    for row in rows:
        areas.setdefault(row.area, []).append(row.risk)
    return ReviewSummary(
        answers={answer.question.code: answer for answer in answers},
        rows=rows,
        counts=RiskCounts.of(row.risk for row in rows),
        areas=[AreaRow(name=name, counts=RiskCounts.of(risks)) for name, risks in areas.items()],
    )


def question_neighbours(rows: list[QuestionRow], code: str) -> tuple[str | None, str | None]:
    codes = [row.code for row in rows]
    index = codes.index(code)
    previous = codes[index - 1] if index > 0 else None
    following = codes[index + 1] if index + 1 < len(codes) else None
    return previous, following


def lens_upgrade_available(review: Review) -> LensVersion | None:
    """The newest version of the review's lens when it is newer than the one the review is on, else None."""
    return (
        LensVersion.objects.filter(lens_id=review.lens_id, number__gt=review.lens_version.number)
        .order_by("-number")
        .first()
    )
