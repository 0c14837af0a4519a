"""Improvement items: the plan across every workload you may see, one workload's plan, and tracking changes.

Which items exist follows the answers; these endpoints change only how an item is tracked, through the same
plan service as the web pages (services.plan.item_update), so the same status rules apply.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Case, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from questionnaire.models import Level

from ..access import Action, get_item_for_user, get_workload_for_user, workloads_visible_to
from ..models import ImprovementItem, ItemStatus, User
from ..selectors import PlanRow, overdue_items, plan_rows
from ..services.plan import ItemConflict, item_update
from . import examples as ex
from .base import ApiRequest, ApiView, ordering_field
from .pagination import Key, KeysetPagination
from .preconditions import etag, if_match_missing, if_match_versions
from .schema import RISK_CHOICES, ErrorOut

# A bulk request changes at most this many items: enough for a plan, small enough for one transaction.
BULK_MAX_ITEMS = 200


class ItemOut(serializers.Serializer):
    id = serializers.UUIDField(source="item.id")
    workload = serializers.UUIDField(source="workload.id")
    workload_name = serializers.CharField(source="workload.name")
    review = serializers.UUIDField(source="review_id", allow_null=True)
    bp_code = serializers.CharField(source="item.bp_code")
    bp_title = serializers.CharField()
    level = serializers.ChoiceField(choices=[*Level.values, ""], help_text="Risk if not established.")
    question = serializers.CharField(source="question_code", help_text="Empty when no longer in the lens.")
    question_risk = serializers.ChoiceField(choices=RISK_CHOICES)
    improvement = serializers.CharField(help_text="What to do first.")
    doc_url = serializers.CharField()
    status = serializers.ChoiceField(source="item.status", choices=ItemStatus.choices)
    is_active = serializers.BooleanField(source="item.is_active", help_text="false: no longer on the plan.")
    owner = serializers.CharField(source="item.owner.username", allow_null=True, default=None)
    due_date = serializers.DateField(source="item.due_date", allow_null=True)
    overdue = serializers.BooleanField()
    ticket_url = serializers.CharField(source="item.ticket_url")
    notes = serializers.CharField(source="item.notes")
    acceptance_justification = serializers.CharField(source="item.acceptance_justification")
    acceptance_expires_on = serializers.DateField(source="item.acceptance_expires_on", allow_null=True)
    accepted_by = serializers.CharField(source="item.accepted_by.username", allow_null=True, default=None)
    version = serializers.IntegerField(source="item.version", help_text="Grows on every change; the ETag.")
    updated_at = serializers.DateTimeField(source="item.updated_at")


class ItemConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    current = ItemOut(help_text="The item as stored now; its version is the ETag to retry with.")


class ItemUpdateIn(serializers.Serializer):
    """Used with partial=True: fields left out keep their value."""

    status = serializers.ChoiceField(
        choices=ItemStatus.choices, help_text="DONE is set by selecting the best practice in the review."
    )
    owner = serializers.CharField(
        allow_null=True, max_length=150, help_text="Username of a member of the workload's team, or null."
    )
    due_date = serializers.DateField(allow_null=True)
    ticket_url = serializers.CharField(allow_blank=True, max_length=4096)
    notes = serializers.CharField(allow_blank=True, max_length=8000, trim_whitespace=False)
    acceptance_justification = serializers.CharField(allow_blank=True, max_length=8000)
    acceptance_expires_on = serializers.DateField(allow_null=True)


class ItemQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=ItemStatus.choices, required=False)
    level = serializers.ChoiceField(choices=Level.choices, required=False)
    owner = serializers.CharField(
        required=False, max_length=150, help_text='A username, "me", or "none" for unassigned items.'
    )
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    include_closed = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Also items no longer on the plan (adopted or not applicable).",
    )
    ordering = ordering_field(
        ["priority", "due_date", "updated_at"],
        default="priority",
        help_text="priority (question risk, then level, then catalogue order), due_date or updated_at; "
        "prefix with - for descending.",
    )


class AllItemsQuery(ItemQuery):
    workload = serializers.UUIDField(required=False, help_text="Only this workload's items.")


ITEM_EXAMPLE = {
    "id": ex.ITEM_ID,
    "workload": ex.WORKLOAD_ID,
    "workload_name": "Checkout API",
    "review": ex.REVIEW_ID,
    "bp_code": "SEC03-BP07",
    "bp_title": "Analyze public and cross-account access",
    "level": "HIGH",
    "question": "SEC3",
    "question_risk": "HIGH",
    "improvement": "Turn on IAM Access Analyzer for the organisation and review its findings weekly.",
    "doc_url": "https://docs.aws.amazon.com/wellarchitected/latest/framework/sec_permissions_analyze_cross_account.html",
    "status": "IN_PROGRESS",
    "is_active": True,
    "owner": ex.USERNAME,
    "due_date": "2025-04-30",
    "overdue": False,
    "ticket_url": "https://tickets.example.com/SEC-123",
    "notes": "",
    "acceptance_justification": "",
    "acceptance_expires_on": None,
    "accepted_by": None,
    "version": 3,
    "updated_at": ex.WHEN,
}

ITEM_IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description='The ETag of the item you changed, e.g. "3". A stale one gets 412 with the current item.',
)
ITEM_CHANGE_RESPONSES = {
    200: ItemOut,
    412: OpenApiResponse(
        ItemConflictOut,
        description="The item changed since that ETag: nothing was saved; the body holds the current one.",
    ),
    428: OpenApiResponse(ErrorOut, description="If-Match is missing."),
}


def _filtered(items: QuerySet[ImprovementItem], query: dict, user: User) -> QuerySet[ImprovementItem]:
    """`items` narrowed by the query's filters, in the database."""
    if not query["include_closed"]:
        items = items.filter(is_active=True)
    if "status" in query:
        items = items.filter(status=query["status"])
    if "level" in query:
        items = items.filter(level=query["level"])
    owner = query.get("owner")
    if owner == "none":
        items = items.filter(owner__isnull=True)
    elif owner == "me":
        items = items.filter(owner=user)
    elif owner:
        items = items.filter(owner__username=owner)
    if query["overdue"] is not None:
        overdue = overdue_items(timezone.localdate())
        items = items.filter(overdue if query["overdue"] else ~overdue)
    return items


def _ordering(items: QuerySet[ImprovementItem], ordering: str) -> tuple[QuerySet[ImprovementItem], list[Key]]:
    """`items` with what `ordering` sorts by, and its keys; the item id last keeps every row in one place."""
    descending = ordering.startswith("-")
    field = ordering.lstrip("-")
    if field == "due_date":
        # Undated items last whichever way: they are the least pressing to someone sorting by date.
        undated = Case(When(due_date__isnull=True, then=Value(1)), default=Value(0))
        return items.annotate(undated=undated), [
            Key("undated"),
            Key("due_date", descending),
            Key("pk", descending),
        ]
    if field == "updated_at":
        return items, [Key("updated_at", descending), Key("pk", descending)]
    return items.annotate(workload_name=Lower("workload__name")), [
        Key("priority", descending),
        Key("workload_name", descending),
        Key("workload_id", descending),
        Key("pk", descending),
    ]


class ItemList(ApiView):
    pagination_class = KeysetPagination

    @extend_schema(
        operation_id="improvement_items_list",
        summary="Improvement items across the workloads you may see",
        description="Archived workloads are left out unless `workload` names one.",
        parameters=[AllItemsQuery],
        responses=ItemOut(many=True),
        examples=[OpenApiExample("Items", value=ITEM_EXAMPLE, response_only=True)],
        tags=["improvement items"],
    )
    def get(self, request: ApiRequest) -> Response:
        query = self.query(AllItemsQuery)
        workloads = workloads_visible_to(request.user)
        if "workload" in query:
            workloads = workloads.filter(pk=query["workload"])
        else:
            workloads = workloads.filter(is_archived=False)
        items = _filtered(
            ImprovementItem.objects.filter(workload__in=workloads.values("pk")), query, request.user
        )
        items, keys = _ordering(items, query["ordering"])
        paginator = KeysetPagination()
        rows = paginator.page(items, keys, request, fetch=plan_rows, instance=lambda row: row.item)
        return paginator.get_paginated_response(ItemOut(rows, many=True).data)


class WorkloadItemList(ApiView):
    @extend_schema(
        operation_id="workload_improvement_items_list",
        summary="A workload's improvement plan",
        parameters=[ItemQuery],
        responses=ItemOut(many=True),
        examples=[OpenApiExample("Plan", value=ITEM_EXAMPLE, response_only=True)],
        tags=["improvement items"],
    )
    def get(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id)
        query = self.query(ItemQuery)
        items, keys = _ordering(
            _filtered(ImprovementItem.objects.filter(workload=workload), query, request.user),
            query["ordering"],
        )
        ordered = items.order_by(*(f"-{key.name}" if key.descending else key.name for key in keys))
        return self.paginated(ordered, ItemOut, fetch=plan_rows)


def _row(item_id) -> PlanRow:
    rows = plan_rows(ImprovementItem.objects.filter(pk=item_id))
    if not rows:
        raise NotFound("No such improvement item")
    return rows[0]


def _with_etag(row: PlanRow, code: int = status.HTTP_200_OK, **body: Any) -> Response:
    data = {**body, "current": ItemOut(row).data} if body else ItemOut(row).data
    return Response(data, status=code, headers={"ETag": etag(row.item.version)})


def _conflict(item_id) -> Response:
    row = _row(item_id)
    return _with_etag(
        row,
        status.HTTP_412_PRECONDITION_FAILED,
        detail=f"{row.item.bp_code} is at version {row.item.version}, not the one in If-Match: nothing was "
        "saved; merge with the current item and retry with its ETag.",
    )


class ItemDetail(ApiView):
    @extend_schema(
        operation_id="improvement_items_retrieve",
        summary="One improvement item",
        responses=ItemOut,
        examples=[OpenApiExample("Item", value=ITEM_EXAMPLE, response_only=True)],
        tags=["improvement items"],
    )
    def get(self, request: ApiRequest, item_id) -> Response:
        get_item_for_user(request.user, item_id, Action.VIEW)
        return _with_etag(_row(item_id))

    @extend_schema(
        operation_id="improvement_items_update",
        summary="Track an improvement item: status, owner, due date, ticket, notes",
        description="Fields left out keep their value. Send `If-Match` with the ETag from GET: a missing one "
        "gets 428, a stale one 412 with the current item, so two automations never overwrite each other. "
        "RISK_ACCEPTED is reached only by an approved risk acceptance (requested and decided in the web "
        "app), never set here; leaving it revokes the acceptance.",
        parameters=[ITEM_IF_MATCH],
        request=ItemUpdateIn,
        responses=ITEM_CHANGE_RESPONSES,
        examples=[
            OpenApiExample(
                "Start work",
                value={"status": "IN_PROGRESS", "owner": ex.USERNAME, "due_date": "2025-04-30"},
                request_only=True,
            ),
            OpenApiExample("Tracked", value=ITEM_EXAMPLE, response_only=True),
        ],
        tags=["improvement items"],
    )
    def patch(self, request: ApiRequest, item_id) -> Response:
        item = get_item_for_user(request.user, item_id, Action.PLAN)
        if_match = request.headers.get("If-Match", "")
        if if_match_missing(if_match):
            return Response(
                {
                    "detail": f"Send If-Match with the item's ETag (now {etag(item.version)}), as read from GET."
                },
                status=status.HTTP_428_PRECONDITION_REQUIRED,
            )
        versions = if_match_versions(if_match)
        if item.version not in versions:
            return _conflict(item_id)
        serializer = ItemUpdateIn(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        owner = item.owner
        if "owner" in data:
            owner = None
            if data["owner"] is not None:
                owner = User.objects.filter(username=data["owner"]).first()
                if owner is None:
                    raise serializers.ValidationError({"owner": ["No such user."]})
        try:
            item_update(
                item=item,
                actor=request.user,
                base_version=item.version,
                status=data.get("status", item.status),
                owner=owner,
                due_date=data.get("due_date", item.due_date),
                ticket_url=data.get("ticket_url", item.ticket_url),
                notes=data.get("notes", item.notes),
                acceptance_justification=data.get("acceptance_justification", item.acceptance_justification),
                acceptance_expires_on=data.get("acceptance_expires_on", item.acceptance_expires_on),
            )
        except ItemConflict:
            return _conflict(item_id)
        return _with_etag(_row(item_id))


class ItemChangeIn(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField(
        min_value=1, help_text="The item's version (ETag) your change is based on."
    )
    status = serializers.ChoiceField(choices=[ItemStatus.OPEN, ItemStatus.IN_PROGRESS], required=False)
    owner = serializers.CharField(allow_null=True, max_length=150, required=False)
    due_date = serializers.DateField(allow_null=True, required=False)
    ticket_url = serializers.CharField(allow_blank=True, max_length=4096, required=False)
    notes = serializers.CharField(allow_blank=True, max_length=8000, trim_whitespace=False, required=False)


class BulkItemsIn(serializers.Serializer):
    items = serializers.ListField(child=ItemChangeIn(), allow_empty=False, max_length=BULK_MAX_ITEMS)


class BulkItemError(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position in the request's items.")
    id = serializers.UUIDField()
    problems = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), help_text="Field -> why it was refused."
    )


class BulkItemsErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    refused = BulkItemError(many=True)


def _item_change(user: User, change: dict) -> None:
    """Apply one change of a bulk request; raises what item_update or access raise."""
    item = get_item_for_user(user, change["id"], Action.PLAN)
    owner = item.owner
    if "owner" in change:
        owner = User.objects.filter(username=change["owner"]).first() if change["owner"] else None
        if change["owner"] and owner is None:
            raise DjangoValidationError({"owner": ["No such user."]})
    item_update(
        item=item,
        actor=user,
        base_version=change["version"],
        status=change.get("status", item.status),
        owner=owner,
        due_date=change.get("due_date", item.due_date),
        ticket_url=change.get("ticket_url", item.ticket_url),
        notes=change.get("notes", item.notes),
        acceptance_justification=item.acceptance_justification,
        acceptance_expires_on=item.acceptance_expires_on,
    )


def _problems(error: Exception) -> dict[str, list[str]]:
    if isinstance(error, ItemConflict):
        return {"version": [f"The item changed since: it is at version {error.current.version}."]}
    if isinstance(error, Http404):
        return {"id": ["No such improvement item."]}
    if isinstance(error, PermissionDenied):
        return {"id": [str(error)]}
    if isinstance(error, DjangoValidationError):
        return {key: [str(m) for m in messages] for key, messages in error.message_dict.items()}
    raise error


class ItemBulkUpdate(ApiView):
    @extend_schema(
        operation_id="improvement_items_bulk_update",
        summary="Track several improvement items at once, all or nothing",
        description=f"Up to {BULK_MAX_ITEMS} items, each with the version its change is based on. If any change "
        "is refused (unknown or unseen item, role, stale version, bad value), nothing is saved and the "
        "answer lists every refused item with its reasons.",
        request=BulkItemsIn,
        responses={200: ItemOut(many=True), 400: BulkItemsErrorOut},
        examples=[
            OpenApiExample(
                "Assign two items",
                value={
                    "items": [
                        {"id": ex.ITEM_ID, "version": 3, "owner": ex.USERNAME, "due_date": "2025-04-30"},
                    ]
                },
                request_only=True,
            ),
            OpenApiExample("Saved", value=[ITEM_EXAMPLE], response_only=True),
        ],
        tags=["improvement items"],
    )
    def post(self, request: ApiRequest) -> Response:
        serializer = BulkItemsIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        changes = serializer.validated_data["items"]
        errors = []
        with transaction.atomic():
            for index, change in enumerate(changes):
                try:
                    _item_change(request.user, change)
                except (ItemConflict, Http404, PermissionDenied, DjangoValidationError) as error:
                    errors.append({"index": index, "id": change["id"], "problems": _problems(error)})
            if errors:
                transaction.set_rollback(True)
        if errors:
            body = {
                "detail": f"{len(errors)} of {len(changes)} changes were refused: nothing was saved.",
                "refused": errors,
            }
            return Response(BulkItemsErrorOut(body).data, status=status.HTTP_400_BAD_REQUEST)
        rows = plan_rows(ImprovementItem.objects.filter(pk__in=[change["id"] for change in changes]))
        return Response(ItemOut(rows, many=True).data)
