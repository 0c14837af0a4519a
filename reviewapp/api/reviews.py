"""Reviews of a workload: list, start, and one review with the risk of every question."""

from __future__ import annotations

from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from questionnaire.models import Lens
from questionnaire.rating import Risk

from ..access import Action, get_review_for_user, get_workload_for_user
from ..lib.display import with_display
from ..models import Review
from ..risk import RiskCounts
from ..selectors import review_summary
from ..services import review_start
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
from .schema import RISK_CHOICES


class CountsOut(serializers.Serializer):
    high = serializers.IntegerField()
    medium = serializers.IntegerField()
    none = serializers.IntegerField()
    not_applicable = serializers.IntegerField()
    unanswered = serializers.IntegerField()


class LensVersionRefOut(serializers.Serializer):
    number = serializers.IntegerField()
    # The output key "label" shadows DRF's Field.label attribute, for the type checker only.
    label = serializers.CharField()  # type: ignore[assignment]


class ReviewOut(serializers.Serializer):
    id = serializers.UUIDField()
    workload = serializers.UUIDField(source="workload_id")
    lens = serializers.CharField(source="lens.slug")
    lens_name = serializers.CharField(source="lens.name")
    lens_version = LensVersionRefOut()
    counts = CountsOut(help_text="How many questions carry each risk.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class QuestionRiskOut(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    area = serializers.CharField()
    risk = serializers.ChoiceField(choices=RISK_CHOICES)
    answered = serializers.BooleanField()
    not_applicable = serializers.BooleanField()
    missing = serializers.SerializerMethodField(help_text="Codes of applicable best practices not selected.")

    def get_missing(self, row) -> list[str]:
        return [practice.code for practice in row.missing]


class AreaOut(serializers.Serializer):
    name = serializers.CharField()
    counts = CountsOut()


class ReviewDetailOut(ReviewOut):
    percent_done = serializers.IntegerField(help_text="Answered applicable questions, in percent.")
    areas = AreaOut(many=True)
    questions = QuestionRiskOut(many=True)


class ReviewStartIn(serializers.Serializer):
    lens = serializers.SlugField(
        required=False,
        max_length=100,
        help_text="Slug of the lens to review against; default: the Security pillar.",
    )


class ReviewQuery(serializers.Serializer):
    ordering = ordering_field(["created_at", "updated_at"], default="created_at")


COUNTS_EXAMPLE = {"high": 2, "medium": 3, "none": 4, "not_applicable": 1, "unanswered": 1}
REVIEW_EXAMPLE = {
    "id": ex.REVIEW_ID,
    "workload": ex.WORKLOAD_ID,
    "lens": "wellarchitected-security",
    "lens_name": "Security pillar",
    "lens_version": {"number": 1, "label": "2025.1"},
    "counts": COUNTS_EXAMPLE,
    "created_at": ex.WHEN,
    "updated_at": ex.LATER,
}
REVIEW_DETAIL_EXAMPLE = REVIEW_EXAMPLE | {
    "percent_done": 90,
    "areas": [{"name": "Security foundations", "counts": COUNTS_EXAMPLE}],
    "questions": [
        {
            "code": "SEC1",
            "title": "How do you securely operate your workload?",
            "area": "Security foundations",
            "risk": "HIGH",
            "answered": True,
            "not_applicable": False,
            "missing": ["SEC01-BP07"],
        }
    ],
}


def _counted(reviews):
    return reviews.annotate(
        **{
            f"count_{risk.value.lower()}": Count("answers", filter=Q(answers__risk=risk.value))
            for risk in Risk
        }
    )


def _counts(review: Review) -> RiskCounts:
    return RiskCounts(**{risk.value.lower(): getattr(review, f"count_{risk.value.lower()}") for risk in Risk})


def _review_data(review: Review) -> Review:
    return with_display(review, counts=_counts(review))


class ReviewList(ApiView):
    @extend_schema(
        operation_id="reviews_list",
        summary="The reviews of a workload",
        parameters=[ReviewQuery],
        responses=ReviewOut(many=True),
        examples=[OpenApiExample("Reviews", value=REVIEW_EXAMPLE, response_only=True)],
        tags=["reviews"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        query = self.query(ReviewQuery)
        reviews = _counted(Review.objects.filter(workload=workload).select_related("lens", "lens_version"))
        reviews = [_review_data(review) for review in reviews.order_by(query["ordering"], "pk")]
        return self.paginated(reviews, ReviewOut)

    @extend_schema(
        operation_id="reviews_start",
        summary="Start a review of a workload",
        request=ReviewStartIn,
        responses={201: ReviewOut},
        examples=[
            OpenApiExample("Security pillar", value={"lens": "wellarchitected-security"}, request_only=True),
            OpenApiExample(
                "Started",
                value=REVIEW_EXAMPLE | {"counts": COUNTS_EXAMPLE | {"high": 0, "medium": 0, "none": 0}},
                response_only=True,
                status_codes=["201"],
            ),
        ],
        tags=["reviews"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
        serializer = ReviewStartIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        lens = None
        if "lens" in serializer.validated_data:
            lens = Lens.objects.filter(slug=serializer.validated_data["lens"]).first()
            if lens is None:
                raise serializers.ValidationError({"lens": ["No such lens."]})
        review = review_start(workload=workload, actor=request.user, lens=lens)
        review = _counted(Review.objects.filter(pk=review.pk).select_related("lens", "lens_version")).get()
        return Response(ReviewOut(_review_data(review)).data, status=status.HTTP_201_CREATED)


class ReviewDetail(ApiView):
    @extend_schema(
        operation_id="reviews_retrieve",
        summary="A review with the risk of each question",
        responses=ReviewDetailOut,
        examples=[OpenApiExample("Review", value=REVIEW_DETAIL_EXAMPLE, response_only=True)],
        tags=["reviews"],
    )
    def get(self, request: ApiRequest, review_id) -> Response:
        review = get_review_for_user(request.user, review_id)
        summary = review_summary(review, with_missing=True)
        with_display(
            review,
            counts=summary.counts,
            percent_done=summary.percent_done,
            areas=summary.areas,
            questions=summary.rows,
        )
        return Response(ReviewDetailOut(review).data)
