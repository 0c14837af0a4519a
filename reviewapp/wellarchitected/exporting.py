"""Export: a review's answers to the tool workload, merged so the tool never loses an answer.

What is sent per question (UpdateAnswer), built from the tool's current answer (ListAnswers + GetAnswer):

* SelectedChoices: our selected best practices under the id the tool lists for them, plus every choice the
  tool has selected that no best practice here matches (an AWS lens update, a renamed id): those stay
  selected. "None of these" is sent only when the tool has no such choice selected.
* ChoiceUpdates: status, reason (1:1, NONE included) and notes for each best practice here whose state differs
  from the tool's; choices the app does not know are not touched.
* Notes, IsApplicable and Reason of the question.

A question the tool lists without Choices is skipped and reported, as is one it does not have. Nothing is
written before a person has seen the dry run: `export_plan` gives the per-question diff (tool now -> tool
after) and a digest of it, and `wa_export` writes only when given that digest and the plan is still the same.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError

from ..audit import audit_record
from ..models import Answer, Review, User
from . import tool
from .linking import lens_check, linked_workload
from .mapping import QuestionMap, ToolAnswer, ToolChoice, question_maps, tool_answer
from .tool import LENS_ALIAS, ToolWorkload, call

MILESTONE_NAME_MIN, MILESTONE_NAME_MAX = 3, 100


class ExportPlanChanged(Exception):
    """The tool or the review changed since the dry run was shown; nothing was written."""


@dataclass
class QuestionPlan:
    code: str
    question_id: str
    before: dict  # ToolAnswer.view() now
    after: dict  # the same after the update
    params: dict  # UpdateAnswer's parameters beyond WorkloadId / LensAlias / QuestionId
    kept_unknown: list[str] = field(default_factory=list)  # tool choices we do not know, left selected
    none_withheld: bool = False  # "None of these" not sent: the tool has unknown choices selected

    @property
    def changes(self) -> list[dict]:
        return [
            {"field": key, "before": self.before[key], "after": self.after[key]}
            for key in self.before
            if self.before[key] != self.after[key]
        ]


@dataclass
class ExportPlan:
    workload_arn: str
    milestone_name: str
    lens_version: str = ""
    questions: list[QuestionPlan] = field(default_factory=list)  # only those that change
    unchanged: list[str] = field(default_factory=list)
    not_answered_here: list[str] = field(default_factory=list)
    missing_there: list[str] = field(default_factory=list)  # answered here, not in the tool workload
    no_choices_there: list[str] = field(default_factory=list)  # listed there without Choices: skipped
    unmapped_questions: list[str] = field(default_factory=list)  # tool QuestionIds not in this lens version
    unmapped_practices: list[str] = field(default_factory=list)  # our BP codes with no choice there
    none_withheld: list[str] = field(default_factory=list)  # "None of these" here, unknown choices there

    @property
    def digest(self) -> str:
        """What the person confirms: the calls that will be made, and the milestone."""
        content = {
            "workload_arn": self.workload_arn,
            "milestone_name": self.milestone_name,
            "updates": [(plan.question_id, plan.params) for plan in self.questions],
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _milestone_name(name: str) -> str:
    name = " ".join(name.split())
    if name and not MILESTONE_NAME_MIN <= len(name) <= MILESTONE_NAME_MAX:
        raise ValidationError(
            {
                "milestone_name": [
                    f"Milestone names there are {MILESTONE_NAME_MIN}-{MILESTONE_NAME_MAX} characters."
                ]
            }
        )
    return name


def _wanted_choice(answer: Answer, code: str) -> tuple[str, str, str]:
    note = answer.choice_notes.get(code, "")
    if code in answer.choices_not_applicable:
        return "NOT_APPLICABLE", answer.choices_not_applicable[code], note
    return ("SELECTED" if code in answer.selected else "UNSELECTED"), "NONE", note


def _question_plan(
    answer: Answer, question_map: QuestionMap, there: ToolAnswer, plan: ExportPlan
) -> QuestionPlan:
    offered = there.offered or []
    known_ids: dict[str, str] = {}  # code -> the id the tool uses
    for code in question_map.ids_by_code:
        choice_id = question_map.choice_id(code, offered)
        if choice_id is None:
            if (
                code in answer.selected
                or code in answer.choices_not_applicable
                or code in answer.choice_notes
            ):
                plan.unmapped_practices.append(code)
        else:
            known_ids[code] = choice_id
    mapped = set(known_ids.values())
    none_choice = next((c for c in offered if question_map.is_none_choice(c)), None)
    kept_unknown = [c for c in there.selected if c not in mapped and c != none_choice and c in offered]

    selected = {known_ids[code] for code in answer.selected if code in known_ids}
    selected.update(kept_unknown)
    none_withheld = False
    if answer.none_of_these and none_choice:
        if kept_unknown:
            none_withheld = True
            plan.none_withheld.append(question_map.question.code)
        else:
            selected.add(none_choice)
    selected_in_order = [choice_id for choice_id in offered if choice_id in selected]

    updates: dict[str, dict] = {}
    after = ToolAnswer(
        question_id=there.question_id,
        offered=there.offered,
        selected=selected_in_order,
        choices={choice_id: ToolChoice(**asdict(choice)) for choice_id, choice in there.choices.items()},
        is_applicable=answer.is_applicable,
        reason=answer.reason if not answer.is_applicable else "",
        notes=answer.notes,
    )
    for choice_id, choice in after.choices.items():
        # SelectedChoices decides selection; a choice not marked otherwise follows it.
        if choice.status != "NOT_APPLICABLE":
            choice.status = "SELECTED" if choice_id in selected else "UNSELECTED"
    for code, choice_id in known_ids.items():
        status, reason, note = _wanted_choice(answer, code)
        now = there.choices.get(choice_id)
        current = (
            (now.status, now.reason if now.status == "NOT_APPLICABLE" else "NONE", now.notes) if now else None
        )
        if current == (status, reason, note):
            continue
        updates[choice_id] = {"Status": status, "Reason": reason, "Notes": note}
        after.choices[choice_id] = ToolChoice(status, reason, note)
    params = {
        "SelectedChoices": selected_in_order,
        "ChoiceUpdates": updates,
        "Notes": answer.notes,
        "IsApplicable": answer.is_applicable,
        "Reason": answer.reason if not answer.is_applicable else "NONE",
    }
    return QuestionPlan(
        code=question_map.question.code,
        question_id=there.question_id,
        before=there.view(),
        after=after.view(),
        params=params,
        kept_unknown=kept_unknown,
        none_withheld=none_withheld,
    )


def export_plan(
    *, review: Review, workload_arn: str = "", milestone_name: str = "", client: Any = None
) -> ExportPlan:
    """The dry run: for every question answered here, the tool's answer now and after the export. Reads only."""
    milestone_name = _milestone_name(milestone_name)
    workload = linked_workload(review, workload_arn)
    client = client or tool.connect(review, workload)
    return _plan(client, review, workload, milestone_name)


def _plan(client: Any, review: Review, workload: ToolWorkload, milestone_name: str) -> ExportPlan:
    check = lens_check(client, review, workload)
    summaries = {s.get("QuestionId"): s for s in tool.list_security_answers(client, workload.workload_id)}
    maps = question_maps(review)
    plan = ExportPlan(
        workload_arn=workload.arn, milestone_name=milestone_name, lens_version=check.tool_version
    )
    plan.unmapped_questions = [str(question_id) for question_id in summaries if question_id not in maps]
    answers = Answer.objects.filter(review=review).select_related("question").order_by("question__order")
    for answer in answers:
        question = answer.question
        if answer.risk == "UNANSWERED":
            plan.not_answered_here.append(question.code)
            continue
        summary = summaries.get(question.wa_id)
        if summary is None:
            plan.missing_there.append(question.code)
            continue
        if not summary.get("Choices"):
            # Without the tool's choices we cannot tell which of its selections we would drop: skip it.
            plan.no_choices_there.append(question.code)
            continue
        there = tool_answer(summary, tool.get_answer(client, workload.workload_id, question.wa_id))
        question_plan = _question_plan(answer, maps[question.wa_id], there, plan)
        if question_plan.changes:
            plan.questions.append(question_plan)
        else:
            plan.unchanged.append(question.code)
    return plan


@dataclass
class ExportReport:
    workload_arn: str
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_answered_here: list[str] = field(default_factory=list)
    missing_there: list[str] = field(default_factory=list)
    no_choices_there: list[str] = field(default_factory=list)
    unmapped_questions: list[str] = field(default_factory=list)
    unmapped_practices: list[str] = field(default_factory=list)
    kept_unknown: dict[str, list[str]] = field(default_factory=dict)
    milestone_number: int | None = None


def wa_export(
    *,
    review: Review,
    actor: User,
    confirm: str,
    workload_arn: str = "",
    milestone_name: str = "",
    client: Any = None,
) -> ExportReport:
    """Write the confirmed dry run to the tool: UpdateAnswer for each question that changes, then optionally a
    milestone there. `confirm` is the digest of the plan the person saw; a different plan now raises
    ExportPlanChanged and nothing is written."""
    milestone_name = _milestone_name(milestone_name)
    workload = linked_workload(review, workload_arn)
    client = client or tool.connect(review, workload)
    plan = _plan(client, review, workload, milestone_name)
    if plan.digest != confirm:
        raise ExportPlanChanged(
            "The tool's answers or this review changed since the dry run you confirmed; nothing was written. "
            "Look at the new dry run and confirm again."
        )
    report = ExportReport(
        workload_arn=plan.workload_arn,
        unchanged=plan.unchanged,
        not_answered_here=plan.not_answered_here,
        missing_there=plan.missing_there,
        no_choices_there=plan.no_choices_there,
        unmapped_questions=plan.unmapped_questions,
        unmapped_practices=plan.unmapped_practices,
    )
    for question_plan in plan.questions:
        call(
            client,
            "update_answer",
            WorkloadId=workload.workload_id,
            LensAlias=LENS_ALIAS,
            QuestionId=question_plan.question_id,
            **question_plan.params,
        )
        report.updated.append(question_plan.code)
        if question_plan.kept_unknown:
            report.kept_unknown[question_plan.code] = question_plan.kept_unknown
    if milestone_name:
        created = call(
            client,
            "create_milestone",
            WorkloadId=workload.workload_id,
            MilestoneName=milestone_name,
            ClientRequestToken=tool.milestone_token(workload, milestone_name),
        )
        report.milestone_number = created.get("MilestoneNumber")
    audit_record(
        actor=actor,
        action="watool.export",
        obj=review,
        object_repr=f"{review.workload.name} to the Well-Architected Tool",
        workload_id=review.workload_id,
        after=asdict(report),
    )
    return report
