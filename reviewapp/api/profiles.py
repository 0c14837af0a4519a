"""A workload's profile: the business-context answers and the priorities they give."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from questionnaire.profiles import PROFILE_QUESTIONS

from ..access import Action, get_workload_for_user
from ..models import ProfilePriority, Workload
from ..selectors.profiles import profile_lines
from ..services.profiles import profile_update
from .base import ApiRequest, ApiView

ANSWERS_EXAMPLE = {"internet_facing": True, "regulated_data": False, "personal_data": True}
PROFILE_EXAMPLE = {
    "answers": ANSWERS_EXAMPLE | {"revenue_critical": None, "multi_account": False},
    "priorities": [
        {
            "lens": "wellarchitected-security",
            "kind": "QUESTION",
            "code": "SEC5",
            "priority": 2,
            "reasons": ["Reachable from the internet: the network edge is attacked first."],
        }
    ],
}
KEYS_HELP = "Keys: " + ", ".join(q.key for q in PROFILE_QUESTIONS) + "; true, false or null (not known)."


class PriorityOut(serializers.Serializer):
    lens = serializers.CharField(source="lens.slug")
    kind = serializers.CharField()
    code = serializers.CharField()
    priority = serializers.IntegerField(help_text="2 high, 1 elevated.")
    reasons = serializers.ListField(child=serializers.CharField())


class ProfileOut(serializers.Serializer):
    answers = serializers.DictField(child=serializers.BooleanField(allow_null=True), help_text=KEYS_HELP)
    priorities = PriorityOut(many=True)


class ProfileIn(serializers.Serializer):
    answers = serializers.JSONField(help_text=KEYS_HELP)


def _profile(workload: Workload) -> dict:
    priorities = (
        ProfilePriority.objects.filter(workload=workload)
        .select_related("lens")
        .order_by("lens__slug", "kind", "-priority", "code")
    )
    answers = {line.key: line.answer for line in profile_lines(workload)}
    return ProfileOut({"answers": answers, "priorities": priorities}).data


class WorkloadProfileView(ApiView):
    @extend_schema(
        summary="A workload's profile and the priorities it gives",
        responses=ProfileOut,
        examples=[OpenApiExample("Profile", value=PROFILE_EXAMPLE, response_only=True)],
        tags=["workloads"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        return Response(_profile(get_workload_for_user(request.user, workload_id)))

    @extend_schema(
        summary="Answer a workload's profile questions",
        request=ProfileIn,
        responses=ProfileOut,
        examples=[
            OpenApiExample("Answers", value={"answers": ANSWERS_EXAMPLE}, request_only=True),
            OpenApiExample("Profile", value=PROFILE_EXAMPLE, response_only=True),
        ],
        tags=["workloads"],
    )
    def put(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
        data = ProfileIn(data=request.data)
        data.is_valid(raise_exception=True)
        profile_update(workload=workload, actor=request.user, answers=data.validated_data["answers"])
        return Response(_profile(workload))
