"""The template editor: a name, who keeps it, and for each question of the lens whether the template answers it
and how. The answers are parsed into the service's entry shape; services/templates.py validates them."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.db.models import QuerySet

from questionnaire.models import BestPractice, Question

from ..models import NotApplicableReason, Team
from .common import choice_field

ORGANISATION = "organisation"


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    keeper = forms.ChoiceField(label="Kept by", required=False)

    def __init__(self, *args, teams: QuerySet[Team] | None = None, organisation: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if teams is None:
            del self.fields["keeper"]
            return
        choices = [(str(team.pk), team.name) for team in teams]
        if organisation:
            choices.insert(0, (ORGANISATION, "The organisation (every team)"))
        keeper = choice_field(self, "keeper")
        keeper.choices = choices
        keeper.required = True


@dataclass
class PracticeRow:
    practice: BestPractice
    selected: bool
    not_applicable: str
    note: str


@dataclass
class EntryRow:
    question: Question
    included: bool
    none_of_these: bool = False
    reason: str = ""
    notes: str = ""
    practices: list[PracticeRow] = field(default_factory=list)


def entries_from_post(data, questions: list[Question]) -> dict[str, dict]:
    """The answers ticked in the editor, for the questions marked "include"."""
    included = set(data.getlist("include"))
    entries = {}
    for question in questions:
        if question.code not in included:
            continue
        codes = [bp.code for bp in question.best_practices.all()]
        reason = data.get(f"reason_{question.code}", "")
        entries[question.code] = {
            "selected": data.getlist(f"sel_{question.code}"),
            "none_of_these": data.get(f"none_{question.code}") == "on",
            "applicable": not reason,
            "reason": reason,
            "choices_not_applicable": {c: data[f"bpna_{c}"] for c in codes if data.get(f"bpna_{c}")},
            "choice_notes": {c: data[f"bpnote_{c}"] for c in codes if data.get(f"bpnote_{c}", "").strip()},
            "notes": data.get(f"notes_{question.code}", "").replace("\r\n", "\n"),
        }
    return entries


def entry_rows(questions: list[Question], entries: dict[str, dict]) -> list[EntryRow]:
    """What the editor shows: each question with the template's answer to it (or an empty one)."""
    rows = []
    for question in questions:
        entry = entries.get(question.code)
        row = EntryRow(question=question, included=entry is not None)
        entry = entry or {}
        row.none_of_these = bool(entry.get("none_of_these"))
        row.reason = "" if entry.get("applicable", True) else str(entry.get("reason", ""))
        row.notes = str(entry.get("notes", ""))
        for practice in question.best_practices.all():
            row.practices.append(
                PracticeRow(
                    practice=practice,
                    selected=practice.code in entry.get("selected", []),
                    not_applicable=entry.get("choices_not_applicable", {}).get(practice.code, ""),
                    note=entry.get("choice_notes", {}).get(practice.code, ""),
                )
            )
        rows.append(row)
    return rows


# The reasons a person may pick in the editor (the WA Tool's "no reason given" is for imports only).
REASONS = [
    (value, label) for value, label in NotApplicableReason.choices if value != NotApplicableReason.NONE
]
