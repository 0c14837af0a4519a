"""How a lens rates a question: the risks, the levels of best practices, and each question as a spec (its
choices with their levels, its explicit risk rules) that reviewapp.risk evaluates against an answer.

Pure dataclasses, no database: the lens import/export (lensformat) and the review's risk computation both use
them, so they live here, below both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .conditions import Condition, Default, Not, Or, Ref


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


def none_of_these_id(question_code: str) -> str:
    """Choice id of the automatic "None of these" choice, as AWS custom lenses name it."""
    return f"{question_code}_no"


def _any_of(conditions: list[Condition]) -> Condition:
    return conditions[0] if len(conditions) == 1 else Or(tuple(conditions))


def level_rules(question: QuestionSpec) -> tuple[RiskRuleSpec, ...]:
    """Explicit rules that rate ``question`` exactly as the level rule does, for custom-lens export.

    Assumes no choice is coded like the question's "None of these" pseudo-choice.
    """
    by_level: dict[Level, list[Condition]] = {
        level: [Not(Ref(choice.code)) for choice in question.choices if choice.level == level]
        for level in (Level.HIGH, Level.MEDIUM)
    }
    rules = [RiskRuleSpec(_any_of([Ref(none_of_these_id(question.code)), *by_level[Level.HIGH]]), Risk.HIGH)]
    if by_level[Level.MEDIUM]:
        rules.append(RiskRuleSpec(_any_of(by_level[Level.MEDIUM]), Risk.MEDIUM))
    rules.append(RiskRuleSpec(Default(), Risk.NONE))
    return tuple(rules)
