"""Profiles: the business-context questions a workload answers once, and the rules (data beside each lens) that
turn the answers into priorities for the lens's questions and practices.

A rule file, or a custom lens's top-level "profileRules", is a list of rules::

    {"id": "internet-facing", "when": "internet_facing && !multi_account", "priority": "HIGH",
     "questions": ["SEC5"], "practices": ["SEC06-BP01"], "why": "Reachable from the internet."}

`when` is a condition over the profile keys below, written and parsed like a riskRules condition (`&&`, `||`,
`!`, parentheses; never eval). The format is documented in docs/profiles.md. Pure: no database access here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Condition, ConditionError, parse_condition


@dataclass(frozen=True)
class ProfileQuestion:
    key: str
    text: str
    help: str


PROFILE_QUESTIONS: tuple[ProfileQuestion, ...] = (
    ProfileQuestion(
        "internet_facing",
        "Is the workload reachable from the internet?",
        "Public endpoints, APIs or websites.",
    ),
    ProfileQuestion(
        "regulated_data",
        "Does it store or process regulated data?",
        "Card data, health records, financial records or anything an auditor certifies.",
    ),
    ProfileQuestion(
        "personal_data", "Does it hold personal data?", "Names, contact details, identifiers of people."
    ),
    ProfileQuestion(
        "revenue_critical", "Is it critical to revenue?", "An outage or breach stops the business earning."
    ),
    ProfileQuestion(
        "multi_account",
        "Does it span several AWS accounts?",
        "Separate accounts per environment or function.",
    ),
)
PROFILE_KEYS = frozenset(question.key for question in PROFILE_QUESTIONS)

# Priority levels, highest first: what rules may say, and the number the plan and dashboard sort by.
PRIORITY_RANK = {"HIGH": 2, "ELEVATED": 1}
PRIORITY_LABEL = {2: "High priority", 1: "Elevated priority"}
MAX_RULES = 200
MAX_WHY = 500


@dataclass(frozen=True)
class ProfileRule:
    condition: Condition
    priority: int
    questions: tuple[str, ...]
    practices: tuple[str, ...]
    why: str


def rule_problems(raw: Any, catalogue: Mapping[str, set[str]], path: str = "$") -> list[tuple[str, str]]:
    """Every problem in `raw` rules against `catalogue` (question code -> its practice codes), with the path
    of each (e.g. `$.profileRules[2].questions[0]`); empty when the rules can be stored."""
    problems: list[tuple[str, str]] = []
    if not isinstance(raw, list):
        return [(path, "must be a list of rules")]
    if len(raw) > MAX_RULES:
        return [(path, f"has {len(raw)} rules; at most {MAX_RULES} are allowed")]
    practices = {code for codes in catalogue.values() for code in codes}
    for index, rule in enumerate(raw):
        at = f"{path}[{index}]"
        if not isinstance(rule, dict):
            problems.append((at, "must be an object"))
            continue
        when = rule.get("when")
        if not isinstance(when, str):
            problems.append((f"{at}.when", "is required: a condition over the profile questions"))
        else:
            try:
                parse_condition(when, known_ids=PROFILE_KEYS)
            except ConditionError as error:
                problems.append((f"{at}.when", f"{error} (profile keys: {', '.join(sorted(PROFILE_KEYS))})"))
        if rule.get("priority") not in PRIORITY_RANK:
            problems.append((f"{at}.priority", f"must be one of {', '.join(PRIORITY_RANK)}"))
        for key, known, what in (
            ("questions", catalogue, "question"),
            ("practices", practices, "best practice"),
        ):
            codes = rule.get(key, [])
            if not isinstance(codes, list):
                problems.append((f"{at}.{key}", "must be a list of codes"))
                continue
            for position, code in enumerate(codes):
                if code not in known:
                    problems.append((f"{at}.{key}[{position}]", f"{code!r} is not a {what} of this lens"))
        if not rule.get("questions") and not rule.get("practices"):
            problems.append((at, "names no question and no practice"))
        why = rule.get("why", "")
        if not isinstance(why, str) or len(why) > MAX_WHY:
            problems.append((f"{at}.why", f"must be text of at most {MAX_WHY} characters"))
    return problems


def parse_rules(raw: list[dict]) -> list[ProfileRule]:
    """Rules already checked by rule_problems, ready to evaluate."""
    return [
        ProfileRule(
            condition=parse_condition(rule["when"]),
            priority=PRIORITY_RANK[rule["priority"]],
            questions=tuple(rule.get("questions", [])),
            practices=tuple(rule.get("practices", [])),
            why=rule.get("why", ""),
        )
        for rule in raw
    ]


@dataclass
class Priority:
    priority: int
    reasons: list[str]


def priorities(
    rules: list[ProfileRule], answers: Mapping[str, bool], catalogue: Mapping[str, list[str]]
) -> tuple[dict[str, Priority], dict[str, Priority]]:
    """(question code -> Priority, practice code -> Priority) for a profile's `answers`. A practice takes the
    higher of its own priority and its question's, so the plan ranks every practice of a prioritised question."""
    true_keys = {key for key, value in answers.items() if value is True}
    questions: dict[str, Priority] = {}
    practices: dict[str, Priority] = {}

    def lift(table: dict[str, Priority], code: str, level: int, why: str) -> None:
        found = table.setdefault(code, Priority(level, []))
        found.priority = max(found.priority, level)
        if why and why not in found.reasons:
            found.reasons.append(why)

    for rule in rules:
        if not rule.condition.evaluate(true_keys):
            continue
        for code in rule.questions:
            lift(questions, code, rule.priority, rule.why)
            for practice in catalogue.get(code, []):
                lift(practices, practice, rule.priority, rule.why)
        for code in rule.practices:
            lift(practices, code, rule.priority, rule.why)
    return questions, practices
