"""Stubs of the Well-Architected Tool API for tests: what ListAnswers and GetAnswer return, queued on
botocore's Stubber in the order reviewapp.wellarchitected calls them."""

from __future__ import annotations

import boto3
from botocore.stub import Stubber

from questionnaire.models import BestPractice, Question
from reviewapp.wellarchitected import LENS_ALIAS, PAGE_SIZE, PILLAR_ID

TOOL_ID = "0123456789abcdef0123456789abcdef"
ARN = f"arn:aws:wellarchitected:eu-west-1:111122223333:workload/{TOOL_ID}"


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


def stub_answers(
    stubber: Stubber,
    review,
    pages: list[list[dict]],
    notes: dict[str, str],
    unknown: frozenset[str] = frozenset(),
) -> None:
    """ListAnswers page by page, then GetAnswer per answered question we know, as wa_import calls them."""
    for index, page in enumerate(pages):
        response = {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "AnswerSummaries": page}
        if index + 1 < len(pages):
            response["NextToken"] = f"page-{index + 2}"
        stubber.add_response("list_answers", response, list_params(f"page-{index + 1}" if index else None))
    for page in pages:
        for item in page:
            answered = item["SelectedChoices"] or item["ChoiceAnswerSummaries"] or not item["IsApplicable"]
            if answered and item["QuestionId"] not in unknown:
                stubber.add_response(
                    "get_answer",
                    {
                        "WorkloadId": TOOL_ID,
                        "LensAlias": LENS_ALIAS,
                        "Answer": {
                            "QuestionId": item["QuestionId"],
                            "Notes": notes.get(item["QuestionId"], ""),
                        },
                    },
                    {"WorkloadId": TOOL_ID, "LensAlias": LENS_ALIAS, "QuestionId": item["QuestionId"]},
                )
