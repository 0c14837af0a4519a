"""Answers of a review, read and changed by question code with optimistic concurrency.

The ETag of an answer is its version. A change must send `If-Match` with the ETag it was based on: a missing
one gets 428, a stale one 412 with the current answer, so two automations never silently overwrite each other.
"""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from questionnaire.models import BestPractice, Level, Question

from ..access import Action, get_review_for_user
from ..lib.display import with_display
from ..models import Answer, NotApplicableReason, Review
from ..services import AnswerConflict, answer_record
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
from .preconditions import etag, etag_list, if_match_missing, if_match_versions
from .schema import RISK_CHOICES, ErrorOut


class AnswerOut(serializers.Serializer):
    question = serializers.CharField(source="question.code", help_text="Question code, e.g. SEC3.")
    question_title = serializers.CharField(source="question.title")
    selected = serializers.ListField(child=serializers.CharField(), help_text="Selected best-practice codes.")
    none_of_these = serializers.BooleanField()
    is_applicable = serializers.BooleanField()
    reason = serializers.CharField(help_text="Why the question does not apply; empty while it applies.")
    choices_not_applicable = serializers.DictField(
        child=serializers.CharField(), help_text="Best-practice code -> why it does not apply."
    )
    choice_notes = serializers.DictField(
        child=serializers.CharField(),
        help_text="Best-practice code -> a person's note on it, such as why it does not apply.",
    )
    notes = serializers.CharField()
    risk = serializers.ChoiceField(choices=RISK_CHOICES)
    version = serializers.IntegerField(help_text="Grows on every save; the ETag.")
    updated_by = serializers.CharField(source="updated_by.username", allow_null=True, default=None)
    updated_at = serializers.DateTimeField(allow_null=True)


class BestPracticeOut(serializers.Serializer):
    code = serializers.CharField()
    choice_id = serializers.CharField(help_text="The WA Tool ChoiceId.")
    title = serializers.CharField()
    level = serializers.ChoiceField(choices=[*Level.values, ""], help_text="Risk if not established.")


class AnswerDetailOut(AnswerOut):
    best_practices = BestPracticeOut(many=True, help_text="The question's best practices, in order.")


class AnswerConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    current = AnswerDetailOut(help_text="The answer as stored now; its version is the ETag to retry with.")


class AnswerIn(serializers.Serializer):
    selected = serializers.ListField(
        child=serializers.CharField(max_length=64), max_length=50, required=False, default=list
    )
    none_of_these = serializers.BooleanField(required=False, default=False)
    is_applicable = serializers.BooleanField(required=False, default=True)
    reason = serializers.ChoiceField(
        choices=NotApplicableReason.choices, allow_blank=True, required=False, default=""
    )
    choices_not_applicable = serializers.DictField(
        child=serializers.ChoiceField(choices=NotApplicableReason.choices), required=False, default=dict
    )
    # Parsing cap only; services.answers gives the message for the real limit (250 characters).
    choice_notes = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000), required=False, default=dict
    )
    # A generous hard cap for parsing; the service gives the precise message for the real limit.
    notes = serializers.CharField(
        allow_blank=True, required=False, default="", trim_whitespace=False,
        max_length=settings.ANSWER_NOTES_MAX_LENGTH * 4,
    )  # fmt: skip


class AnswerQuery(serializers.Serializer):
    risk = serializers.ChoiceField(
        choices=RISK_CHOICES, required=False, help_text="Only answers with this risk."
    )
    ordering = ordering_field(["question", "updated_at"], default="question")


ANSWER_EXAMPLE = {
    "question": "SEC3",
    "question_title": "How do you manage permissions for people and machines?",
    "selected": ["SEC03-BP01", "SEC03-BP02"],
    "none_of_these": False,
    "is_applicable": True,
    "reason": "",
    "choices_not_applicable": {"SEC03-BP08": "OUT_OF_SCOPE"},
    "choice_notes": {"SEC03-BP08": "No cross-account sharing in this workload."},
    "notes": "Break-glass roles reviewed quarterly.",
    "risk": "HIGH",
    "version": 4,
    "updated_by": ex.USERNAME,
    "updated_at": ex.WHEN,
}
ANSWER_DETAIL_EXAMPLE = ANSWER_EXAMPLE | {
    "best_practices": [
        {
            "code": "SEC03-BP01",
            "choice_id": "sec_permissions_define",
            "title": "Define access requirements",
            "level": "HIGH",
        }
    ]
}
ANSWER_IN_EXAMPLE = {
    key: ANSWER_EXAMPLE[key]
    for key in (
        "selected",
        "none_of_these",
        "is_applicable",
        "reason",
        "choices_not_applicable",
        "choice_notes",
        "notes",
    )
}
ETAG_HEADER = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=["200"],
    description='The answer version, e.g. "4".',
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the answer you changed, e.g. "4". A stale one gets 412 with the current answer.',
)
CHANGE_RESPONSES = {
    200: AnswerDetailOut,
    412: OpenApiResponse(
        AnswerConflictOut,
        description="The answer changed since that ETag: nothing was saved; the body holds the current one.",
        examples=[
            OpenApiExample(
                "Stale",
                value={"detail": "SEC3 changed since version 3.", "current": ANSWER_DETAIL_EXAMPLE},
            )
        ],
    ),
    428: OpenApiResponse(
        ErrorOut,
        description="If-Match is missing.",
        examples=[OpenApiExample("No If-Match", value={"detail": "Send If-Match with the answer's ETag."})],
    ),
}


def _answer_for(review: Review, code: str) -> Answer:
    answer = (
        Answer.objects.select_related("question", "updated_by")
        .filter(review=review, question__code=code)
        .first()
    )
    if answer is not None:
        return answer
    question = Question.objects.filter(lens_version_id=review.lens_version_id, code=code).first()
    if question is None:
        raise NotFound(f"{review.lens_version} has no question {code}.")
    # A question added to the review's lens version after it started: unanswered, and created on first save.
    # updated_at stays None (never saved): the answer reads as not yet answered.
    return Answer(review=review, question=question, version=1)


def _detail(answer: Answer) -> dict:
    practices = list(BestPractice.objects.filter(question_id=answer.question_id).order_by("order"))
    return AnswerDetailOut(with_display(answer, best_practices=practices)).data


def _etag(answer: Answer) -> str:
    return etag(answer.version)


def _with_etag(data: dict, answer: Answer, code: int = status.HTTP_200_OK) -> Response:
    return Response(data, status=code, headers={"ETag": _etag(answer)})


class AnswerList(ApiView):
    @extend_schema(
        operation_id="answers_list",
        summary="The answers of a review",
        parameters=[AnswerQuery],
        responses=AnswerOut(many=True),
        examples=[OpenApiExample("Answers", value=ANSWER_EXAMPLE, response_only=True)],
        tags=["answers"],
    )
    def get(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id)
        query = self.query(AnswerQuery)
        answers = Answer.objects.filter(review=review).select_related("question", "updated_by")
        if "risk" in query:
            answers = answers.filter(risk=query["risk"])
        order = query["ordering"].replace("question", "question__order")
        return self.paginated(answers.order_by(order, "pk"), AnswerOut)


class AnswerDetail(ApiView):
    @extend_schema(
        operation_id="answers_retrieve",
        summary="One answer, with its ETag",
        parameters=[ETAG_HEADER],
        responses={200: AnswerDetailOut, 304: OpenApiResponse(description="Unchanged since If-None-Match.")},
        examples=[OpenApiExample("Answer", value=ANSWER_DETAIL_EXAMPLE, response_only=True)],
        tags=["answers"],
    )
    def get(self, request: ApiRequest, review_id, question_code: str) -> Response:
        review = get_review_for_user(request.user, review_id)
        answer = _answer_for(review, question_code)
        if _etag(answer) in etag_list(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": _etag(answer)})
        return _with_etag(_detail(answer), answer)

    @extend_schema(
        operation_id="answers_update",
        summary="Replace an answer",
        description="Fields left out take their empty value (nothing selected, applicable, no notes).",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=AnswerIn,
        responses=CHANGE_RESPONSES,
        examples=[
            OpenApiExample("Answer", value=ANSWER_IN_EXAMPLE, request_only=True),
            OpenApiExample("Saved", value=ANSWER_DETAIL_EXAMPLE | {"version": 5}, response_only=True),
        ],
        tags=["answers"],
    )
    def put(self, request: ApiRequest, review_id, question_code: str) -> Response:
        return self._change(request, review_id, question_code, partial=False)

    @extend_schema(
        operation_id="answers_partial_update",
        summary="Change some fields of an answer",
        description="Fields left out keep their current value.",
        parameters=[IF_MATCH, ETAG_HEADER],
        request=AnswerIn,
        responses=CHANGE_RESPONSES,
        examples=[
            OpenApiExample(
                "Notes only", value={"notes": "Reviewed with the platform team."}, request_only=True
            ),
            OpenApiExample(
                "Saved",
                value=ANSWER_DETAIL_EXAMPLE | {"version": 5, "notes": "Reviewed with the platform team."},
                response_only=True,
            ),
        ],
        tags=["answers"],
    )
    def patch(self, request: ApiRequest, review_id, question_code: str) -> Response:
        return self._change(request, review_id, question_code, partial=True)

    def _change(self, request: ApiRequest, review_id, question_code: str, *, partial: bool) -> Response:
        review = get_review_for_user(request.user, review_id, Action.EDIT)
        answer = _answer_for(review, question_code)
        if_match = request.headers.get("If-Match", "").strip()
        if if_match_missing(if_match):
            return Response(
                {"detail": f"Send If-Match with the answer's ETag (now {_etag(answer)}), as read from GET."},
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        serializer = AnswerIn(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        values = {
            "selected": answer.selected,
            "none_of_these": answer.none_of_these,
            "is_applicable": answer.is_applicable,
            "reason": answer.reason,
            "choices_not_applicable": answer.choices_not_applicable,
            "choice_notes": answer.choice_notes,
            "notes": answer.notes,
        }
        values = (values | serializer.validated_data) if partial else serializer.validated_data
        versions = if_match_versions(if_match)
        if not versions:
            return _conflict(answer)
        base = answer.version if answer.version in versions else versions[0]
        try:
            saved = answer_record(
                review=review, question=answer.question, actor=request.user, base_version=base, **values
            )
        except AnswerConflict:
            return _conflict(_answer_for(review, question_code))
        saved = Answer.objects.select_related("question", "updated_by").get(pk=saved.pk)
        return _with_etag(_detail(saved), saved)


def _conflict(answer: Answer) -> Response:
    body = {
        "detail": f"{answer.question.code} is at version {answer.version}, not the one in If-Match: "
        "nothing was saved; merge with the current answer and retry with its ETag.",
        "current": _detail(answer),
    }
    return _with_etag(body, answer, status.HTTP_412_PRECONDITION_FAILED)
