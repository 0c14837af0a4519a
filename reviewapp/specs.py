"""Catalogue questions as risk.py specs, memoised per lens version.

Lens versions are immutable once stored (see questionnaire.catalogue), so a process may keep their specs for
its whole life: computing a risk then costs no query.
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
