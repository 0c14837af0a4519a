"""Risk of a question from its answer: pure functions over small dataclasses, no database.

Two ways to rate a question, as in the Well-Architected Tool:

* the level rule, for catalogue questions: each best practice carries the risk it leaves when it is not
  established (HIGH, MEDIUM or LOW), and the question takes the worst of its missing best practices;
* explicit ``riskRules`` from a custom lens: the first rule whose condition holds decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, fields
from typing import Protocol

from questionnaire.rating import ChoiceSpec, Level, QuestionSpec, Risk, none_of_these_id

# Order in which improvement items are listed: the most urgent first, unanswered questions last.
RISK_ORDER: tuple[Risk, ...] = (Risk.HIGH, Risk.MEDIUM, Risk.NONE, Risk.NOT_APPLICABLE, Risk.UNANSWERED)
LEVEL_ORDER: tuple[Level, ...] = (Level.HIGH, Level.MEDIUM, Level.LOW)

# Severity for summarising several questions: a rated answer says more than a missing one, and a
# missing answer still means work left, unlike a question that does not apply.
_SEVERITY: tuple[Risk, ...] = (Risk.NOT_APPLICABLE, Risk.UNANSWERED, Risk.NONE, Risk.MEDIUM, Risk.HIGH)


@dataclass(frozen=True)
class AnswerState:
    answered: bool = False
    question_not_applicable: bool = False
    none_of_these: bool = False
    selected: frozenset[str] = frozenset()
    choices_not_applicable: frozenset[str] = frozenset()


class AnswerFields(Protocol):
    """What answer_state reads of a stored answer (reviewapp.models.Answer), without importing the model."""

    @property
    def selected(self) -> Iterable[str]: ...
    @property
    def none_of_these(self) -> bool: ...
    @property
    def is_applicable(self) -> bool: ...
    @property
    def choices_not_applicable(self) -> Mapping[str, str]: ...


def answer_state(answer: AnswerFields, choice_codes: Iterable[str] = ()) -> AnswerState:
    """The state risk is computed from. A question whose every best practice is marked not applicable counts
    as answered: the person looked at each one and said why it does not apply."""
    selected = frozenset(answer.selected)
    not_applicable = frozenset(answer.choices_not_applicable)
    every_choice_na = bool(not_applicable) and not_applicable >= frozenset(choice_codes)
    return AnswerState(
        answered=bool(selected) or answer.none_of_these or not answer.is_applicable or every_choice_na,
        question_not_applicable=not answer.is_applicable,
        none_of_these=answer.none_of_these,
        selected=selected,
        choices_not_applicable=not_applicable,
    )


def missing_choices(question: QuestionSpec, answer: AnswerState | None) -> tuple[ChoiceSpec, ...]:
    """Applicable choices the answer does not select, in catalogue order: the improvement items."""
    # Nothing to improve yet on an unanswered question, and nothing to improve on one that does not apply.
    if answer is None or not answer.answered or answer.question_not_applicable:
        return ()
    return tuple(
        choice
        for choice in question.choices
        if choice.code not in answer.choices_not_applicable
        and (answer.none_of_these or choice.code not in answer.selected)
    )


def _level_risk(question: QuestionSpec, answer: AnswerState) -> Risk:
    missing_levels = {choice.level for choice in missing_choices(question, answer)}
    if answer.none_of_these or Level.HIGH in missing_levels:
        return Risk.HIGH
    if Level.MEDIUM in missing_levels:
        return Risk.MEDIUM
    return Risk.NONE


def _rules_risk(question: QuestionSpec, answer: AnswerState) -> Risk:
    codes = {choice.code for choice in question.choices}
    # A choice that does not apply counts as satisfied, so it never trips a rule like `!choice`.
    true_ids = set((answer.selected | answer.choices_not_applicable) & codes)
    if answer.none_of_these:
        true_ids.add(none_of_these_id(question.code))
    for rule in question.rules:
        if rule.condition.evaluate(true_ids):
            return rule.risk
    return Risk.NONE


def question_risk(question: QuestionSpec, answer: AnswerState | None) -> Risk:
    if answer is None or not answer.answered:
        return Risk.UNANSWERED
    if answer.question_not_applicable:
        return Risk.NOT_APPLICABLE
    if question.rules:
        return _rules_risk(question, answer)
    return _level_risk(question, answer)


@dataclass(frozen=True)
class RiskCounts:
    """How many questions carry each risk; field names are the lower-cased ``Risk`` values."""

    high: int = 0
    medium: int = 0
    none: int = 0
    not_applicable: int = 0
    unanswered: int = 0

    @classmethod
    def of(cls, risks: Iterable[Risk]) -> RiskCounts:
        counted = Counter(Risk(risk) for risk in risks)
        return cls(**{risk.value.lower(): count for risk, count in counted.items()})

    @property
    def total(self) -> int:
        return sum(getattr(self, field.name) for field in fields(self))

    @property
    def answered(self) -> int:
        return self.total - self.unanswered

    @property
    def applicable(self) -> int:
        return self.total - self.not_applicable

    def __add__(self, other: object) -> RiskCounts:
        if not isinstance(other, RiskCounts):
            return NotImplemented
        return RiskCounts(
            **{field.name: getattr(self, field.name) + getattr(other, field.name) for field in fields(self)}
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def worst(risks: Iterable[Risk]) -> Risk:
    """The headline risk of several questions: HIGH > MEDIUM > NONE > UNANSWERED > NOT_APPLICABLE.

    Nothing at all to rate is NOT_APPLICABLE, the bottom of that order.
    """
    return max(risks, key=_SEVERITY.index, default=Risk.NOT_APPLICABLE)


def risk_sort_key(risk: Risk) -> int:
    return RISK_ORDER.index(risk)


def level_sort_key(level: Level | None) -> int:
    # Choices without a level (custom lenses) sort after LOW.
    return LEVEL_ORDER.index(level) if level is not None else len(LEVEL_ORDER)


# An improvement item's place on the plan as one number, stored on the item so lists sort and page in the
# database: question risk, then the best practice's level, then catalogue order (smaller is more urgent).
PRIORITY_STRIDE = 100_000
# Items whose best practice left the lens version the review is on sort after everything else.
NOT_IN_CATALOGUE = (len(RISK_ORDER) * (len(LEVEL_ORDER) + 1)) * PRIORITY_STRIDE


def plan_priority(risk: Risk, level: Level | None, position: int) -> int:
    """The sort key plan lists order by: `position` is the best practice's place in the lens version."""
    rank = risk_sort_key(risk) * (len(LEVEL_ORDER) + 1) + level_sort_key(level)
    return rank * PRIORITY_STRIDE + min(position, PRIORITY_STRIDE - 1)
