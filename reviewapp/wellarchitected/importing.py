"""Import: the tool workload's Security pillar answers into a review here, all or nothing.

Reasons come across 1:1 (the tool's NONE stays NONE), with choice-level notes; questions on either side that
the other lacks are reported. An import that brings nothing new changes nothing (answer versions stay).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ..audit import audit_record
from ..models import Answer, Review, User
from ..services.answers import AnswerConflict, answer_record
from . import tool
from .linking import lens_check, linked_workload
from .mapping import QuestionMap, answered_there, question_maps, tool_answer, tool_reason


@dataclass
class ImportReport:
    workload_arn: str
    dry_run: bool
    lens_version: str = ""
    changed: list[str] = field(default_factory=list)  # question codes
    unchanged: list[str] = field(default_factory=list)
    not_answered_there: list[str] = field(default_factory=list)
    missing_there: list[str] = field(default_factory=list)  # our question codes the tool workload lacks
    unmapped_questions: list[str] = field(default_factory=list)  # tool QuestionIds not in this lens version
    unmapped_choices: list[tuple[str, str]] = field(default_factory=list)  # (tool QuestionId, ChoiceId)


def _unmapped(report: ImportReport, question_id: str, choice_id: str) -> None:
    if (question_id, choice_id) not in report.unmapped_choices:
        report.unmapped_choices.append((question_id, choice_id))


def _imported_values(summary: dict, answer: dict, question_map: QuestionMap, report: ImportReport) -> dict:
    there = tool_answer(summary, answer)
    selected: list[str] = []
    none_of_these = False
    for choice_id in there.selected:
        if choice_id in question_map.code_by_choice:
            selected.append(question_map.code_by_choice[choice_id])
        elif question_map.is_none_choice(choice_id):
            none_of_these = True
        else:
            _unmapped(report, there.question_id, choice_id)
    if not there.is_applicable:
        # The tool keeps a question's choices while it is marked not applicable and ignores them; here an
        # answer cannot say both (services.answers), so the tool's own reading wins: it does not apply.
        selected, none_of_these = [], False
    not_applicable: dict[str, str] = {}
    choice_notes: dict[str, str] = {}
    for choice_id, choice in there.choices.items():
        code = question_map.code_by_choice.get(choice_id)
        if code is None:
            if choice.status == "NOT_APPLICABLE" or choice.notes:
                _unmapped(report, there.question_id, choice_id)
            continue
        if choice.status == "NOT_APPLICABLE":
            not_applicable[code] = tool_reason(choice.reason)
        if choice.notes:
            choice_notes[code] = choice.notes
    return {
        "selected": [code for code in selected if code not in not_applicable],
        "none_of_these": none_of_these and not selected,
        "is_applicable": there.is_applicable,
        "reason": "" if there.is_applicable else tool_reason(there.reason),
        "choices_not_applicable": not_applicable,
        "notes": there.notes,
        "choice_notes": choice_notes,
    }


def _current_values(answer: Answer | None) -> dict | None:
    if answer is None:
        return None
    return {
        "selected": sorted(answer.selected),
        "none_of_these": answer.none_of_these,
        "is_applicable": answer.is_applicable,
        "reason": answer.reason if not answer.is_applicable else "",
        "choices_not_applicable": dict(answer.choices_not_applicable),
        "notes": answer.notes,
        "choice_notes": dict(answer.choice_notes),
    }


def wa_import(
    *, review: Review, actor: User, workload_arn: str = "", dry_run: bool = False, client: Any = None
) -> ImportReport:
    """Bring the tool workload's Security pillar answers into `review`, all or nothing.

    Questions not answered in the tool are left alone here. With `dry_run`, only report what would change.
    """
    workload = linked_workload(review, workload_arn)
    client = client or tool.connect(review, workload)
    check = lens_check(client, review, workload)
    summaries = tool.list_security_answers(client, workload.workload_id)
    maps = question_maps(review)
    report = ImportReport(workload_arn=workload.arn, dry_run=dry_run, lens_version=check.tool_version)
    planned: list[tuple[QuestionMap, dict]] = []
    seen: set[str] = set()
    for summary in summaries:
        question_id = summary.get("QuestionId", "")
        question_map = maps.get(question_id)
        if question_map is None:
            report.unmapped_questions.append(question_id)
            continue
        seen.add(question_id)
        if not answered_there(summary):
            report.not_answered_there.append(question_map.question.code)
            continue
        tool_answer = tool.get_answer(client, workload.workload_id, question_id)
        planned.append((question_map, _imported_values(summary, tool_answer, question_map, report)))
    report.missing_there = [qm.question.code for wa_id, qm in maps.items() if wa_id not in seen]
    order = {qm.question.code: qm.question.order for qm in maps.values()}
    planned.sort(key=lambda entry: entry[0].question.order)
    report.not_answered_there.sort(key=order.__getitem__)

    with transaction.atomic():
        current = {
            answer.question_id: answer for answer in Answer.objects.select_for_update().filter(review=review)
        }
        for question_map, values in planned:
            question = question_map.question
            answer = current.get(question.pk)
            if _current_values(answer) == values | {"selected": sorted(values["selected"])}:
                report.unchanged.append(question.code)
                continue
            report.changed.append(question.code)
            if dry_run:
                continue
            try:
                answer_record(
                    review=review,
                    question=question,
                    actor=actor,
                    base_version=answer.version if answer else 1,
                    **values,
                )
            except ValidationError as exc:
                raise ValidationError(
                    {
                        "workload_arn": [
                            f"{question.code} from the tool cannot be saved here: {'; '.join(exc.messages)}"
                        ]
                    }
                ) from exc
            except AnswerConflict as exc:
                raise ValidationError(
                    {
                        "workload_arn": [
                            f"{question.code} changed here during the import; nothing was imported."
                        ]
                    }
                ) from exc
        if not dry_run:
            audit_record(
                actor=actor,
                action="watool.import",
                obj=review,
                object_repr=f"{review.workload.name} from the Well-Architected Tool",
                workload_id=review.workload_id,
                after=asdict(report),
            )
    return report
