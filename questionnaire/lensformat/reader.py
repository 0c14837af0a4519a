"""Reading AWS custom-lens JSON into the neutral `LensDoc`, with every problem and every repair at its path."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify

from ..catalogue import BestPracticeDoc, LensDoc, PillarDoc, QuestionDoc, RiskRuleDoc
from ..conditions import And, Condition, ConditionError, Default, Not, Or, Ref, parse_condition
from ..models import Lens, LensVersion
from ..profiles import rule_problems
from ..rating import none_of_these_id
from .repair import implied_default, is_missing_number, repair_url
from .spec import (
    DEFAULT_LABEL,
    IMPORT_RISK,
    MAX_ADDITIONAL_PER_TYPE,
    MAX_CHOICES,
    MAX_CONDITION,
    MAX_FILE_CHARS,
    MAX_ID,
    MAX_LABEL,
    MAX_NAME,
    MAX_QUESTIONS_PER_PILLAR,
    MAX_RULES,
    MAX_SLUG,
    MAX_TEXT,
    MIN_ID,
    NONE_SUFFIX,
    RESOURCE_TYPES,
    SCHEMA_VERSION,
    TOOL_MAX_PILLARS,
    LensFormatError,
    LensWarning,
    Problem,
)

_ID = re.compile(r"[A-Za-z0-9_]+")
_SLUG = re.compile(r"[-a-zA-Z0-9_]+")
_EXPORT_RISK = {str(risk): name for name, risk in IMPORT_RISK.items()}


@dataclass
class LensRead:
    """A lens file read completely: what would be stored, and what was repaired or skipped on the way."""

    doc: LensDoc
    warnings: list[LensWarning] = field(default_factory=list)


def read_custom_lens(text: str, *, slug: str | None = None) -> LensRead:
    """Validate a custom-lens file completely and turn it into a LensDoc, with the warnings of every repair.

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
    doc = LensDoc(
        slug=lens_slug,
        name=parts.name,
        label=parts.label,
        kind=Lens.Kind.CUSTOM,
        risk_model=LensVersion.RiskModel.RULES,
        description=parts.description,
        pillars=parts.pillars,
        profile_rules=parts.profile_rules,
    )
    return LensRead(doc=doc, warnings=reader.warnings)


def parse_custom_lens(text: str, *, slug: str | None = None) -> LensDoc:
    """The LensDoc of a custom-lens file (see read_custom_lens for the warnings too)."""
    return read_custom_lens(text, slug=slug).doc


def custom_lens_problems(data: Any) -> list[Problem]:
    """Every problem in already-parsed custom-lens JSON; empty when it can be imported."""
    reader = _Reader()
    reader.lens(data)
    return reader.problems


@dataclass
class _LensParts:
    name: str
    description: str
    label: str
    pillars: list[PillarDoc]
    profile_rules: list[dict] = field(default_factory=list)


def _blank(value: Any) -> bool:
    """Missing, empty, or NaN: a value that says nothing."""
    return value is None or is_missing_number(value) or (isinstance(value, str) and not value.strip())


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


class _Reader:
    """Walks the parsed JSON once, recording problems and repairs instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[LensWarning] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(LensWarning(path, message))

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
        self,
        parent: dict,
        key: str,
        path: str,
        *,
        required: bool = True,
        max_length: int = MAX_TEXT,
        if_missing: str = "",
    ) -> str:
        """The trimmed string at `key`. With `if_missing`, a missing, empty or NaN value is a warning saying
        what happens instead (`if_missing`), not a problem."""
        value = parent.get(key)
        nan = is_missing_number(value)
        if if_missing and _blank(value):
            state = "is NaN, not text" if nan else ("is missing" if value is None else "is empty")
            self.warn(f"{path}.{key}", f"{state}; {if_missing}")
            return ""
        if nan:
            if required:
                self.add(f"{path}.{key}", "is NaN; text is required here")
            else:
                self.warn(f"{path}.{key}", "is NaN, not text; left out")
            return ""
        if value is None:
            if required:
                self.add(f"{path}.{key}", "is required" if key not in parent else "must be a string")
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be a string, not {_show(value)}")
            return ""
        trimmed = value.strip()
        if not trimmed:
            if required:
                self.add(f"{path}.{key}", "must not be empty")
            return ""
        if trimmed != value:
            self.warn(f"{path}.{key}", "surrounding whitespace removed")
        if len(trimmed) > max_length:
            self.add(f"{path}.{key}", f"has {len(trimmed)} characters; the limit is {max_length}")
        return trimmed

    def ident(self, parent: dict, key: str, path: str) -> str:
        value = self.text(parent, key, path, max_length=MAX_ID)
        if value and not (_ID.fullmatch(value) and len(value) >= MIN_ID):
            self.add(
                f"{path}.{key}",
                f"must be {MIN_ID}-{MAX_ID} letters, digits or underscores, not {_show(value)}",
            )
        return value

    def url(self, parent: dict, key: str, path: str) -> str:
        value = parent.get(key)
        if is_missing_number(value):
            self.warn(f"{path}.{key}", "is NaN, not a link; left out")
            return ""
        if value is None or (isinstance(value, str) and not value.strip()):
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be a string, not {_show(value)}")
            return ""
        repair = repair_url(value)
        if repair.note:
            self.warn(f"{path}.{key}", repair.note)
        return repair.url

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
            self.warn(f"{resource_path}.displayText", "is missing; the link is kept without a text")
        return text, url

    # -- structure -------------------------------------------------------------------------------------------

    def slug(self, slug: str | None, name: str) -> str:
        if slug is not None:
            if not (_SLUG.fullmatch(slug) and len(slug) <= MAX_SLUG):
                self.add("slug", f"must be 1-{MAX_SLUG} letters, digits, hyphens or underscores")
            return slug
        derived = slugify(name)[:MAX_SLUG].strip("-")
        if name and not derived:
            # A name in another script (or all punctuation) still names a lens; its slug just cannot be read.
            derived = "lens-" + hashlib.sha256(name.encode()).hexdigest()[:8]
            self.warn("$.name", f"has no letters or digits a slug can use; imported as {derived!r}")
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
        description = self.text(
            data, "description", "$", if_missing="the lens is imported without a description"
        )
        label = self.text(data, "_version", "$", required=False, max_length=MAX_LABEL) or DEFAULT_LABEL

        pillar_ids: dict[str, str] = {}
        question_ids: dict[str, str] = {}
        pillars = []
        entries = self.items(data, "pillars", "$")
        if len(entries) > TOOL_MAX_PILLARS:
            self.warn(
                "$.pillars",
                f"has {len(entries)} pillars; the WA Tool takes at most {TOOL_MAX_PILLARS}, so it would refuse "
                "this file, but every pillar is imported here",
            )
        for path, pillar in entries:
            if pillar is None:
                continue
            read = self.pillar(pillar, path, pillar_ids, question_ids)
            if read is not None:
                pillars.append(read)
        if entries and not pillars and not self.problems:
            self.add("$.pillars", "no question is left to import once the skipped ones are left out")
        return _LensParts(
            name=name,
            description=description,
            label=label,
            pillars=pillars,
            profile_rules=self.profile_rules(data, pillars),
        )

    def profile_rules(self, data: dict, pillars: list[PillarDoc]) -> list[dict]:
        """Our extension: "profileRules" (docs/profiles.md). A rule naming an unknown question, practice or
        profile key refuses the file, with its path."""
        rules = data.get("profileRules")
        if rules is None:
            return []
        catalogue = {q.code: {bp.code for bp in q.best_practices} for p in pillars for q in p.questions}
        problems = rule_problems(rules, catalogue, "$.profileRules")
        for path, message in problems:
            self.add(path, message)
        return [] if problems else rules

    def pillar(
        self, pillar: dict, path: str, pillar_ids: dict[str, str], question_ids: dict[str, str]
    ) -> PillarDoc | None:
        code = self.ident(pillar, "id", path)
        self.unique(pillar_ids, code, f"{path}.id", "pillar id")
        name = self.text(
            pillar, "name", path, max_length=MAX_NAME, if_missing="the pillar id is shown as its name"
        )
        notes = self.text(pillar, "notes", path, required=False)
        entries = self.items(pillar, "questions", path, max_items=MAX_QUESTIONS_PER_PILLAR)
        questions = []
        for question_path, question in entries:
            if question is None:
                continue
            read = self.question(question, question_path, question_ids)
            if read is not None:
                questions.append(read)
        if entries and not questions:
            self.warn(path, "every question of this pillar was skipped; the pillar is left out")
            return None
        return PillarDoc(code=code, name=name or code, notes=notes, questions=questions)

    def question(self, question: dict, path: str, question_ids: dict[str, str]) -> QuestionDoc | None:
        code = self.ident(question, "id", path)
        self.unique(question_ids, code, f"{path}.id", "question id")
        skipped = _blank(question.get("title"))
        title = self.text(question, "title", path, max_length=MAX_NAME, if_missing="the question is skipped")
        if skipped:
            return None
        description = self.text(question, "description", path, required=False)
        helpful_text, helpful_url = self.resource(question, "helpfulResource", path, required=False)

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
            self.text(
                choice, "title", choice_path, max_length=MAX_NAME, if_missing="'None of these' is shown"
            )
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
            helpful_text=helpful_text,
            best_practices=practices,
            risk_rules=rules,
        )

    def choice(self, choice: dict, path: str, choice_id: str) -> BestPracticeDoc:
        title = self.text(
            choice, "title", path, max_length=MAX_NAME, if_missing="the choice id is shown as its title"
        )
        helpful_text, doc_url = self.resource(choice, "helpfulResource", path, required=False)
        improvement, improvement_url = self.resource(choice, "improvementPlan", path, required=True)
        return BestPracticeDoc(
            code=choice_id,
            choice_id=choice_id,
            title=title or choice_id,
            description=helpful_text,
            improvement=improvement,
            doc_url=doc_url,
            improvement_url=improvement_url,
            resources=self.additional_resources(choice, path),
        )

    def additional_resources(self, choice: dict, path: str) -> list[dict[str, str]]:
        """The choice's extra links, as [{"type", "text", "url"}] in file order."""
        per_type: Counter[str] = Counter()
        resources: list[dict[str, str]] = []
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
                url = self.url(content, "url", content_path)
                if url and not text:
                    self.warn(f"{content_path}.displayText", "is missing; the link is kept without a text")
                if text or url:
                    resources.append({"type": kind, "text": text, "url": url})
        return resources

    def risk_rules(
        self, question: dict, path: str, code: str, choice_ids: set[str], none_choice: str | None
    ) -> list[RiskRuleDoc]:
        entries = self.items(question, "riskRules", path, required=False, max_items=MAX_RULES)
        rules: list[RiskRuleDoc] = []
        first_by_risk: dict[str, str] = {}
        has_default = False
        for rule_path, rule in entries:
            if rule is None:
                continue
            if has_default:
                self.warn(rule_path, "comes after the 'default' rule, so it can never apply; left out")
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
            has_default = isinstance(condition, Default)
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
        if not has_default:
            risk = implied_default({rule.risk for rule in rules})
            state = "has no 'default' rule" if entries else "is missing"
            self.warn(
                f"{path}.riskRules",
                f"{state}; an answer no rule covers is rated {_EXPORT_RISK[risk]} "
                "(the most severe risk no rule names; see docs/lenses.md)",
            )
            rules.append(RiskRuleDoc(condition="default", risk=risk))
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
