"""Risk of a question from its answer: pure functions over small dataclasses, no database.

Two ways to rate a question, as in the Well-Architected Tool:

* the level rule, for catalogue questions: each best practice carries the risk it leaves when it is not
  established (HIGH, MEDIUM or LOW), and the question takes the worst of its missing best practices;
* explicit ``riskRules`` from a custom lens: the first rule whose condition holds decides.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from enum import StrEnum

from questionnaire.conditions import Condition, Default, Not, Or, Ref


class Risk(StrEnum):
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    NONE = "NONE"
    NOT_APPLICABLE = "NOT_APPLICABLE"
    UNANSWERED = "UNANSWERED"


class Level(StrEnum):
    """The risk a best practice leaves when it is not established."""

    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


RULE_RISKS = frozenset({Risk.HIGH, Risk.MEDIUM, Risk.NONE})

# Order in which improvement items are listed: the most urgent first, unanswered questions last.
RISK_ORDER: tuple[Risk, ...] = (Risk.HIGH, Risk.MEDIUM, Risk.NONE, Risk.NOT_APPLICABLE, Risk.UNANSWERED)
LEVEL_ORDER: tuple[Level, ...] = (Level.HIGH, Level.MEDIUM, Level.LOW)

# Severity for summarising several questions: a rated answer says more than a missing one, and a
# missing answer still means work left, unlike a question that does not apply.
_SEVERITY: tuple[Risk, ...] = (Risk.NOT_APPLICABLE, Risk.UNANSWERED, Risk.NONE, Risk.MEDIUM, Risk.HIGH)


@dataclass(frozen=True)
class ChoiceSpec:
    code: str
    level: Level | None  # custom-lens choices have no level


@dataclass(frozen=True)
class RiskRuleSpec:
    condition: Condition
    risk: Risk

    def __post_init__(self) -> None:
        if self.risk not in RULE_RISKS:
            raise ValueError(f"a risk rule can only yield HIGH, MEDIUM or NONE, not {self.risk}")


@dataclass(frozen=True)
class QuestionSpec:
    code: str
    choices: tuple[ChoiceSpec, ...]
    rules: tuple[RiskRuleSpec, ...] = ()  # empty: rated by the level rule


@dataclass(frozen=True)
class AnswerState:
    answered: bool = False
    question_not_applicable: bool = False
    none_of_these: bool = False
    selected: frozenset[str] = frozenset()
    choices_not_applicable: frozenset[str] = frozenset()


def none_of_these_id(question_code: str) -> str:
    """Choice id of the automatic "None of these" choice, as AWS custom lenses name it."""
    return f"{question_code}_no"


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


def _any_of(conditions: list[Condition]) -> Condition:
    return conditions[0] if len(conditions) == 1 else Or(tuple(conditions))


def level_rules(question: QuestionSpec) -> tuple[RiskRuleSpec, ...]:
    """Explicit rules that rate ``question`` exactly as the level rule does, for custom-lens export.

    Assumes no choice is coded like the question's "None of these" pseudo-choice.
    """
    by_level = {
        level: [Not(Ref(choice.code)) for choice in question.choices if choice.level == level]
        for level in (Level.HIGH, Level.MEDIUM)
    }
    rules = [RiskRuleSpec(_any_of([Ref(none_of_these_id(question.code)), *by_level[Level.HIGH]]), Risk.HIGH)]
    if by_level[Level.MEDIUM]:
        rules.append(RiskRuleSpec(_any_of(by_level[Level.MEDIUM]), Risk.MEDIUM))
    rules.append(RiskRuleSpec(Default(), Risk.NONE))
    return tuple(rules)


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
