"""Jira through the API: a team's connection (its OWNER only; the token is write-only), and each improvement
item's issue: create, link, sync, confirm Jira's "done" or keep the item open. Same services and access rules
as the web pages (reviewapp/views/jira.py)."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from ..access import Action, get_item_for_user, get_jira_team_for_user, get_workload_for_user
from ..jira.client import JiraError
from ..jira.models import JiraConnection, JiraLink
from ..jira.services import (
    jira_connection_remove,
    jira_connection_save,
    jira_connection_test,
    jira_done_confirm,
    jira_done_dismiss,
    jira_issue_link,
    jira_issues_request,
    jira_sync_request,
    parse_field_mapping,
)
from ..lib.queue import QueueUnavailable
from ..models import WORK_LEFT, ImprovementItem
from ..selectors import plan_rows
from .base import ApiRequest, ApiView
from .schema import ErrorOut

QUEUE_DOWN = OpenApiResponse(ErrorOut, description="The task queue is unreachable; nothing was queued.")


def _refused(error: DjangoValidationError) -> serializers.ValidationError:
    if hasattr(error, "error_dict"):
        return serializers.ValidationError(
            {("non_field_errors" if k == "__all__" else k): v for k, v in error.message_dict.items()}
        )
    return serializers.ValidationError(error.messages)


class JiraConnectionOut(serializers.Serializer):
    site_url = serializers.URLField()
    deployment = serializers.ChoiceField(choices=JiraConnection.Deployment.choices)
    email = serializers.CharField()
    project_key = serializers.CharField()
    issue_type = serializers.CharField()
    field_mapping = serializers.DictField(child=serializers.CharField())
    has_token = serializers.SerializerMethodField(help_text="A token is stored; it is never returned.")
    paused_until = serializers.DateTimeField(allow_null=True)
    last_sync_at = serializers.DateTimeField(allow_null=True)

    def get_has_token(self, connection) -> bool:
        return bool(connection.token_encrypted)


class JiraConnectionIn(serializers.Serializer):
    site_url = serializers.CharField(max_length=500)
    deployment = serializers.ChoiceField(choices=JiraConnection.Deployment.choices)
    email = serializers.CharField(required=False, allow_blank=True, default="", max_length=254)
    token = serializers.CharField(
        required=False, allow_blank=True, default="", write_only=True, max_length=1000,
        help_text="Required the first time; omit to keep the stored one.",
    )  # fmt: skip
    project_key = serializers.CharField(max_length=32)
    issue_type = serializers.CharField(default="Task", max_length=100)
    field_mapping = serializers.DictField(child=serializers.CharField(), required=False, default=dict)


LINK_EXAMPLE = {
    "item": "5b0f4c1e-8d2a-4a57-9b3e-0c6d2f1a7e90",
    "issue_key": "SEC-42",
    "issue_url": "https://example.atlassian.net/browse/SEC-42",
    "jira_status": "In Progress",
    "jira_done": False,
    "awaits_confirmation": False,
    "error": "",
    "attempts": 0,
    "next_attempt_at": None,
    "last_synced_at": "2025-03-14T09:30:00Z",
}
FAILED_EXAMPLE = LINK_EXAMPLE | {
    "issue_key": "",
    "issue_url": "",
    "jira_status": "",
    "error": "Jira is limiting requests (429); the sync waits for 120 seconds and tries again.",
    "attempts": 1,
    "next_attempt_at": "2025-03-14T09:32:00Z",
    "last_synced_at": None,
}
CONNECTION_IN_EXAMPLE = {
    "site_url": "https://example.atlassian.net",
    "deployment": "CLOUD",
    "email": "robot@example.com",
    # A placeholder in the documentation, not a token.
    "token": "<API token>",  # nosec B105
    "project_key": "SEC",
    "issue_type": "Task",
    "field_mapping": {"due_date": "duedate", "level": "priority"},
}
CONNECTION_EXAMPLE = {
    "site_url": "https://example.atlassian.net",
    "deployment": "CLOUD",
    "email": "robot@example.com",
    "project_key": "SEC",
    "issue_type": "Task",
    "field_mapping": {"due_date": "duedate", "level": "priority"},
    # A flag saying a token is stored, not a token.
    "has_token": True,  # nosec B105
    "paused_until": None,
    "last_sync_at": None,
}


class TeamJira(ApiView):
    def _connection(self, request: ApiRequest, team_id) -> tuple:
        team = get_jira_team_for_user(request.user, team_id)
        return team, JiraConnection.objects.filter(team=team).first()

    @extend_schema(operation_id="team_jira_retrieve", summary="The team's Jira connection (owners only)",
                   responses=JiraConnectionOut, tags=["jira"],
                   examples=[OpenApiExample("Connection", value=CONNECTION_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request: ApiRequest, team_id) -> Response:
        _, connection = self._connection(request, team_id)
        if connection is None:
            raise NotFound("This team has no Jira connection.")
        return Response(JiraConnectionOut(connection).data)

    @extend_schema(operation_id="team_jira_save", summary="Create or change the team's Jira connection",
                   request=JiraConnectionIn, responses={200: JiraConnectionOut, 400: ErrorOut}, tags=["jira"],
                   examples=[OpenApiExample("Cloud", value=CONNECTION_IN_EXAMPLE, request_only=True),
                             OpenApiExample("Saved", value=CONNECTION_EXAMPLE, response_only=True)])  # fmt: skip
    def put(self, request: ApiRequest, team_id) -> Response:
        team, _ = self._connection(request, team_id)
        serializer = JiraConnectionIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            mapping = parse_field_mapping("\n".join(f"{k}={v}" for k, v in data.pop("field_mapping").items()))
            connection = jira_connection_save(team=team, actor=request.user, field_mapping=mapping, **data)
        except DjangoValidationError as error:
            raise _refused(error) from error
        return Response(JiraConnectionOut(connection).data)

    @extend_schema(operation_id="team_jira_remove", summary="Remove the connection, its token and its links",
                   responses={204: None}, tags=["jira"])  # fmt: skip
    def delete(self, request: ApiRequest, team_id) -> Response:
        _, connection = self._connection(request, team_id)
        if connection is None:
            raise NotFound("This team has no Jira connection.")
        jira_connection_remove(connection=connection, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamJiraTest(ApiView):
    @extend_schema(operation_id="team_jira_test", summary="Call Jira with the stored connection",
                   request=None, responses={200: ErrorOut, 502: ErrorOut}, tags=["jira"],
                   examples=[OpenApiExample("Works", value={"detail": "Connected as Review Robot; project SEC "
                                                            "“Security” found."}, response_only=True,
                                            status_codes=["200"]),
                             OpenApiExample("Refused", value={"detail": "Jira refused the credentials (401)."},
                                            response_only=True, status_codes=["502"])])  # fmt: skip
    def post(self, request: ApiRequest, team_id) -> Response:
        team = get_jira_team_for_user(request.user, team_id)
        connection = JiraConnection.objects.filter(team=team).first()
        if connection is None:
            raise NotFound("This team has no Jira connection.")
        try:
            return Response({"detail": jira_connection_test(connection)})
        except JiraError as error:
            return Response({"detail": error.message}, status=status.HTTP_502_BAD_GATEWAY)


class JiraLinkOut(serializers.Serializer):
    item = serializers.UUIDField(source="item_id")
    issue_key = serializers.CharField(help_text="Empty while the issue is being created.")
    issue_url = serializers.CharField()
    jira_status = serializers.CharField()
    jira_done = serializers.BooleanField()
    awaits_confirmation = serializers.BooleanField(
        help_text="Jira says done; a person confirms or dismisses."
    )
    error = serializers.CharField(help_text="The last failure, shown until an attempt works.")
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)


class JiraLinkIn(serializers.Serializer):
    issue_key = serializers.CharField(
        required=False, max_length=64, help_text="Link this existing issue; omit to create a new one."
    )


def _link_of(item: ImprovementItem) -> JiraLink:
    link = JiraLink.objects.select_related("connection", "item").filter(item=item).first()
    if link is None:
        raise NotFound("This item has no Jira issue.")
    return link


class ItemJira(ApiView):
    @extend_schema(operation_id="item_jira_retrieve", summary="The item's Jira issue and sync state",
                   responses=JiraLinkOut, tags=["jira"],
                   examples=[OpenApiExample("Linked", value=LINK_EXAMPLE, response_only=True),
                             OpenApiExample("Failing", value=FAILED_EXAMPLE, response_only=True)])  # fmt: skip
    def get(self, request: ApiRequest, item_id) -> Response:
        return Response(JiraLinkOut(_link_of(get_item_for_user(request.user, item_id))).data)

    @extend_schema(
        operation_id="item_jira_create",
        summary="Create a Jira issue for the item, or link an existing one",
        description="Creating is queued (202): poll this URL for the key, or the error. Linking checks the "
        "issue in Jira at once (201), and writes nothing if Jira cannot be reached or has no such issue (400).",
        request=JiraLinkIn,
        responses={201: JiraLinkOut, 202: JiraLinkOut, 400: ErrorOut, 503: QUEUE_DOWN},
        examples=[
            OpenApiExample("Create", value={}, request_only=True),
            OpenApiExample("Link", value={"issue_key": "SEC-42"}, request_only=True),
            OpenApiExample("Linked", value=LINK_EXAMPLE, response_only=True, status_codes=["201"]),
            OpenApiExample(
                "Queued",
                value=LINK_EXAMPLE
                | {"issue_key": "", "issue_url": "", "jira_status": "", "last_synced_at": None},
                response_only=True,
                status_codes=["202"],
            ),
        ],
        tags=["jira"],
    )
    def post(self, request: ApiRequest, item_id) -> Response:
        item = get_item_for_user(request.user, item_id, Action.PLAN)
        serializer = JiraLinkIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            if serializer.validated_data.get("issue_key"):
                link = jira_issue_link(
                    item=item, actor=request.user, issue_key=serializer.validated_data["issue_key"]
                )
                answer: int = status.HTTP_201_CREATED
            else:
                jira_issues_request(items=[item], actor=request.user)
                answer = status.HTTP_202_ACCEPTED
        except DjangoValidationError as error:
            raise _refused(error) from error
        except QueueUnavailable as error:
            return Response({"detail": error.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        link = _link_of(item)
        return Response(JiraLinkOut(link).data, status=answer)


class ItemJiraAction(ApiView):
    action_name = ""

    @extend_schema(
        request=None,
        responses={200: JiraLinkOut, 400: ErrorOut, 503: QUEUE_DOWN},
        examples=[OpenApiExample("Link", value=LINK_EXAMPLE, response_only=True)],
        tags=["jira"],
    )
    def post(self, request: ApiRequest, item_id) -> Response:
        needed = Action.EDIT if self.action_name == "confirm" else Action.PLAN
        item = get_item_for_user(request.user, item_id, needed)
        link = _link_of(item)
        try:
            if self.action_name == "confirm":
                jira_done_confirm(link=link, actor=request.user)
            elif self.action_name == "dismiss":
                jira_done_dismiss(link=link, actor=request.user)
            else:
                jira_sync_request(links=[link], actor=request.user, workload_id=item.workload_id)
        except DjangoValidationError as error:
            raise _refused(error) from error
        except QueueUnavailable as error:
            return Response({"detail": error.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(JiraLinkOut(_link_of(item)).data)


class JiraLevelIn(serializers.Serializer):
    level = serializers.ChoiceField(choices=["HIGH", "MEDIUM", "LOW"])


class WorkloadJiraIssues(ApiView):
    @extend_schema(
        operation_id="workload_jira_issues_create",
        summary="Create Jira issues for every item of one level with work left and no issue yet",
        request=JiraLevelIn,
        responses={202: JiraLinkOut(many=True), 400: ErrorOut, 503: QUEUE_DOWN},
        examples=[
            OpenApiExample("High", value={"level": "HIGH"}, request_only=True),
            OpenApiExample(
                "Queued",
                value=[
                    LINK_EXAMPLE
                    | {"issue_key": "", "issue_url": "", "jira_status": "", "last_synced_at": None}
                ],
                response_only=True,
                status_codes=["202"],
            ),
        ],
        tags=["jira"],
    )
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
        serializer = JiraLevelIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        level = serializer.validated_data["level"]
        rows = plan_rows(
            ImprovementItem.objects.filter(workload=workload, is_active=True, status__in=WORK_LEFT)
        )
        items = [row.item for row in rows if row.level == level]
        if not items:
            raise serializers.ValidationError({"level": [f"No {level.lower()}-level item has work left."]})
        try:
            links, _ = jira_issues_request(items=items, actor=request.user)
        except DjangoValidationError as error:
            raise _refused(error) from error
        except QueueUnavailable as error:
            return Response({"detail": error.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        fresh = JiraLink.objects.select_related("connection", "item").filter(
            pk__in=[link.pk for link in links]
        )
        return Response(JiraLinkOut(fresh, many=True).data, status=status.HTTP_202_ACCEPTED)


class WorkloadJiraSync(ApiView):
    @extend_schema(operation_id="workload_jira_sync", summary="Sync every Jira issue of the workload's items now",
                   request=None, responses={202: ErrorOut, 400: ErrorOut, 503: QUEUE_DOWN}, tags=["jira"],
                   examples=[OpenApiExample("Queued", value={"detail": "4 Jira link(s) queued for a sync."},
                                            response_only=True, status_codes=["202"])])  # fmt: skip
    def post(self, request: ApiRequest, workload_id) -> Response:
        workload = get_workload_for_user(request.user, workload_id, Action.PLAN)
        links = list(JiraLink.objects.filter(item__workload=workload))
        try:
            count = jira_sync_request(links=links, actor=request.user, workload_id=workload.pk)
        except DjangoValidationError as error:
            raise _refused(error) from error
        except QueueUnavailable as error:
            return Response({"detail": error.message}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response(
            {"detail": f"{count} Jira link(s) queued for a sync."}, status=status.HTTP_202_ACCEPTED
        )
