"""Validation of a review JSON document (docs/review-json-schema.md) before anything is written.

Every problem in the document is collected with its JSON path (`$.answers[3].selected[1]: ...`) and reported
together, so a person fixes a file in one pass. Problems that only the catalogue or the target team can reveal
(an unknown best practice, a workload name already taken) are found here too, against the lens version the
answers will be recorded on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from questionnaire.lensformat import Problem
from questionnaire.models import Lens, LensVersion, Question
from questionnaire.rating import Risk

from ..lib.workload_fields import workload_field_problems
from ..models import ItemStatus, NotApplicableReason, Team, Workload
from ..services.plan import TEXT_MAX_LENGTH, TICKET_URL_MAX_LENGTH, acceptance_latest
from ..services.workloads import WORKLOAD_FIELDS

FORMAT = "wa-security-review/1"
FORMAT_FAMILY = "wa-security-review/"
MAX_ANSWERS = 1000
MAX_ITEMS = 5000
MAX_MILESTONES = 1000

TOP_KEYS = {
    "format",
    "exported_at",
    "source",
    "workload",
    "lens",
    "answers",
    "improvement_items",
    "milestones",
}
LENS_KEYS = {"slug", "name", "version", "version_label", "content_sha256"}
ANSWER_KEYS = {
    "question",
    "title",
    "risk",
    "applicable",
    "reason",
    "none_of_these",
    "selected",
    "not_applicable",
    "notes",
}
ITEM_KEYS = {
    "bp_code",
    "title",
    "status",
    "on_plan",
    "owner",
    "due_date",
    "ticket_url",
    "notes",
    "acceptance_justification",
    "acceptance_expires_on",
}
WORKLOAD_TEXT = {"name", "description", "environment", "review_owner", "other_locations", "architecture_url"}
WORKLOAD_TEXT |= {"industry", "notes"}
REASONS = tuple(NotApplicableReason.values)
_url = URLValidator(schemes=["http", "https"])


class ReviewImportError(ValueError):
    """A review JSON document that cannot be imported, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(problems)
        self.problems = problems

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


@dataclass
class AnswerIn:
    path: str
    question: Question
    applicable: bool
    reason: str
    none_of_these: bool
    selected: list[str]
    not_applicable: dict[str, str]
    notes: str
    declared_risk: str | None

    @property
    def is_blank(self) -> bool:
        """Nothing to record: the question stays as review_start left it."""
        return (
            self.applicable
            and not self.none_of_these
            and not self.selected
            and not self.not_applicable
            and not self.notes
        )


@dataclass
class ItemIn:
    path: str
    bp_code: str
    status: str
    owner: str
    due_date: date | None
    ticket_url: str
    notes: str
    justification: str
    expires_on: date | None


@dataclass
class ReviewDoc:
    workload: dict[str, Any]
    lens: Lens
    version: LensVersion
    same_version: bool
    answers: list[AnswerIn]
    items: list[ItemIn]
    source_review: str = ""
    warnings: list[str] = field(default_factory=list)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def parse_review_json(raw: bytes | str) -> Any:
    """The parsed document, or ReviewImportError for a file too large, not UTF-8 or not JSON."""
    limit = settings.REPORT_IMPORT_MAX_BYTES
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > limit:
        raise ReviewImportError([Problem("$", f"the file has {size:,} bytes; the limit is {limit:,}")])
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ReviewImportError([Problem("$", f"is not UTF-8 text (byte {exc.start})")]) from exc

    def refuse_constant(name: str) -> None:
        raise ValueError(f"{name} is not allowed in JSON")

    try:
        return json.loads(raw, parse_constant=refuse_constant)
    except json.JSONDecodeError as exc:
        message = f"is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        raise ReviewImportError([Problem("$", message)]) from exc
    except (ValueError, RecursionError) as exc:
        raise ReviewImportError([Problem("$", f"is not valid JSON: {exc}")]) from exc


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def keys(self, value: dict, path: str, allowed: set[str], required: tuple[str, ...] = ()) -> None:
        for key in required:
            if key not in value:
                self.add(f"{path}.{key}", "is required")
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}", f"is not a field of {FORMAT}")

    def obj(self, value: Any, path: str) -> dict | None:
        if isinstance(value, dict):
            return value
        self.add(path, f"must be an object, not {_show(value)}")
        return None

    def text(self, parent: dict, key: str, path: str, *, max_length: int, nullable: bool = True) -> str:
        value = parent.get(key)
        if value is None and nullable:
            return ""
        if not isinstance(value, str):
            self.add(f"{path}.{key}", f"must be a string, not {_show(value)}")
            return ""
        if len(value) > max_length:
            self.add(f"{path}.{key}", f"has {len(value):,} characters; the limit is {max_length:,}")
        return value

    def flag(self, parent: dict, key: str, path: str, default: bool) -> bool:
        value = parent.get(key, default)
        if not isinstance(value, bool):
            self.add(f"{path}.{key}", f"must be true or false, not {_show(value)}")
            return default
        return value

    def day(self, parent: dict, key: str, path: str) -> date | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.add(f"{path}.{key}", f"must be a date such as 2025-06-30, or null, not {_show(value)}")
        return None

    def entries(self, parent: dict, key: str, path: str, limit: int) -> list[tuple[str, dict]]:
        value = parent.get(key, [])
        if not isinstance(value, list):
            self.add(f"{path}.{key}", f"must be a list, not {_show(value)}")
            return []
        if len(value) > limit:
            self.add(f"{path}.{key}", f"has {len(value):,} entries; the limit is {limit:,}")
            return []
        found = []
        for index, entry in enumerate(value):
            entry_path = f"{path}.{key}[{index}]"
            if self.obj(entry, entry_path) is not None:
                found.append((entry_path, entry))
        return found

    # --- Sections ---------------------------------------------------------------------------------------

    def workload(self, value: Any, team: Team, name: str | None) -> dict[str, Any]:
        path = "$.workload"
        data = self.obj(value, path)
        if data is None:
            return {}
        self.keys(
            data, path, set(WORKLOAD_FIELDS), required=("name", "description", "environment", "review_owner")
        )
        fields: dict[str, Any] = {}
        for key in WORKLOAD_FIELDS:
            if key in WORKLOAD_TEXT:
                fields[key] = self.text(data, key, path, max_length=10_000)
            elif key in ("aws_regions", "account_ids"):
                items = data.get(key, [])
                if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
                    self.add(f"{path}.{key}", f"must be a list of strings, not {_show(items)}")
                    items = []
                fields[key] = items
            elif key == "tags":
                tags = data.get(key, {})
                if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
                    self.add(f"{path}.{key}", f"must be an object of string values, not {_show(tags)}")
                    tags = {}
                fields[key] = tags
        if name:
            fields["name"] = name
        name_path = "$.workload.name" if not name else "name"
        for key, messages in workload_field_problems(fields).items():
            for message in messages:
                self.add(f"{path}.{key}", message)
        try:
            Workload(team=team, **fields).full_clean(
                exclude=["team", "created_by"], validate_constraints=False
            )
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                for message in messages:
                    self.add(name_path if key == "name" else f"{path}.{key}", message)
        if fields.get("name") and Workload.objects.filter(team=team, name__iexact=fields["name"]).exists():
            self.add(
                name_path,
                f"{team.name} already has a workload called {fields['name']!r}; import it under another name",
            )
        return fields

    def lens(self, value: Any) -> tuple[Lens | None, LensVersion | None, bool]:
        path = "$.lens"
        data = self.obj(value, path)
        if data is None:
            return None, None, False
        self.keys(data, path, LENS_KEYS, required=("slug",))
        slug = self.text(data, "slug", path, max_length=100, nullable=False)
        lens = Lens.objects.filter(slug=slug).first() if slug else None
        if lens is None:
            if slug:
                self.add(
                    f"{path}.slug",
                    f"no lens {slug!r} is loaded here; load it first (manage.py load_lens or import_lens)",
                )
            return None, None, False
        version = lens.current_version()
        if version is None:
            self.add(f"{path}.slug", f"the lens {lens.name} has no version loaded")
            return lens, None, False
        digest = self.text(data, "content_sha256", path, max_length=64)
        label = self.text(data, "version_label", path, max_length=64)
        same = digest == version.content_sha256 if digest else label == version.label
        if not same:
            exported = label or digest[:12] or "an unnamed version"
            self.warnings.append(
                f"The review was exported on {lens.name} version {exported}; it is imported onto the current "
                f"version {version.label}. Answers carry over by best-practice code and risks are recomputed."
            )
        return lens, version, same

    def answers(self, data: dict, version: LensVersion) -> list[AnswerIn]:
        questions = {question.code: question for question in Question.objects.filter(lens_version=version)}
        practices: dict[int, list[str]] = {}
        for known in questions.values():
            practices[known.pk] = []
        for question_id, code in (
            Question.objects.filter(lens_version=version)
            .values_list("pk", "best_practices__code")
            .order_by("order", "best_practices__order")
        ):
            if code:
                practices[question_id].append(code)
        seen: dict[str, str] = {}
        found: list[AnswerIn] = []
        for path, entry in self.entries(data, "answers", "$", MAX_ANSWERS):
            self.keys(entry, path, ANSWER_KEYS, required=("question",))
            code = self.text(entry, "question", path, max_length=64, nullable=False)
            question: Question | None = questions.get(code)
            if code and question is None:
                self.add(
                    f"{path}.question",
                    f"{code!r} is not a question of {version.name} version {version.label}",
                )
            if code in seen:
                self.add(f"{path}.question", f"{code!r} is answered twice (first at {seen[code]})")
                question = None
            elif code:
                seen[code] = path
            answer = self._answer(entry, path, question, practices.get(question.pk, []) if question else [])
            if answer is not None:
                found.append(answer)
        return found

    def _answer(self, entry: dict, path: str, question: Question | None, codes: list[str]) -> AnswerIn | None:
        before = len(self.problems)
        applicable = self.flag(entry, "applicable", path, True)
        none_of_these = self.flag(entry, "none_of_these", path, False)
        reason = self.text(entry, "reason", path, max_length=32)
        if not applicable and reason not in REASONS:
            self.add(
                f"{path}.reason",
                f"must say why the question does not apply: one of {_choices(REASONS)}, not {_show(reason)}",
            )
        selected: list[str] = []
        raw_selected = entry.get("selected", [])
        if not isinstance(raw_selected, list):
            self.add(f"{path}.selected", f"must be a list of best-practice codes, not {_show(raw_selected)}")
            raw_selected = []
        for index, code in enumerate(raw_selected):
            item_path = f"{path}.selected[{index}]"
            if not isinstance(code, str):
                self.add(item_path, f"must be a best-practice code, not {_show(code)}")
            elif question is not None and code not in codes:
                self.add(item_path, f"{code!r} is not a best practice of {question.code}")
            elif code in selected:
                self.add(item_path, f"{code!r} is listed twice")
            else:
                selected.append(code)
        not_applicable: dict[str, str] = {}
        raw_na = entry.get("not_applicable", {})
        if not isinstance(raw_na, dict):
            self.add(f"{path}.not_applicable", f"must be an object of code: reason, not {_show(raw_na)}")
            raw_na = {}
        for code, why in raw_na.items():
            item_path = f"{path}.not_applicable.{code}"
            if question is not None and code not in codes:
                self.add(item_path, f"{code!r} is not a best practice of {question.code}")
            elif why not in REASONS:
                self.add(item_path, f"{_show(why)} is not a reason; use one of {_choices(REASONS)}")
            elif code in selected:
                self.add(item_path, f"{code!r} cannot be both selected and not applicable")
            else:
                not_applicable[code] = why
        if none_of_these and selected:
            self.add(f"{path}.none_of_these", "cannot be true while best practices are selected")
        notes = self.text(entry, "notes", path, max_length=settings.ANSWER_NOTES_MAX_LENGTH)
        risk = entry.get("risk")
        if risk is not None and risk not in Risk.__members__:
            self.add(f"{path}.risk", f"{_show(risk)} is not a risk; use one of {_choices(tuple(Risk))}")
        self.text(entry, "title", path, max_length=512)
        if question is None or len(self.problems) > before:
            return None
        return AnswerIn(
            path=path,
            question=question,
            applicable=applicable,
            reason="" if applicable else reason,
            none_of_these=none_of_these,
            selected=selected,
            not_applicable=not_applicable,
            notes=notes.replace("\r\n", "\n"),
            declared_risk=risk,
        )

    def items(self, data: dict, version: LensVersion) -> list[ItemIn]:
        codes = set(
            Question.objects.filter(lens_version=version).values_list("best_practices__code", flat=True)
        )
        today_latest = acceptance_latest()
        seen: dict[str, str] = {}
        found: list[ItemIn] = []
        for path, entry in self.entries(data, "improvement_items", "$", MAX_ITEMS):
            before = len(self.problems)
            self.keys(entry, path, ITEM_KEYS, required=("bp_code", "status"))
            code = self.text(entry, "bp_code", path, max_length=64, nullable=False)
            if code and code not in codes:
                self.add(
                    f"{path}.bp_code", f"{code!r} is not a best practice of {version.name} {version.label}"
                )
            if code in seen:
                self.add(f"{path}.bp_code", f"{code!r} is listed twice (first at {seen[code]})")
            elif code:
                seen[code] = path
            raw_status = entry.get("status")
            if raw_status not in ItemStatus.values:
                self.add(
                    f"{path}.status",
                    f"{_show(raw_status)} is not a status; use one of {_choices(tuple(ItemStatus))}",
                )
            status = str(raw_status)
            self.flag(entry, "on_plan", path, True)
            owner = self.text(entry, "owner", path, max_length=150)
            ticket_url = self.text(entry, "ticket_url", path, max_length=TICKET_URL_MAX_LENGTH).strip()
            if ticket_url:
                try:
                    _url(ticket_url)
                except ValidationError:
                    self.add(f"{path}.ticket_url", "must be a full http:// or https:// link")
            notes = self.text(entry, "notes", path, max_length=TEXT_MAX_LENGTH)
            justification = self.text(
                entry, "acceptance_justification", path, max_length=TEXT_MAX_LENGTH
            ).strip()
            expires_on = self.day(entry, "acceptance_expires_on", path)
            due_date = self.day(entry, "due_date", path)
            self.text(entry, "title", path, max_length=512)
            if status == ItemStatus.RISK_ACCEPTED:
                if not justification:
                    self.add(f"{path}.acceptance_justification", "is required for an accepted risk")
                if expires_on is None:
                    self.add(f"{path}.acceptance_expires_on", "is required for an accepted risk")
                elif expires_on > today_latest:
                    self.add(
                        f"{path}.acceptance_expires_on",
                        f"is more than {settings.RISK_ACCEPTANCE_MAX_DAYS} days ahead; "
                        f"use {today_latest.isoformat()} or earlier",
                    )
            if len(self.problems) == before:
                found.append(
                    ItemIn(path, code, status, owner, due_date, ticket_url, notes, justification, expires_on)
                )
        return found


def read_review_doc(data: Any, *, team: Team, name: str | None = None) -> ReviewDoc:
    """The validated document, or ReviewImportError listing every problem with its JSON path."""
    reader = _Reader()
    if not isinstance(data, dict):
        raise ReviewImportError([Problem("$", f"must be an object, not {_show(data)}")])
    declared = data.get("format")
    if declared != FORMAT:
        if isinstance(declared, str) and declared.startswith(FORMAT_FAMILY):
            message = f"version {declared!r} is not supported; this installation reads {FORMAT!r}"
        elif declared is None:
            message = f"is required (must be {FORMAT!r})"
        else:
            message = f"must be {FORMAT!r}, not {_show(declared)}"
        raise ReviewImportError([Problem("$.format", message)])
    reader.keys(data, "$", TOP_KEYS, required=("workload", "lens", "answers"))
    fields = reader.workload(data.get("workload"), team, name)
    lens, version, same = reader.lens(data.get("lens"))
    answers = reader.answers(data, version) if version is not None else []
    items = reader.items(data, version) if version is not None else []
    milestones = data.get("milestones", [])
    if not isinstance(milestones, list) or len(milestones) > MAX_MILESTONES:
        reader.add("$.milestones", f"must be a list of at most {MAX_MILESTONES:,} entries")
    elif milestones:
        listed = f"{len(milestones)} milestone{'s are' if len(milestones) != 1 else ' is'}"
        reader.warnings.append(
            f"{listed} listed but not imported: a milestone vouches for the review it was taken of, "
            "so the new workload starts without any."
        )
    source = data.get("source")
    source_review = ""
    if source is not None and reader.obj(source, "$.source") is not None:
        source_review = str(source.get("review_id") or "")[:64]
    if reader.problems:
        raise ReviewImportError(reader.problems)
    if lens is None or version is None:  # pragma: no cover - no problems means both were found
        raise ReviewImportError([Problem("$.lens", "the lens could not be resolved")])
    return ReviewDoc(
        workload=fields,
        lens=lens,
        version=version,
        same_version=same,
        answers=answers,
        items=items,
        source_review=source_review,
        warnings=reader.warnings,
    )


__all__ = ["FORMAT", "ReviewDoc", "ReviewImportError", "parse_review_json", "read_review_doc"]
