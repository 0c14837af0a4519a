"""Catalogue questions as risk.py specs, and as the rows pages show, memoised per lens version.

Lens versions are immutable once stored (see questionnaire.catalogue), so a process may keep their specs and
their questions and best practices for its whole life: computing a risk or showing a question's practices
then costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from questionnaire.conditions import parse_condition
from questionnaire.models import BestPractice, Question, RiskRule
from questionnaire.rating import ChoiceSpec, Level, QuestionSpec, Risk, RiskRuleSpec


@dataclass(frozen=True)
class VersionSpecs:
    by_question_id: dict[int, QuestionSpec]
    # BP code -> (question id, level, order in the lens) for ordering improvement items.
    bp_index: dict[str, tuple[int, str, int]]


@lru_cache(maxsize=64)
def version_specs(lens_version_id: int) -> VersionSpecs:
    choices: dict[int, list[ChoiceSpec]] = {}
    bp_index: dict[str, tuple[int, str, int]] = {}
    practices = BestPractice.objects.filter(question__lens_version_id=lens_version_id).order_by(
        "question__order", "order"
    )
    for position, (question_id, code, level) in enumerate(
        practices.values_list("question_id", "code", "level")
    ):
        choices.setdefault(question_id, []).append(
            ChoiceSpec(code=code, level=Level(level) if level else None)
        )
        bp_index[code] = (question_id, level, position)
    rules: dict[int, list[RiskRuleSpec]] = {}
    for question_id, condition, risk in (
        RiskRule.objects.filter(question__lens_version_id=lens_version_id)
        .order_by("question_id", "order")
        .values_list("question_id", "condition", "risk")
    ):
        rules.setdefault(question_id, []).append(RiskRuleSpec(parse_condition(condition), Risk(risk)))
    specs = {
        question_id: QuestionSpec(
            code=code, choices=tuple(choices.get(question_id, ())), rules=tuple(rules.get(question_id, ()))
        )
        for question_id, code in Question.objects.filter(lens_version_id=lens_version_id).values_list(
            "id", "code"
        )
    }
    return VersionSpecs(by_question_id=specs, bp_index=bp_index)


@dataclass(frozen=True)
class VersionCatalogue:
    """A lens version's questions and best practices as model instances, in catalogue order.

    Shared by every request of the process, so pages read them and never change or save them.
    """

    questions: dict[str, Question]
    by_question_id: dict[int, Question]
    practices: dict[int, tuple[BestPractice, ...]]

    def question(self, code: str) -> Question | None:
        return self.questions.get(code)


@lru_cache(maxsize=16)
def version_catalogue(lens_version_id: int) -> VersionCatalogue:
    questions = list(Question.objects.filter(lens_version_id=lens_version_id).order_by("order"))
    practices: dict[int, list[BestPractice]] = {}
    for practice in BestPractice.objects.filter(question__lens_version_id=lens_version_id).order_by(
        "question__order", "order"
    ):
        practices.setdefault(practice.question_id, []).append(practice)
    return VersionCatalogue(
        questions={question.code: question for question in questions},
        by_question_id={question.pk: question for question in questions},
        practices={question_id: tuple(rows) for question_id, rows in practices.items()},
    )


def clear_caches() -> None:
    """Forget every memoised version: only for tests, where a flushed database may reuse row ids."""
    version_specs.cache_clear()
    version_catalogue.cache_clear()
