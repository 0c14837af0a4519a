"""Matching the tool's questions and choices to our questions and best practices, and reading its answers.

Questions match by QuestionId (Question.wa_id). A best practice matches its WA Tool ChoiceId or any of its
aliases (BestPractice.choice_aliases: ids the tool has used for the same practice); on export the id the tool
itself lists for that question wins. The tool's "None of these" is the choice whose id ends in `_no` and that
matches no best practice. Anything else is reported, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from questionnaire.models import BestPractice, Question

from ..models import NotApplicableReason, Review

NONE_SUFFIX = "_no"
_REASONS = frozenset(NotApplicableReason.values)


@dataclass
class QuestionMap:
    question: Question
    code_by_choice: dict[str, str] = field(default_factory=dict)  # every known tool ChoiceId -> our BP code
    ids_by_code: dict[str, list[str]] = field(default_factory=dict)  # BP code -> [its choice id, *aliases]

    def choice_id(self, code: str, offered: list[str]) -> str | None:
        """The id the tool uses for best practice `code`: whichever known id it lists, else None."""
        return next((choice_id for choice_id in self.ids_by_code.get(code, []) if choice_id in offered), None)

    def is_none_choice(self, choice_id: str) -> bool:
        return choice_id.endswith(NONE_SUFFIX) and choice_id not in self.code_by_choice


def question_maps(review: Review) -> dict[str, QuestionMap]:
    """Our questions of the review's lens version by WA QuestionId, with their choice mappings."""
    questions = Question.objects.filter(lens_version_id=review.lens_version_id).order_by("order")
    maps = {question.wa_id: QuestionMap(question) for question in questions}
    by_pk = {question_map.question.pk: question_map for question_map in maps.values()}
    practices = BestPractice.objects.filter(question__lens_version_id=review.lens_version_id).order_by(
        "question_id", "order"
    )
    for question_id, code, choice_id, aliases in practices.values_list(
        "question_id", "code", "choice_id", "choice_aliases"
    ):
        question_map = by_pk[question_id]
        question_map.ids_by_code[code] = [choice_id, *aliases]
        for known in (choice_id, *aliases):
            question_map.code_by_choice.setdefault(known, code)
    return maps


def tool_reason(value: str | None) -> str:
    """The tool's reason as ours: the same value (NONE included); an unknown one is OTHER."""
    if not value:
        return NotApplicableReason.NONE
    return value if value in _REASONS else NotApplicableReason.OTHER


@dataclass
class ToolChoice:
    status: str  # SELECTED, NOT_APPLICABLE or UNSELECTED
    reason: str = "NONE"
    notes: str = ""


@dataclass
class ToolAnswer:
    """One question as the tool holds it: ListAnswers' summary completed by GetAnswer's notes."""

    question_id: str
    offered: list[str] | None  # the tool's ChoiceIds in its order; None when ListAnswers gave no Choices
    selected: list[str]
    choices: dict[str, ToolChoice]  # every offered choice's status, reason and notes
    is_applicable: bool
    reason: str
    notes: str

    def view(self) -> dict:
        """What a person compares: selected ids, not-applicable ids with reasons, notes, applicability."""
        return {
            "selected": list(self.selected),
            "not_applicable": {
                choice_id: choice.reason
                for choice_id, choice in self.choices.items()
                if choice.status == "NOT_APPLICABLE"
            },
            "choice_notes": {
                choice_id: choice.notes for choice_id, choice in self.choices.items() if choice.notes
            },
            "is_applicable": self.is_applicable,
            "reason": self.reason if not self.is_applicable else "",
            "notes": self.notes,
        }


def tool_answer(summary: dict, answer: dict | None) -> ToolAnswer:
    """The tool's state of a question from its ListAnswers summary and (if read) its GetAnswer answer."""
    offered = [choice["ChoiceId"] for choice in summary["Choices"]] if summary.get("Choices") else None
    selected = list(summary.get("SelectedChoices") or [])
    choices = {
        choice_id: ToolChoice("SELECTED" if choice_id in selected else "UNSELECTED")
        for choice_id in offered or []
    }
    # GetAnswer's ChoiceAnswers carry notes; ListAnswers' summaries only status and reason.
    details = (answer or {}).get("ChoiceAnswers") or summary.get("ChoiceAnswerSummaries") or []
    for detail in details:
        choice = choices.setdefault(detail["ChoiceId"], ToolChoice("UNSELECTED"))
        choice.status = detail.get("Status") or choice.status
        choice.reason = detail.get("Reason") or "NONE"
        choice.notes = detail.get("Notes") or ""
    is_applicable = summary.get("IsApplicable", True) is not False
    return ToolAnswer(
        question_id=summary["QuestionId"],
        offered=offered,
        selected=selected,
        choices=choices,
        is_applicable=is_applicable,
        reason=(summary.get("Reason") or (answer or {}).get("Reason") or "NONE") if not is_applicable else "",
        notes=(answer or {}).get("Notes") or "",
    )


def answered_there(summary: dict) -> bool:
    choices = summary.get("ChoiceAnswerSummaries") or []
    return bool(
        summary.get("SelectedChoices")
        or summary.get("IsApplicable") is False
        or any(choice.get("Status") == "NOT_APPLICABLE" for choice in choices)
    )
