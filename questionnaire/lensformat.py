"""AWS custom-lens JSON (schemaVersion "2021-11-01") to and from the neutral `LensDoc`.

Format facts this module relies on (AWS Well-Architected Tool user guide, "Lens format specification", and the
WA Tool API reference):

* a lens file is at most 500 KB; the lens has `schemaVersion`, `name` (<= 128 characters), `description`
  (<= 2048) and `pillars` (at most 10), each with `id`, `name` (<= 128) and `questions` (at most 20);
* ids are 3+ letters, digits or "_"; the guide allows 128 for pillar, question and choice ids, the API caps
  PillarId and ChoiceId at 64, and our `code` columns hold 64, so we accept at most 64 everywhere;
* a question has `id`, `title` (<= 128), optional `description` (<= 2048) and `helpfulResource`
  {`displayText` (<= 2048, needed when `url` is given), `url` (http:// or https://)}, `choices`, `riskRules`;
* a choice has `id` (unique in its question), `title` (<= 128), optional `helpfulResource`, an
  `improvementPlan` {`displayText` (<= 2048), optional `url`} and optional `additionalResources` [{`type`:
  HELPFUL_RESOURCE or IMPROVEMENT_PLAN, `content`: [{displayText, url}]}], at most five of each type;
  at most 15 choices;
* a choice whose id ends in `_no` is the question's "None of these" choice (it needs no improvement plan);
* `riskRules`: at most three, one per risk (HIGH_RISK, MEDIUM_RISK, NO_RISK), each a `condition` over the
  question's choice ids (`&&`, `||`, `!`, parentheses) or `default`; a `default` rule is required; the first
  condition that holds sets the risk, so `default` only makes sense last.

Our review model always offers "None of these" under the fixed id `<questionId>_no` (reviewapp.risk), so an
imported `_no` choice is not stored as a best practice: conditions that name it are rewritten to that id, and
every exported question gets that choice back. Question helpful-resource text and a choice's
additionalResources have no place in the catalogue: they are validated, then left out.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.text import slugify

from questionnaire.rating import ChoiceSpec, Level, QuestionSpec, level_rules, none_of_these_id

from .catalogue import BestPracticeDoc, LensDoc, PillarDoc, QuestionDoc, RiskRuleDoc
from .conditions import And, Condition, ConditionError, Default, Not, Or, Ref, parse_condition
from .models import Lens, LensVersion, RiskRule, RuleRisk, max_length

SCHEMA_VERSION = "2021-11-01"
MAX_FILE_CHARS = 500_000
MAX_PILLARS = 10
MAX_QUESTIONS_PER_PILLAR = 20
MAX_CHOICES = 15
MAX_RULES = 3
MAX_ADDITIONAL_PER_TYPE = 5
MAX_NAME = 128  # lens and pillar names, question and choice titles
MAX_TEXT = 2048  # descriptions and displayText
MIN_ID, MAX_ID = 3, 64
MAX_LABEL = max_length(LensVersion, "label")
MAX_CONDITION = max_length(RiskRule, "condition")
MAX_SLUG = max_length(Lens, "slug")
DEFAULT_LABEL = "1"
NONE_SUFFIX = "_no"
NONE_TITLE = "None of these"
QUESTION_HELP_TEXT = "More about this question"
RESOURCE_TYPES = ("HELPFUL_RESOURCE", "IMPROVEMENT_PLAN")

_ID = re.compile(r"[A-Za-z0-9_]+")
_NOT_ID_CHARS = re.compile(r"[^A-Za-z0-9_]")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_URL = URLValidator(schemes=["http", "https"])

IMPORT_RISK = {"HIGH_RISK": RuleRisk.HIGH, "MEDIUM_RISK": RuleRisk.MEDIUM, "NO_RISK": RuleRisk.NONE}
EXPORT_RISK = {str(risk): name for name, risk in IMPORT_RISK.items()}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a lens file; `path` is a JSON path such as `$.pillars[0].questions[2].id`."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


class LensFormatError(ValueError):
    """A lens file that cannot be imported, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


class LensExportError(ValueError):
    """A lens that cannot be written as a valid custom lens (e.g. too many best practices in a question)."""


# ----------------------------------------------------------------------------------------------------
# Import


def parse_custom_lens(text: str, *, slug: str | None = None) -> LensDoc:
    """Validate a custom-lens file completely and turn it into a LensDoc.

    Raises LensFormatError listing every problem found, so one round of fixes is enough.
    """
    if len(text) > MAX_FILE_CHARS:
        # Refused before parsing: the size cap is what keeps parsing cheap.
        raise LensFormatError(
            [Problem("$", f"the file is longer than the limit of {MAX_FILE_CHARS:,} characters")]
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LensFormatError(
            [Problem("$", f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})")]
        ) from exc
    except RecursionError as exc:
        raise LensFormatError([Problem("$", "invalid JSON: nested too deeply")]) from exc
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise LensFormatError([Problem("$", f"invalid JSON: {exc}")]) from exc

    reader = _Reader()
    parts = reader.lens(data)
    lens_slug = reader.slug(slug, parts.name if parts else "")
    if reader.problems or parts is None:
        raise LensFormatError(reader.problems)
    return LensDoc(
        slug=lens_slug,
        name=parts.name,
        label=parts.label,
        kind=Lens.Kind.CUSTOM,
        risk_model=LensVersion.RiskModel.RULES,
        description=parts.description,
        pillars=parts.pillars,
    )


def custom_lens_problems(data: Any) -> list[Problem]:
    """Every problem in already-parsed custom-lens JSON; empty when it is valid."""
    reader = _Reader()
    reader.lens(data)
    return reader.problems


@dataclass
class _LensParts:
    name: str
    description: str
    label: str
    pillars: list[PillarDoc]


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Walks the parsed JSON once, recording problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    # -- primitives ------------------------------------------------------------------------------------------

    def _get(self, parent: dict, key: str, path: str, kind: type, kind_name: str, required: bool) -> Any:
        value = parent.get(key)
        if value is None:
            if required:
                self.add(f"{path}.{key}", "is required" if key not in parent else f"must be {kind_name}")
            return None
        if not isinstance(value, kind):
            self.add(f"{path}.{key}", f"must be {kind_name}, not {_show(value)}")
            return None
        return value

    def text(
        self, parent: dict, key: str, path: str, *, required: bool = True, max_length: int = MAX_TEXT
    ) -> str:
        value = self._get(parent, key, path, str, "a string", required)
        if value is None:
            return ""
        if not value.strip():
            if required:
                self.add(f"{path}.{key}", "must not be empty")
            return ""
        if len(value) > max_length:
            self.add(f"{path}.{key}", f"has {len(value)} characters; the limit is {max_length}")
        return value

    def ident(self, parent: dict, key: str, path: str) -> str:
        value = self.text(parent, key, path, max_length=MAX_ID)
        if value and not (_ID.fullmatch(value) and len(value) >= MIN_ID):
            self.add(
                f"{path}.{key}",
                f"must be {MIN_ID}-{MAX_ID} letters, digits or underscores, not {_show(value)}",
            )
        return value

    def url(self, parent: dict, key: str, path: str) -> str:
        value = self.text(parent, key, path, required=False)
        if value:
            try:
                _URL(value)
            except ValidationError:
                self.add(f"{path}.{key}", f"must be an http:// or https:// URL, not {_show(value)}")
        return value

    def items(
        self, parent: dict, key: str, path: str, *, required: bool = True, max_items: int | None = None
    ) -> list[tuple[str, dict | None]]:
        """(path, object) for each entry of a list; non-object entries are reported and given as None."""
        values = self._get(parent, key, path, list, "a list", required)
        if values is None:
            return []
        list_path = f"{path}.{key}"
        if required and not values:
            self.add(list_path, "must not be empty")
        if max_items is not None and len(values) > max_items:
            self.add(list_path, f"has {len(values)} entries; the limit is {max_items}")
        entries: list[tuple[str, dict | None]] = []
        for index, value in enumerate(values):
            item_path = f"{list_path}[{index}]"
            if not isinstance(value, dict):
                self.add(item_path, f"must be an object, not {_show(value)}")
            entries.append((item_path, value if isinstance(value, dict) else None))
        return entries

    def unique(self, seen: dict[str, str], value: str, path: str, what: str) -> None:
        if not value:
            return
        if value in seen:
            self.add(path, f"duplicate {what} {_show(value)} (first at {seen[value]})")
        else:
            seen[value] = path

    def resource(self, parent: dict, key: str, path: str, *, required: bool) -> tuple[str, str]:
        """(displayText, url) of a helpfulResource / improvementPlan object."""
        value = self._get(parent, key, path, dict, "an object", required)
        if value is None:
            return "", ""
        resource_path = f"{path}.{key}"
        text = self.text(value, "displayText", resource_path, required=required)
        url = self.url(value, "url", resource_path)
        if url and not text and not required:
            self.add(f"{resource_path}.displayText", "is required when url is given")
        return text, url

    # -- structure -------------------------------------------------------------------------------------------

    def slug(self, slug: str | None, name: str) -> str:
        if slug is not None:
            if not (_SLUG.fullmatch(slug) and len(slug) <= MAX_SLUG):
                self.add("slug", f"must be 1-{MAX_SLUG} letters, digits, hyphens or underscores")
            return slug
        derived = slugify(name)[:MAX_SLUG].strip("-")
        if name and not derived:
            self.add("$.name", "gives no usable slug; choose one explicitly")
        return derived

    def lens(self, data: Any) -> _LensParts | None:
        if not isinstance(data, dict):
            self.add("$", f"must be a JSON object, not {_show(data)}")
            return None
        if "schemaVersion" not in data:
            self.add("$.schemaVersion", f"is required (must be {SCHEMA_VERSION!r})")
        elif data["schemaVersion"] != SCHEMA_VERSION:
            self.add("$.schemaVersion", f"must be {SCHEMA_VERSION!r}, not {_show(data['schemaVersion'])}")
        name = self.text(data, "name", "$", max_length=MAX_NAME)
        description = self.text(data, "description", "$")
        label = self.text(data, "_version", "$", required=False, max_length=MAX_LABEL) or DEFAULT_LABEL

        pillar_ids: dict[str, str] = {}
        question_ids: dict[str, str] = {}
        pillars = []
        for path, pillar in self.items(data, "pillars", "$", max_items=MAX_PILLARS):
            if pillar is not None:
                pillars.append(self.pillar(pillar, path, pillar_ids, question_ids))
        return _LensParts(name=name, description=description, label=label, pillars=pillars)

    def pillar(
        self, pillar: dict, path: str, pillar_ids: dict[str, str], question_ids: dict[str, str]
    ) -> PillarDoc:
        code = self.ident(pillar, "id", path)
        self.unique(pillar_ids, code, f"{path}.id", "pillar id")
        name = self.text(pillar, "name", path, max_length=MAX_NAME)
        questions = [
            self.question(question, question_path, question_ids)
            for question_path, question in self.items(
                pillar, "questions", path, max_items=MAX_QUESTIONS_PER_PILLAR
            )
            if question is not None
        ]
        return PillarDoc(code=code, name=name, questions=questions)

    def question(self, question: dict, path: str, question_ids: dict[str, str]) -> QuestionDoc:
        code = self.ident(question, "id", path)
        self.unique(question_ids, code, f"{path}.id", "question id")
        title = self.text(question, "title", path, max_length=MAX_NAME)
        description = self.text(question, "description", path, required=False)
        _, helpful_url = self.resource(question, "helpfulResource", path, required=False)

        choice_ids: dict[str, str] = {}
        none_choice: str | None = None
        practices: list[BestPracticeDoc] = []
        choices = self.items(question, "choices", path, max_items=MAX_CHOICES)
        for choice_path, choice in choices:
            if choice is None:
                continue
            choice_id = self.ident(choice, "id", choice_path)
            self.unique(choice_ids, choice_id, f"{choice_path}.id", "choice id")
            if choice_id == "default":
                self.add(f"{choice_path}.id", "'default' is reserved for the catch-all risk rule")
            if not choice_id.endswith(NONE_SUFFIX):
                practices.append(self.choice(choice, choice_path, choice_id))
                continue
            if none_choice is not None:
                first = choice_ids.get(none_choice, "")
                self.add(
                    f"{choice_path}.id",
                    f"only one 'None of these' choice (id ending in _no); first at {first}",
                )
            none_choice = none_choice or choice_id
            self.text(choice, "title", choice_path, max_length=MAX_NAME)
            self.resource(choice, "helpfulResource", choice_path, required=False)
            self.resource(choice, "improvementPlan", choice_path, required=False)
        if choices and not practices:
            self.add(f"{path}.choices", "needs at least one choice besides 'None of these'")

        rules = self.risk_rules(question, path, code, set(choice_ids), none_choice)
        return QuestionDoc(
            code=code,
            wa_id=code,
            title=title,
            description=description,
            helpful_url=helpful_url,
            best_practices=practices,
            risk_rules=rules,
        )

    def choice(self, choice: dict, path: str, choice_id: str) -> BestPracticeDoc:
        title = self.text(choice, "title", path, max_length=MAX_NAME)
        helpful_text, doc_url = self.resource(choice, "helpfulResource", path, required=False)
        improvement, improvement_url = self.resource(choice, "improvementPlan", path, required=True)
        self.additional_resources(choice, path)
        return BestPracticeDoc(
            code=choice_id,
            choice_id=choice_id,
            title=title,
            description=helpful_text,
            improvement=improvement,
            doc_url=doc_url,
            improvement_url=improvement_url,
        )

    def additional_resources(self, choice: dict, path: str) -> None:
        per_type: Counter[str] = Counter()
        for entry_path, entry in self.items(choice, "additionalResources", path, required=False):
            if entry is None:
                continue
            kind = self.text(entry, "type", entry_path, max_length=32)
            if kind and kind not in RESOURCE_TYPES:
                self.add(
                    f"{entry_path}.type", f"must be HELPFUL_RESOURCE or IMPROVEMENT_PLAN, not {_show(kind)}"
                )
            for content_path, content in self.items(entry, "content", entry_path):
                if content is None:
                    continue
                per_type[kind] += 1
                if per_type[kind] == MAX_ADDITIONAL_PER_TYPE + 1:
                    self.add(
                        content_path, f"at most {MAX_ADDITIONAL_PER_TYPE} additional resources of one type"
                    )
                text = self.text(content, "displayText", content_path, required=False)
                if self.url(content, "url", content_path) and not text:
                    self.add(f"{content_path}.displayText", "is required when url is given")

    def risk_rules(
        self, question: dict, path: str, code: str, choice_ids: set[str], none_choice: str | None
    ) -> list[RiskRuleDoc]:
        entries = self.items(question, "riskRules", path, max_items=MAX_RULES)
        rules: list[RiskRuleDoc] = []
        first_by_risk: dict[str, str] = {}
        has_default = False
        for index, (rule_path, rule) in enumerate(entries):
            if rule is None:
                continue
            risk = self.text(rule, "risk", rule_path, max_length=32)
            if risk and risk not in IMPORT_RISK:
                self.add(f"{rule_path}.risk", f"must be HIGH_RISK, MEDIUM_RISK or NO_RISK, not {_show(risk)}")
            elif risk in first_by_risk:
                self.add(
                    f"{rule_path}.risk",
                    f"one rule per risk level: {risk} is already at {first_by_risk[risk]}",
                )
            elif risk:
                first_by_risk[risk] = rule_path
            condition = self.condition(rule, rule_path, choice_ids)
            if isinstance(condition, Default):
                has_default = True
                if index != len(entries) - 1:
                    self.add(f"{rule_path}.condition", "'default' must be the last rule")
            if condition is None or risk not in IMPORT_RISK:
                continue
            if none_choice is not None:
                condition = _renamed(condition, none_choice, none_of_these_id(code))
            canonical = str(condition)
            if len(canonical) > MAX_CONDITION:
                self.add(
                    f"{rule_path}.condition", f"is longer than {MAX_CONDITION} characters once normalised"
                )
            rules.append(RiskRuleDoc(condition=canonical, risk=IMPORT_RISK[risk]))
        if entries and not has_default:
            self.add(f"{path}.riskRules", "needs a 'default' rule, as the last rule")
        return rules

    def condition(self, rule: dict, path: str, choice_ids: set[str]) -> Condition | None:
        text = self.text(rule, "condition", path, max_length=MAX_CONDITION)
        if not text:
            return None
        try:
            return parse_condition(text, known_ids=choice_ids)
        except ConditionError as exc:
            self.add(f"{path}.condition", str(exc))
            return None


def _renamed(condition: Condition, old: str, new: str) -> Condition:
    """The same condition with choice id `old` replaced by `new`."""
    if isinstance(condition, Ref):
        return Ref(new) if condition.choice_id == old else condition
    if isinstance(condition, Not):
        return Not(_renamed(condition.operand, old, new))
    if isinstance(condition, And | Or):
        return type(condition)(tuple(_renamed(operand, old, new) for operand in condition.operands))
    return condition


# ----------------------------------------------------------------------------------------------------
# Export


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
    return {
        "id": _format_id(pillar.code),
        "name": _clip(pillar.name, MAX_NAME),
        "questions": [_export_question(question, by_levels) for question in pillar.questions],
    }


def _export_question(question: QuestionDoc, by_levels: bool) -> dict:
    question_id = _format_id(question.code)
    data: dict[str, Any] = {"id": question_id, "title": _clip(question.title, MAX_NAME)}
    if question.description:
        data["description"] = _clip(question.description, MAX_TEXT)
    if question.helpful_url:
        data["helpfulResource"] = {"displayText": QUESTION_HELP_TEXT, "url": question.helpful_url}
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
        return [(str(parse_condition(rule.condition)), rule.risk) for rule in question.risk_rules]
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
    return data


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
