"""Risk acceptance through the API: request one for an item, list an item's acceptances (its history), decide
a request, revoke. Thin views over reviewapp.acceptance.services, the same rules as the web pages: access.py
decides who may (acceptance_deciders_refusal for decisions: never the requester)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from ..acceptance.models import AcceptanceState, RiskAcceptance
from ..acceptance.services import (
    TEXT_MAX_LENGTH,
    acceptance_decide,
    acceptance_request,
    acceptance_revoke,
)
from ..access import Action, acceptance_deciders_refusal, get_acceptance_for_user, get_item_for_user
from . import examples as ex
from .base import ApiRequest, ApiView

# Longer texts are refused by the service with its own message; this only keeps request bodies small.
_TEXT_LIMIT = TEXT_MAX_LENGTH * 2


class AcceptanceOut(serializers.Serializer):
    id = serializers.UUIDField()
    item = serializers.UUIDField(source="item_id")
    workload = serializers.UUIDField(source="item.workload_id")
    bp_code = serializers.CharField(source="item.bp_code")
    state = serializers.ChoiceField(
        choices=AcceptanceState.choices, help_text="Only APPROVED puts the item in RISK_ACCEPTED."
    )
    level = serializers.CharField(help_text="The practice's risk level when requested.")
    justification = serializers.CharField()
    compensating_controls = serializers.CharField()
    expires_on = serializers.DateField()
    requested_by = serializers.CharField(source="requested_by.username", allow_null=True, default=None)
    requested_at = serializers.DateTimeField()
    decided_by = serializers.CharField(source="decided_by.username", allow_null=True, default=None)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_comment = serializers.CharField()
    ended_by = serializers.CharField(
        source="ended_by.username", allow_null=True, default=None, help_text="null with ended_at: expired."
    )
    ended_at = serializers.DateTimeField(allow_null=True)
    end_reason = serializers.CharField()


class AcceptanceRequestIn(serializers.Serializer):
    justification = serializers.CharField(
        allow_blank=True, max_length=_TEXT_LIMIT, help_text="Why the risk may be accepted (a minimum length)."
    )
    compensating_controls = serializers.CharField(
        allow_blank=True, default="", max_length=_TEXT_LIMIT, help_text="What limits the risk meanwhile."
    )
    expires_on = serializers.DateField(
        allow_null=True,
        help_text="After today, and no further ahead than the practice's level allows "
        "(by default HIGH 90 days, MEDIUM 180, LOW 365).",
    )


class AcceptanceDecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approve", "reject"])
    comment = serializers.CharField(allow_blank=True, max_length=_TEXT_LIMIT, help_text="Why, in a sentence.")


class AcceptanceRevokeIn(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=_TEXT_LIMIT, help_text="Why it ends now.")


ACCEPTANCE_EXAMPLE = {
    "id": "4a3b2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d",
    "item": ex.ITEM_ID,
    "workload": ex.WORKLOAD_ID,
    "bp_code": "SEC03-BP07",
    "state": "APPROVED",
    "level": "MEDIUM",
    "justification": "The legacy batch account is closed in June; replacing its roles before then costs more "
    "than the exposure.",
    "compensating_controls": "Access Analyzer findings reviewed weekly; the account has no internet access.",
    "expires_on": "2025-06-30",
    "requested_by": ex.USERNAME,
    "requested_at": ex.WHEN,
    "decided_by": "sam_lead",
    "decided_at": ex.LATER,
    "decision_comment": "Agreed until the account closes.",
    "ended_by": None,
    "ended_at": None,
    "end_reason": "",
}
PENDING_EXAMPLE = ACCEPTANCE_EXAMPLE | {
    "state": "PENDING",
    "decided_by": None,
    "decided_at": None,
    "decision_comment": "",
}


def _acceptances():
    return RiskAcceptance.objects.select_related("item", "requested_by", "decided_by", "ended_by")


class ItemAcceptanceList(ApiView):
    @extend_schema(
        operation_id="acceptances_list",
        summary="An item's risk acceptances, newest first",
        description="Its whole history: requested, approved, rejected, expired and revoked, by whom and why.",
        responses=AcceptanceOut(many=True),
        examples=[OpenApiExample("Acceptances", value=ACCEPTANCE_EXAMPLE, response_only=True)],
        tags=["improvement-items"],
    )
    def get(self, request: ApiRequest, item_id) -> Response:
        item = get_item_for_user(request.user, item_id)
        acceptances = _acceptances().filter(item=item).order_by("-requested_at", "pk")
        return self.paginated(acceptances, AcceptanceOut)

    @extend_schema(
        operation_id="acceptances_request",
        summary="Ask for an item's risk to be accepted",
        description="Changes nothing in the risk picture until someone else approves it.",
        request=AcceptanceRequestIn,
        responses={201: AcceptanceOut},
        examples=[
            OpenApiExample(
                "Request",
                value={
                    "justification": ACCEPTANCE_EXAMPLE["justification"],
                    "compensating_controls": ACCEPTANCE_EXAMPLE["compensating_controls"],
                    "expires_on": "2025-06-30",
                },
                request_only=True,
            ),
            OpenApiExample("Requested", value=PENDING_EXAMPLE, response_only=True, status_codes=["201"]),
        ],
        tags=["improvement-items"],
    )
    def post(self, request: ApiRequest, item_id) -> Response:
        item = get_item_for_user(request.user, item_id, Action.PLAN)
        serializer = AcceptanceRequestIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance = acceptance_request(item=item, actor=request.user, **serializer.validated_data)
        return Response(
            AcceptanceOut(_acceptances().get(pk=acceptance.pk)).data, status=status.HTTP_201_CREATED
        )


class AcceptanceDetail(ApiView):
    @extend_schema(
        operation_id="acceptances_retrieve",
        summary="A risk acceptance",
        responses=AcceptanceOut,
        examples=[OpenApiExample("Acceptance", value=ACCEPTANCE_EXAMPLE, response_only=True)],
        tags=["improvement-items"],
    )
    def get(self, request: ApiRequest, acceptance_id) -> Response:
        return Response(AcceptanceOut(get_acceptance_for_user(request.user, acceptance_id)).data)


class AcceptanceDecision(ApiView):
    @extend_schema(
        operation_id="acceptances_decide",
        summary="Approve or reject a requested acceptance",
        description="A security lead decides any level; a team owner the levels the settings allow. Nobody "
        "decides their own request (403). Approval puts the item in RISK_ACCEPTED until the expiry.",
        request=AcceptanceDecisionIn,
        responses=AcceptanceOut,
        examples=[
            OpenApiExample(
                "Approve",
                value={"decision": "approve", "comment": "Agreed until the account closes."},
                request_only=True,
            ),
            OpenApiExample("Approved", value=ACCEPTANCE_EXAMPLE, response_only=True),
        ],
        tags=["improvement-items"],
    )
    def post(self, request: ApiRequest, acceptance_id) -> Response:
        acceptance = get_acceptance_for_user(request.user, acceptance_id)
        refusal = acceptance_deciders_refusal(request.user, acceptance)
        if refusal:
            raise PermissionDenied(refusal)
        serializer = AcceptanceDecisionIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance_decide(
            acceptance=acceptance,
            actor=request.user,
            approve=serializer.validated_data["decision"] == "approve",
            comment=serializer.validated_data["comment"],
        )
        return Response(AcceptanceOut(_acceptances().get(pk=acceptance.pk)).data)


class AcceptanceRevoke(ApiView):
    @extend_schema(
        operation_id="acceptances_revoke",
        summary="End an acceptance now",
        description="Withdraws a pending request or revokes an approved acceptance; an accepted item reopens.",
        request=AcceptanceRevokeIn,
        responses=AcceptanceOut,
        examples=[
            OpenApiExample("Revoke", value={"reason": "The account closed early."}, request_only=True),
            OpenApiExample(
                "Revoked",
                value=ACCEPTANCE_EXAMPLE
                | {
                    "state": "REVOKED",
                    "ended_by": ex.USERNAME,
                    "ended_at": ex.LATER,
                    "end_reason": "Closed.",
                },
                response_only=True,
            ),
        ],
        tags=["improvement-items"],
    )
    def post(self, request: ApiRequest, acceptance_id) -> Response:
        acceptance = get_acceptance_for_user(request.user, acceptance_id, Action.PLAN)
        serializer = AcceptanceRevokeIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        acceptance_revoke(
            acceptance=acceptance, actor=request.user, reason=serializer.validated_data["reason"]
        )
        return Response(AcceptanceOut(_acceptances().get(pk=acceptance.pk)).data)
