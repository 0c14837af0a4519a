"""Stubs of the Well-Architected Tool API for tests, queued on botocore's Stubber in the order
reviewapp.wellarchitected calls them. Stubber checks every request against botocore's model (parameter names,
types, lengths, enums) and every response against the output shape, so a call the real API would refuse
fails here too.

fixtures/watool_security_answers.json is a recorded-style paging sequence of all 11 Security questions: three
ListAnswers pages and a GetAnswer for each answered question, built from botocore's shapes (see its _about).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import boto3
from botocore.stub import Stubber

from questionnaire.models import BestPractice, Question
from reviewapp.wellarchitected import LENS_ALIAS, PAGE_SIZE, PILLAR_ID

TOOL_ID = "0123456789abcdef0123456789abcdef"
ARN = f"arn:aws:wellarchitected:eu-west-1:111122223333:workload/{TOOL_ID}"
LENS_VERSION = "2024-06-27"
FIXTURE = Path(__file__).parent / "fixtures" / "watool_security_answers.json"


def tool_client():
    # Only for the Stubber: application code gets its clients from checks.aws.
    return boto3.client(
        "wellarchitected", region_name="eu-west-1", aws_access_key_id="test", aws_secret_access_key="test"
    )


def choices_of(review, code: str) -> list[dict]:
    practices = BestPractice.objects.filter(question__lens_version=review.lens_version, question__code=code)
    choices = [{"ChoiceId": bp.choice_id, "Title": bp.title} for bp in practices.order_by("order")]
    wa_id = Question.objects.get(lens_version=review.lens_version, code=code).wa_id
    return [*choices, {"ChoiceId": f"sec_{wa_id.replace('-', '_')}_no", "Title": "None of these"}]


def wa_id(review, code: str) -> str:
    return Question.objects.get(lens_version=review.lens_version, code=code).wa_id


def summary(review, code: str, selected=(), not_applicable=None, is_applicable=True, reason=None) -> dict:
    choice_summaries = [
        {"ChoiceId": choice_id, "Status": "NOT_APPLICABLE", "Reason": why}
        for choice_id, why in (not_applicable or {}).items()
    ]
    result = {
        "QuestionId": wa_id(review, code),
        "PillarId": PILLAR_ID,
        "QuestionTitle": code,
        "Choices": choices_of(review, code),
        "SelectedChoices": list(selected),
        "ChoiceAnswerSummaries": choice_summaries,
        "IsApplicable": is_applicable,
        "Risk": "HIGH" if selected or not_applicable or not is_applicable else "UNANSWERED",
    }
    if reason:
        result["Reason"] = reason
    return result


def list_params(token: str | None = None) -> dict:
    params = {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "PillarId": PILLAR_ID, "MaxResults": PAGE_SIZE}
    if token:
        params["NextToken"] = token
    return params


def answer_params(question_id: str) -> dict:
    return {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "QuestionId": question_id}


def stub_lens_review(stubber: Stubber, version: str = LENS_VERSION, status: str = "CURRENT") -> None:
    stubber.add_response(
        "get_lens_review",
        {
            "WorkloadId": TOOL_ID,
            "LensReview": {
                "LensAlias": LENS_ALIAS,
                "LensArn": "arn:aws:wellarchitected::aws:lens/wellarchitected",
                "LensVersion": version,
                "LensName": "AWS Well-Architected Framework",
                "LensStatus": status,
            },
        },
        {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS},
    )


def stub_pages(stubber: Stubber, pages: list[list[dict]]) -> None:
    for index, page in enumerate(pages):
        response = {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "AnswerSummaries": page}
        if index + 1 < len(pages):
            response["NextToken"] = f"page-{index + 2}"
        stubber.add_response("list_answers", response, list_params(f"page-{index + 1}" if index else None))


def stub_get_answer(
    stubber: Stubber, item: dict, notes: str = "", choice_answers: list | None = None
) -> None:
    answer = {"QuestionId": item["QuestionId"], "Notes": notes}
    if choice_answers is not None:
        answer["ChoiceAnswers"] = choice_answers
    stubber.add_response(
        "get_answer",
        {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "Answer": answer},
        answer_params(item["QuestionId"]),
    )


def stub_answers(
    stubber: Stubber,
    review,
    pages: list[list[dict]],
    notes: dict[str, str],
    unknown: frozenset[str] = frozenset(),
    choice_answers: dict[str, list] | None = None,
) -> None:
    """GetLensReview, ListAnswers page by page, then GetAnswer per answered question we know: wa_import's calls."""
    stub_lens_review(stubber)
    stub_pages(stubber, pages)
    for page in pages:
        for item in page:
            answered = item["SelectedChoices"] or item["ChoiceAnswerSummaries"] or not item["IsApplicable"]
            if answered and item["QuestionId"] not in unknown:
                question_id = item["QuestionId"]
                stub_get_answer(
                    stubber, item, notes.get(question_id, ""), (choice_answers or {}).get(question_id)
                )


def stub_export_reads(
    stubber: Stubber, items: list[dict], answered_here: list[str], notes: dict | None = None
) -> None:
    """What export_plan reads: GetLensReview, one ListAnswers page, GetAnswer for each question answered here
    (by QuestionId, in our order) that the tool lists with choices."""
    stub_lens_review(stubber)
    stub_pages(stubber, [items])
    by_id = {item["QuestionId"]: item for item in items}
    for question_id in answered_here:
        item = by_id.get(question_id)
        if item is not None and item.get("Choices"):
            stub_get_answer(stubber, item, (notes or {}).get(question_id, ""))


@cache
def recorded() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def stub_recorded_reads(stubber: Stubber, get_answer_ids: list[str]) -> None:
    """The recorded workload: GetLensReview, its three ListAnswers pages, then GetAnswer for `get_answer_ids`."""
    stub_lens_review(stubber)
    data = recorded()
    for index, page in enumerate(data["list_answers"]):
        stubber.add_response("list_answers", page, list_params(f"page-{index + 1}" if index else None))
    for question_id in get_answer_ids:
        stubber.add_response("get_answer", data["get_answer"][question_id], answer_params(question_id))


def recorded_answered_ids() -> list[str]:
    return list(recorded()["get_answer"])
