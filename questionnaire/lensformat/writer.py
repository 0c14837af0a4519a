"""Writing any lens version as AWS custom-lens JSON, checked against the same rules the import applies."""

from __future__ import annotations

import re
from typing import Any

from ..catalogue import BestPracticeDoc, LensDoc, PillarDoc, QuestionDoc
from ..conditions import DEFAULT_KEYWORD, parse_condition
from ..models import LensVersion
from ..rating import ChoiceSpec, Level, QuestionSpec, level_rules, none_of_these_id
from .reader import custom_lens_problems
from .spec import (
    DEFAULT_LABEL,
    EXPORT_RISK,
    MAX_CHOICES,
    MAX_NAME,
    MAX_TEXT,
    MIN_ID,
    NONE_TITLE,
    QUESTION_HELP_TEXT,
    SCHEMA_VERSION,
    LensExportError,
)

_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9_]")


def export_custom_lens(doc: LensDoc) -> dict:
    """`doc` as custom-lens JSON: deterministic, and checked against the same rules the import applies.

    A lens rated by levels (the built-in one) gets explicit riskRules giving the same risk as the level rule.
    Texts over the format's limits are shortened; a lens that cannot fit at all raises LensExportError.
    """
    by_levels = doc.risk_model == LensVersion.RiskModel.LEVELS
    data = {
        "schemaVersion": SCHEMA_VERSION,
        "name": _clip(doc.name, MAX_NAME),
        # The format requires a description; the name is the honest fallback.
        "description": _clip(doc.description or doc.name, MAX_TEXT),
        "_version": doc.label or DEFAULT_LABEL,
        "pillars": [_export_pillar(pillar, by_levels) for pillar in doc.pillars],
    }
    problems = custom_lens_problems(data)
    if problems:
        listed = "; ".join(str(problem) for problem in problems[:5])
        raise LensExportError(f"{doc.slug} cannot be written as a valid custom lens: {listed}")
    return data


def _export_pillar(pillar: PillarDoc, by_levels: bool) -> dict:
    data: dict[str, Any] = {"id": _format_id(pillar.code), "name": _clip(pillar.name, MAX_NAME)}
    if pillar.notes:
        data["notes"] = _clip(pillar.notes, MAX_TEXT)
    data["questions"] = [_export_question(question, by_levels) for question in pillar.questions]
    return data


def _export_question(question: QuestionDoc, by_levels: bool) -> dict:
    question_id = _format_id(question.code)
    data: dict[str, Any] = {"id": question_id, "title": _clip(question.title, MAX_NAME)}
    if question.description:
        data["description"] = _clip(question.description, MAX_TEXT)
    if question.helpful_url:
        text = question.helpful_text or QUESTION_HELP_TEXT
        data["helpfulResource"] = {"displayText": _clip(text, MAX_TEXT), "url": question.helpful_url}
    elif question.helpful_text:
        data["helpfulResource"] = {"displayText": _clip(question.helpful_text, MAX_TEXT)}
    choices = [_export_choice(practice) for practice in question.best_practices]
    # Our reviews always offer "None of these"; a custom lens only has it when a `_no` choice is listed.
    # A full question (possible only for rule lenses, whose rules then cannot name it) goes without.
    if by_levels or len(choices) < MAX_CHOICES:
        choices.append({"id": none_of_these_id(question_id), "title": NONE_TITLE})
    data["choices"] = choices
    data["riskRules"] = [
        {"condition": condition, "risk": EXPORT_RISK[risk]}
        for condition, risk in _export_rules(question, by_levels)
    ]
    return data


def _export_rules(question: QuestionDoc, by_levels: bool) -> list[tuple[str, str]]:
    if not by_levels:
        rules = [(str(parse_condition(rule.condition)), rule.risk) for rule in question.risk_rules]
        # A `default` the import added to a file without one (see reader.risk_rules) may repeat a risk another
        # rule names; the format allows one rule per risk, so it goes back to how the file had it.
        if len(rules) > 1 and rules[-1][0] == DEFAULT_KEYWORD and rules[-1][1] in {r for _, r in rules[:-1]}:
            rules.pop()
        return rules
    spec = QuestionSpec(
        code=_format_id(question.code),
        choices=tuple(
            ChoiceSpec(_format_id(practice.choice_id), Level(practice.level) if practice.level else None)
            for practice in question.best_practices
        ),
    )
    return [(str(rule.condition), str(rule.risk)) for rule in level_rules(spec)]


def _export_choice(practice: BestPracticeDoc) -> dict:
    data: dict[str, Any] = {"id": _format_id(practice.choice_id), "title": _clip(practice.title, MAX_NAME)}
    helpful_text = _clip(_helpful_text(practice), MAX_TEXT)
    if helpful_text or practice.doc_url:
        data["helpfulResource"] = {"displayText": helpful_text or _clip(practice.title, MAX_TEXT)}
        if practice.doc_url:
            data["helpfulResource"]["url"] = practice.doc_url
    improvement = practice.improvement or f"Establish this best practice: {practice.title}"
    data["improvementPlan"] = {"displayText": _clip(improvement, MAX_TEXT)}
    if practice.improvement_url:
        data["improvementPlan"]["url"] = practice.improvement_url
    if practice.resources:
        data["additionalResources"] = _additional_resources(practice.resources)
    return data


def _additional_resources(resources: list[dict[str, str]]) -> list[dict]:
    """Stored extra links back in the format's shape: one entry per type, in the order first seen."""
    by_type: dict[str, list[dict[str, str]]] = {}
    for resource in resources:
        content = {"displayText": _clip(resource["text"] or resource["url"], MAX_TEXT)}
        if resource["url"]:
            content["url"] = resource["url"]
        by_type.setdefault(resource["type"], []).append(content)
    return [{"type": kind, "content": content} for kind, content in by_type.items()]


def _helpful_text(practice: BestPracticeDoc) -> str:
    """What a reviewer reads next to the choice: an imported description, else our guidance and checks."""
    if practice.description:
        return practice.description
    parts = [practice.guidance]
    if practice.verification:
        parts.append(f"How to verify: {practice.verification}")
    return "\n\n".join(part for part in parts if part)


def _format_id(code: str) -> str:
    # Custom-lens ids allow letters, digits and "_" only, and at least three of them.
    return _NOT_ID_CHARS.sub("_", code).ljust(MIN_ID, "_")


def _clip(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a word boundary and marked with an ellipsis; as is when it fits."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + "…"
