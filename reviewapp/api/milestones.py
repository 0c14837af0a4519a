"""Milestones: save one (an immutable, hashed snapshot of a review), list them, read one, compare two."""

from __future__ import annotations

from django.db.models.fields.json import KT
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from questionnaire.rating import Risk

from ..access import Action, get_milestone_for_user, get_workload_for_user
from ..lib.display import with_display
from ..models import Milestone, Review
from ..risk import RiskCounts
from ..services.milestones import (
    NAME_MAX_LENGTH,
    compare_snapshots,
    milestone_create,
    milestone_verify,
    review_snapshot,
)
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
from .reviews import COUNTS_EXAMPLE, CountsOut
from .schema import RISK_CHOICES

_COUNT_FIELDS = [risk.value.lower() for risk in Risk]


class MilestoneOut(serializers.Serializer):
    id = serializers.UUIDField()
    workload = serializers.UUIDField(source="workload_id")
    review = serializers.UUIDField(source="review_id")
    name = serializers.CharField()
    lens_version = serializers.IntegerField(source="lens_version.number", help_text="Lens version number.")
    counts = CountsOut(help_text="How many questions carried each risk.")
    sha256 = serializers.CharField(help_text="SHA-256 of the canonical snapshot JSON.")
    created_by = serializers.CharField(source="created_by.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()


class MilestoneDetailOut(MilestoneOut):
    verified = serializers.BooleanField(
        help_text="The stored snapshot still matches its SHA-256 and its fingerprint keyed with the audit key."
    )
    snapshot = serializers.JSONField(help_text="The frozen review: answers, risks, items and lens version.")


class MilestoneCreateIn(serializers.Serializer):
    name = serializers.CharField(
        max_length=NAME_MAX_LENGTH * 2, help_text="Unique per workload, ignoring case."
    )
    review = serializers.UUIDField(
        required=False, help_text="The review to freeze; may be left out when the workload has one review."
    )


class MilestoneQuery(serializers.Serializer):
    ordering = ordering_field(["created_at", "name"], default="created_at")


class CompareQuery(serializers.Serializer):
    to = serializers.CharField(
        required=False,
        default="now",
        max_length=36,
        help_text='The later side: another milestone id of the same workload, or "now" (the default).',
    )


class PracticeRefOut(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    level = serializers.CharField()


class QuestionChangeOut(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    risk_before = serializers.ChoiceField(
        choices=RISK_CHOICES, allow_null=True, help_text="null: not in that lens."
    )
    risk_after = serializers.ChoiceField(choices=RISK_CHOICES, allow_null=True)
    changed = serializers.BooleanField()
    adopted = PracticeRefOut(many=True)
    dropped = PracticeRefOut(many=True)


class ItemChangeOut(serializers.Serializer):
    bp_code = serializers.CharField()
    title = serializers.CharField()
    status_before = serializers.CharField(allow_null=True)
    status_after = serializers.CharField(allow_null=True)


class ComparisonOut(serializers.Serializer):
    before_name = serializers.CharField()
    after_name = serializers.CharField()
    counts_before = CountsOut()
    counts_after = CountsOut()
    questions = QuestionChangeOut(many=True)
    items_closed = ItemChangeOut(many=True, help_text="Items that left the plan (adopted, N/A or done).")
    items_opened = ItemChangeOut(many=True, help_text="Items that came onto the plan.")


MILESTONE_EXAMPLE = {
    "id": ex.MILESTONE_ID,
    "workload": ex.WORKLOAD_ID,
    "review": ex.REVIEW_ID,
    "name": "Before the Q2 release",
    "lens_version": 1,
    "counts": COUNTS_EXAMPLE,
    "sha256": "9f2c0e5b7d4a1c3e8f6b2d0a4c6e8f1b3d5a7c9e0f2b4d6a8c1e3f5b7d9a0c2e",
    "created_by": ex.USERNAME,
    "created_at": ex.WHEN,
}
COMPARISON_EXAMPLE = {
    "before_name": "Before the Q2 release",
    "after_name": "Now",
    "counts_before": COUNTS_EXAMPLE,
    "counts_after": COUNTS_EXAMPLE | {"high": 1, "none": 5},
    "questions": [
        {
            "code": "SEC3",
            "title": "How do you manage permissions for people and machines?",
            "risk_before": "HIGH",
            "risk_after": "NONE",
            "changed": True,
            "adopted": [
                {"code": "SEC03-BP07", "title": "Analyze public and cross-account access", "level": "HIGH"}
            ],
            "dropped": [],
        }
    ],
    "items_closed": [
        {
            "bp_code": "SEC03-BP07",
            "title": "Analyze public and cross-account access",
            "status_before": "IN_PROGRESS",
            "status_after": "DONE",
        }
    ],
    "items_opened": [],
}


def _milestones():
    # The snapshot can be large: lists read only its counts.
    counts = {f"count_{name}": KT(f"snapshot__counts__{name}") for name in _COUNT_FIELDS}
    return Milestone.objects.select_related("lens_version", "created_by").defer("snapshot").annotate(**counts)


def _with_counts(milestone: Milestone) -> Milestone:
    counts = RiskCounts(**{name: int(getattr(milestone, f"count_{name}") or 0) for name in _COUNT_FIELDS})
    return with_display(milestone, counts=counts)


class MilestoneList(ApiView):
    @extend_schema(
        operation_id="milestones_list",
        summary="A workload's milestones",
        parameters=[MilestoneQuery],
        responses=MilestoneOut(many=True),
        examples=[OpenApiExample("Milestones", value=MILESTONE_EXAMPLE, response_only=True)],
        tags=["milestones"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        query = self.query(MilestoneQuery)
        milestones = _milestones().filter(workload=workload).order_by(query["ordering"], "pk")
        return self.paginated([_with_counts(milestone) for milestone in milestones], MilestoneOut)

    @extend_schema(
        operation_id="milestones_create",
        summary="Save a milestone of a review",
        request=MilestoneCreateIn,
        responses={201: MilestoneOut},
        examples=[
            OpenApiExample(
                "Milestone",
                value={"name": "Before the Q2 release", "review": ex.REVIEW_ID},
                request_only=True,
            ),
            OpenApiExample("Saved", value=MILESTONE_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["milestones"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
        serializer = MilestoneCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        reviews = Review.objects.filter(workload=workload).select_related("lens_version", "workload")
        if "review" in serializer.validated_data:
            review = reviews.filter(pk=serializer.validated_data["review"]).first()
            if review is None:
                raise serializers.ValidationError({"review": ["No such review of this workload."]})
        else:
            candidates = list(reviews[:2])
            if len(candidates) != 1:
                problem = (
                    "The workload has no review yet." if not candidates else "Name the review to freeze."
                )
                raise serializers.ValidationError({"review": [problem]})
            review = candidates[0]
        milestone = milestone_create(
            review=review, actor=request.user, name=serializer.validated_data["name"]
        )
        milestone = _with_counts(_milestones().get(pk=milestone.pk))
        return Response(MilestoneOut(milestone).data, status=status.HTTP_201_CREATED)


class MilestoneDetail(ApiView):
    @extend_schema(
        operation_id="milestones_retrieve",
        summary="A milestone with its snapshot",
        responses=MilestoneDetailOut,
        examples=[
            OpenApiExample(
                "Milestone",
                value=MILESTONE_EXAMPLE
                | {
                    "verified": True,
                    "snapshot": {"format": "reviewapp-milestone/1", "name": "Before the Q2 release"},
                },
                response_only=True,
            )
        ],
        tags=["milestones"],
    )
    def get(self, request: ApiRequest, milestone_id) -> Response:
        milestone = get_milestone_for_user(request.user, milestone_id, queryset=_milestones().defer(None))
        milestone = with_display(_with_counts(milestone), verified=milestone_verify(milestone))
        return Response(MilestoneDetailOut(milestone).data)


class MilestoneCompare(ApiView):
    @extend_schema(
        operation_id="milestones_compare",
        summary="Compare a milestone with another one, or with now",
        description="Question by question: the risk before and after, and the best practices adopted and "
        "dropped; then the improvement items closed and opened. Questions match by code, so milestones on "
        "different lens versions compare too.",
        parameters=[CompareQuery],
        responses=ComparisonOut,
        examples=[OpenApiExample("Comparison", value=COMPARISON_EXAMPLE, response_only=True)],
        tags=["milestones"],
    )
    def get(self, request: ApiRequest, milestone_id) -> Response:
        milestone = get_milestone_for_user(request.user, milestone_id)
        target = self.query(CompareQuery)["to"]
        if target == "now":
            review = Review.objects.select_related("lens_version", "workload").get(pk=milestone.review_id)
            after = review_snapshot(review, name="Now")
        else:
            other = Milestone.objects.filter(
                workload_id=milestone.workload_id, pk=_uuid_or_none(target)
            ).first()
            if other is None:
                raise serializers.ValidationError(
                    {"to": ['Give another milestone of this workload, or "now".']}
                )
            after = other.snapshot
        return Response(ComparisonOut(compare_snapshots(milestone.snapshot, after)).data)


def _uuid_or_none(value: str):
    try:
        return serializers.UUIDField().to_internal_value(value)
    except serializers.ValidationError:
        return None
