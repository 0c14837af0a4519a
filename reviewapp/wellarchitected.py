"""Round trips with the AWS Well-Architected Tool: import a workload's Security pillar answers into a review
here, and export a review's answers back (optionally saving a milestone there).

The tool's workload is named by its ARN; its account must be one of the workload's connected AWS accounts, and
the call goes through the same assumed role as evidence collection (checks.aws, the only place that builds
boto3 clients). Questions match by QuestionId (Question.wa_id) and choices by ChoiceId
(BestPractice.choice_id); anything that does not match is reported, never guessed.

What the tool's API gives: ListAnswers (paged, at most 50 a page) has the selected choices, per-choice
not-applicable status with its reason, and whether the question applies; it has no notes, so GetAnswer is read
for each question that has been answered there. Both directions are idempotent: an import that brings nothing
new changes nothing here (answer versions stay as they are), and an export sends the same values again.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError
from django.db import transaction

from checks.aws import AwsError, assume_role, describe_error
from checks.models import AwsTarget
from questionnaire.models import BestPractice, Question

from .audit import audit_record
from .models import Answer, NotApplicableReason, Review, User
from .services.answers import AnswerConflict, answer_record

LENS_ALIAS = "wellarchitected"
PILLAR_ID = "security"
PAGE_SIZE = 50  # ListAnswers' largest page
NONE_SUFFIX = "_no"  # the tool's "None of these" choice of a question ends so
MILESTONE_NAME_MIN, MILESTONE_NAME_MAX = 3, 100
_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):wellarchitected:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2}):"
    r"(?P<account>\d{12}):workload/(?P<id>[0-9a-f]{32})$"
)
_REASONS = set(NotApplicableReason.values)


class WaToolError(Exception):
    """The tool could not be reached or refused a call; the message says why, for a person."""


@dataclass(frozen=True)
class ToolWorkload:
    arn: str
    region: str
    account_id: str
    workload_id: str


def parse_workload_arn(arn: str) -> ToolWorkload:
    match = _ARN.match(arn.strip())
    if match is None:
        raise ValidationError(
            {
                "workload_arn": [
                    "Enter the workload ARN from the Well-Architected Tool, such as "
                    "arn:aws:wellarchitected:eu-west-1:111122223333:workload/0123456789abcdef0123456789abcdef."
                ]
            }
        )
    return ToolWorkload(arn.strip(), match["region"], match["account"], match["id"])


def connect(review: Review, tool: ToolWorkload) -> Any:
    """A `wellarchitected` client in the tool workload's account, through that account's connected role."""
    target = AwsTarget.objects.filter(workload_id=review.workload_id, account_id=tool.account_id).first()
    if target is None:
        raise ValidationError(
            {
                "workload_arn": [
                    f"Account {tool.account_id} is not connected to {review.workload.name}: connect it under "
                    "AWS accounts first, with a role allowed to use the Well-Architected Tool."
                ]
            }
        )
    try:
        account = assume_role(target, f"watool-{uuid.uuid4().hex[:12]}", region=tool.region)
    except AwsError as exc:
        raise WaToolError(exc.message) from exc
    return account.client("wellarchitected", tool.region)


def _call(client: Any, operation: str, **params: Any) -> dict:
    try:
        return getattr(client, operation)(**params)
    except (ClientError, BotoCoreError) as exc:
        _code, message = describe_error(exc)
        raise WaToolError(f"The Well-Architected Tool refused: {message}") from exc


def list_security_answers(client: Any, workload_id: str) -> list[dict]:
    """Every Security pillar answer summary of the tool's workload, following NextToken to the last page."""
    summaries: list[dict] = []
    params = {
        "WorkloadId": workload_id,
        "LensAlias": LENS_ALIAS,
        "PillarId": PILLAR_ID,
        "MaxResults": PAGE_SIZE,
    }
    while True:
        page = _call(client, "list_answers", **params)
        summaries.extend(page.get("AnswerSummaries", []))
        token = page.get("NextToken")
        if not token:
            return summaries
        params["NextToken"] = token


# --- Mapping ------------------------------------------------------------------------------------------------


@dataclass
class _QuestionMap:
    question: Question
    code_by_choice: dict[str, str]  # tool ChoiceId -> our BP code
    choice_by_code: dict[str, str]  # our BP code -> tool ChoiceId


def _question_maps(review: Review) -> dict[str, _QuestionMap]:
    """Our questions of the review's lens version by WA QuestionId, with their choice mappings."""
    questions = {q.pk: q for q in Question.objects.filter(lens_version_id=review.lens_version_id)}
    maps = {q.wa_id: _QuestionMap(q, {}, {}) for q in questions.values()}
    by_id = {q.pk: maps[q.wa_id] for q in questions.values()}
    for question_id, code, choice_id in BestPractice.objects.filter(
        question__lens_version_id=review.lens_version_id
    ).values_list("question_id", "code", "choice_id"):
        by_id[question_id].code_by_choice[choice_id] = code
        by_id[question_id].choice_by_code[code] = choice_id
    return maps


def _reason(value: str | None) -> str:
    # The tool allows "NONE" (no reason given); we always keep a reason for what does not apply.
    return value if value in _REASONS else NotApplicableReason.OTHER


def _is_none_choice(choice_id: str, question_map: _QuestionMap) -> bool:
    return choice_id.endswith(NONE_SUFFIX) and choice_id not in question_map.code_by_choice


# --- Import -------------------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    workload_arn: str
    dry_run: bool
    changed: list[str] = field(default_factory=list)  # question codes
    unchanged: list[str] = field(default_factory=list)
    not_answered_there: list[str] = field(default_factory=list)
    unmapped_questions: list[str] = field(default_factory=list)  # tool QuestionIds
    unmapped_choices: list[tuple[str, str]] = field(default_factory=list)  # (tool QuestionId, ChoiceId)


def _answered_there(summary: dict) -> bool:
    choices = summary.get("ChoiceAnswerSummaries") or []
    return bool(
        summary.get("SelectedChoices")
        or summary.get("IsApplicable") is False
        or any(choice.get("Status") == "NOT_APPLICABLE" for choice in choices)
    )


def _imported_values(summary: dict, notes: str, question_map: _QuestionMap, report: ImportReport) -> dict:
    question_id = summary["QuestionId"]
    selected: list[str] = []
    none_of_these = False
    for choice_id in summary.get("SelectedChoices") or []:
        if choice_id in question_map.code_by_choice:
            selected.append(question_map.code_by_choice[choice_id])
        elif _is_none_choice(choice_id, question_map):
            none_of_these = True
        else:
            report.unmapped_choices.append((question_id, choice_id))
    not_applicable: dict[str, str] = {}
    for choice in summary.get("ChoiceAnswerSummaries") or []:
        if choice.get("Status") != "NOT_APPLICABLE":
            continue
        code = question_map.code_by_choice.get(choice["ChoiceId"])
        if code is None:
            if (question_id, choice["ChoiceId"]) not in report.unmapped_choices:
                report.unmapped_choices.append((question_id, choice["ChoiceId"]))
            continue
        not_applicable[code] = _reason(choice.get("Reason"))
    is_applicable = summary.get("IsApplicable", True) is not False
    if not is_applicable:
        # The tool keeps a question's choices while it is marked not applicable and ignores them; here an
        # answer cannot say both (services.answers), so the tool's own reading wins: it does not apply.
        selected, none_of_these = [], False
    return {
        "selected": [code for code in selected if code not in not_applicable],
        "none_of_these": none_of_these and not selected,
        "is_applicable": is_applicable,
        "reason": "" if is_applicable else _reason(summary.get("Reason")),
        "choices_not_applicable": not_applicable,
        "notes": notes,
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
    }


def wa_import(
    *, review: Review, actor: User, workload_arn: str, dry_run: bool = False, client: Any = None
) -> ImportReport:
    """Bring the tool workload's Security pillar answers into `review`, all or nothing.

    Questions not answered in the tool are left alone here. With `dry_run`, only report what would change.
    """
    tool = parse_workload_arn(workload_arn)
    client = client or connect(review, tool)
    summaries = list_security_answers(client, tool.workload_id)
    maps = _question_maps(review)
    report = ImportReport(workload_arn=tool.arn, dry_run=dry_run)
    planned: list[tuple[_QuestionMap, dict]] = []
    for summary in summaries:
        question_map = maps.get(summary.get("QuestionId", ""))
        if question_map is None:
            report.unmapped_questions.append(summary.get("QuestionId", ""))
            continue
        code = question_map.question.code
        if not _answered_there(summary):
            report.not_answered_there.append(code)
            continue
        answer = _call(
            client,
            "get_answer",
            WorkloadId=tool.workload_id,
            LensAlias=LENS_ALIAS,
            QuestionId=summary["QuestionId"],
        )["Answer"]
        planned.append(
            (question_map, _imported_values(summary, answer.get("Notes") or "", question_map, report))
        )

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
                after=_report_dict(report),
            )
    report.changed.sort(key=_code_order(maps))
    return report


# --- Export -------------------------------------------------------------------------------------------------


@dataclass
class ExportReport:
    workload_arn: str
    updated: list[str] = field(default_factory=list)  # question codes
    not_answered_here: list[str] = field(default_factory=list)
    missing_there: list[str] = field(default_factory=list)  # our question codes the tool workload lacks
    unmapped_practices: list[str] = field(default_factory=list)  # our BP codes with no choice there
    milestone_number: int | None = None


def _update_params(answer: Answer, question_map: _QuestionMap, summary: dict, report: ExportReport) -> dict:
    there = {choice["ChoiceId"] for choice in summary.get("Choices") or []}
    none_choice = next((c for c in sorted(there) if _is_none_choice(c, question_map)), None)
    selected = []
    for code in answer.selected:
        choice_id = question_map.choice_by_code.get(code)
        if choice_id is not None and choice_id in there:
            selected.append(choice_id)
        else:
            report.unmapped_practices.append(code)
    if answer.none_of_these and none_choice:
        selected.append(none_choice)
    updates: dict[str, dict] = {}
    for code, why in answer.choices_not_applicable.items():
        choice_id = question_map.choice_by_code.get(code)
        if choice_id is not None and choice_id in there:
            updates[choice_id] = {"Status": "NOT_APPLICABLE", "Reason": why}
        elif code not in report.unmapped_practices:
            report.unmapped_practices.append(code)
    # A choice marked not applicable there but not here goes back to plain (un)selected.
    for choice in summary.get("ChoiceAnswerSummaries") or []:
        if choice.get("Status") == "NOT_APPLICABLE" and choice["ChoiceId"] not in updates:
            status = "SELECTED" if choice["ChoiceId"] in selected else "UNSELECTED"
            updates[choice["ChoiceId"]] = {"Status": status, "Reason": "NONE"}
    return {
        "SelectedChoices": selected,
        "ChoiceUpdates": updates,
        "Notes": answer.notes,
        "IsApplicable": answer.is_applicable,
        "Reason": answer.reason if not answer.is_applicable else "NONE",
    }


def milestone_token(review: Review, name: str) -> str:
    """The same review and milestone name give the same token, so a retried export saves one milestone."""
    return hashlib.sha256(f"{review.pk}:{name}".encode()).hexdigest()


def wa_export(
    *, review: Review, actor: User, workload_arn: str, milestone_name: str = "", client: Any = None
) -> ExportReport:
    """Write the review's answered questions to the tool workload (UpdateAnswer each), then optionally save a
    milestone there. Unanswered questions are not sent, so they never wipe an answer given in the tool."""
    tool = parse_workload_arn(workload_arn)
    milestone_name = " ".join(milestone_name.split())
    if milestone_name and not MILESTONE_NAME_MIN <= len(milestone_name) <= MILESTONE_NAME_MAX:
        raise ValidationError(
            {
                "milestone_name": [
                    f"Milestone names there are {MILESTONE_NAME_MIN}-{MILESTONE_NAME_MAX} characters."
                ]
            }
        )
    client = client or connect(review, tool)
    summaries = {
        summary.get("QuestionId"): summary for summary in list_security_answers(client, tool.workload_id)
    }
    maps = _question_maps(review)
    report = ExportReport(workload_arn=tool.arn)
    answers = Answer.objects.filter(review=review).select_related("question").order_by("question__order")
    for answer in answers:
        question = answer.question
        if answer.risk == "UNANSWERED":
            report.not_answered_here.append(question.code)
            continue
        summary = summaries.get(question.wa_id)
        if summary is None:
            report.missing_there.append(question.code)
            continue
        params = _update_params(answer, maps[question.wa_id], summary, report)
        _call(
            client,
            "update_answer",
            WorkloadId=tool.workload_id,
            LensAlias=LENS_ALIAS,
            QuestionId=question.wa_id,
            **params,
        )
        report.updated.append(question.code)
    if milestone_name:
        created = _call(
            client,
            "create_milestone",
            WorkloadId=tool.workload_id,
            MilestoneName=milestone_name,
            ClientRequestToken=milestone_token(review, milestone_name),
        )
        report.milestone_number = created.get("MilestoneNumber")
    audit_record(
        actor=actor,
        action="watool.export",
        obj=review,
        object_repr=f"{review.workload.name} to the Well-Architected Tool",
        workload_id=review.workload_id,
        after=_report_dict(report),
    )
    return report


def _report_dict(report: ImportReport | ExportReport) -> dict:
    return asdict(report)


def _code_order(maps: dict[str, _QuestionMap]):
    order = {question_map.question.code: question_map.question.order for question_map in maps.values()}
    return lambda code: order.get(code, 0)
