"""Writes of the Jira integration: a team's connection, and what people do with an item's Jira issue.

Each validates, writes in one transaction with its audit entry, and raises ValidationError with a reason a
person can act on (nothing written then). Access is the caller's (access.py): the connection needs the team's
OWNER, creating, linking, syncing and dismissing need PLAN, confirming "done" needs EDIT (it answers the review).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..audit import audit_record
from ..identity.crypto import encrypt
from ..lib.queue import enqueue_on_commit, ensure_broker
from ..models import WORK_LEFT, Answer, ImprovementItem, Review, Team, User
from ..services.answers import answer_record
from ..specs import version_specs
from .client import JiraClient, JiraError, site_url_problem, status_of
from .models import JiraConnection, JiraLink
from .sync import client_for, effective_status, item_label

SYNC_TASK = "reviewapp.tasks.jira_sync_links"
WHAT = "The Jira sync"
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,30}$")
ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]{1,30}-[1-9][0-9]{0,9}$")
# Item facts a field mapping may send, and the Jira fields they may fill.
MAPPING_SOURCES = ("due_date", "level", "question_risk", "workload", "team", "bp_code")
MAPPING_TARGET = re.compile(r"^(duedate|priority|labels|customfield_[0-9]{1,10})$")
TOKEN_MAX_LENGTH = 1000


def parse_field_mapping(text: str) -> dict[str, str]:
    """`source=target` lines (due_date=duedate) into a mapping; ValidationError naming each bad line."""
    mapping: dict[str, str] = {}
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        source, _, target = (part.strip() for part in line.partition("="))
        if source not in MAPPING_SOURCES:
            problems.append(f"Line {number}: {source!r} is not one of {', '.join(MAPPING_SOURCES)}.")
        elif not MAPPING_TARGET.match(target):
            problems.append(
                f"Line {number}: {target!r} is not a field this app can fill (duedate, priority, labels or "
                "customfield_NNNNN)."
            )
        elif target == "duedate" and source != "due_date":
            problems.append(f"Line {number}: only due_date can fill duedate.")
        elif target == "priority" and source not in ("level", "question_risk"):
            problems.append(f"Line {number}: only level or question_risk can fill priority.")
        else:
            mapping[source] = target
    if problems:
        raise ValidationError({"field_mapping": problems})
    return mapping


def format_field_mapping(mapping: dict[str, str]) -> str:
    return "\n".join(f"{source}={target}" for source, target in mapping.items())


def _connection_state(connection: JiraConnection) -> dict[str, Any]:
    return {
        "site_url": connection.site_url,
        "project_key": connection.project_key,
        "deployment": connection.deployment,
        "email": connection.email,
        "issue_type": connection.issue_type,
        "field_mapping": connection.field_mapping,
    }


@transaction.atomic
def jira_connection_save(
    *,
    team: Team,
    actor: User,
    site_url: str,
    project_key: str,
    deployment: str,
    email: str = "",
    token: str = "",
    issue_type: str = "Task",
    field_mapping: dict[str, str] | None = None,
) -> JiraConnection:
    """Create or change the team's connection. An empty `token` keeps the stored one (it is never shown)."""
    existing = JiraConnection.objects.select_for_update().filter(team=team).first()
    site_url, project_key, email, token = (
        site_url.strip().rstrip("/"),
        project_key.strip(),
        email.strip(),
        token.strip(),
    )
    errors: dict[str, list[str]] = {}
    if problem := site_url_problem(site_url):
        errors["site_url"] = [problem]
    if not PROJECT_KEY.match(project_key):
        errors["project_key"] = [
            "A project key is capital letters and digits starting with a letter, like SEC."
        ]
    if deployment not in JiraConnection.Deployment.values:
        errors["deployment"] = ["Choose Jira Cloud or Jira Data Center."]
    if deployment == JiraConnection.Deployment.CLOUD and not email:
        errors["email"] = ["Jira Cloud needs the e-mail address of the account the API token belongs to."]
    if not token and existing is None:
        errors["token"] = ["Enter the API token (Cloud) or personal access token (Data Center)."]
    if len(token) > TOKEN_MAX_LENGTH or any(c.isspace() for c in token):
        errors["token"] = ["That does not look like a Jira token: paste it without spaces or line breaks."]
    if not issue_type.strip() or len(issue_type) > 100:
        errors["issue_type"] = ["Name the issue type new issues get, such as Task or Bug."]
    if errors:
        raise ValidationError(errors)
    connection = existing or JiraConnection(team=team, created_by=actor)
    before = _connection_state(connection) if existing else None
    connection.site_url, connection.project_key, connection.deployment = site_url, project_key, deployment
    connection.email = email if deployment == JiraConnection.Deployment.CLOUD else ""
    connection.issue_type, connection.field_mapping = issue_type.strip(), field_mapping or {}
    if token:
        connection.token_encrypted = encrypt(token)
    connection.paused_until = None
    connection.save()
    audit_record(
        actor=actor,
        action="jira.connection_save",
        obj=connection,
        object_repr=f"{team.name}: {connection}",
        before=before,
        # The token itself is never written to the trail, only that it changed.
        after={**_connection_state(connection), "token": "changed" if token else "unchanged"},
    )
    return connection


@transaction.atomic
def jira_connection_remove(*, connection: JiraConnection, actor: User) -> int:
    """Remove the connection, its stored token and its links; the issues stay in Jira. Returns links removed."""
    links = connection.links.count()
    audit_record(
        actor=actor,
        action="jira.connection_remove",
        obj=connection,
        object_repr=f"{connection.team.name}: {connection}",
        before={**_connection_state(connection), "links": links},
    )
    connection.delete()
    return links


def jira_connection_test(connection: JiraConnection) -> str:
    """Call Jira as the sync would; a sentence saying who we are there. Raises JiraError."""
    client = client_for(connection)
    me = client.myself()
    project = client.project(connection.project_key)
    who = me.get("displayName") or me.get("name") or me.get("emailAddress") or "the token's account"
    key, name = project.get("key", connection.project_key), project.get("name", "")
    return f"Connected as {who}; project {key} “{name}” found."


def _connection_of(item: ImprovementItem) -> JiraConnection:
    connection = JiraConnection.objects.filter(team_id=item.workload.team_id).first()
    if connection is None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    "This team has no Jira connection; the team's owner can set one up on the team page."
                ]
            }
        )
    return connection


def _fail_unqueued(link_ids: list[Any]) -> None:
    JiraLink.objects.filter(pk__in=link_ids).update(
        error="The Jira sync could not be queued: the task queue was unreachable. The schedule tries again.",
        next_attempt_at=timezone.now(),
    )


def jira_issues_request(*, items: Iterable[ImprovementItem], actor: User) -> tuple[list[JiraLink], int]:
    """Ask for a Jira issue for each item on the plan that has none; returns (new links, items skipped).

    The links are written at once (unique per item, so asking twice adds nothing) and a worker creates the
    issues. Raises ValidationError when the team has no connection or no item qualifies, QueueUnavailable
    when the broker is down (nothing written).
    """
    items = list(items)
    if not items:
        raise ValidationError({NON_FIELD_ERRORS: ["Choose at least one improvement item."]})
    connection = _connection_of(items[0])
    if any(item.workload.team_id != connection.team_id for item in items):
        raise ValidationError(
            {NON_FIELD_ERRORS: ["Items of several teams cannot be sent to one Jira project."]}
        )
    linked = set(JiraLink.objects.filter(item__in=items).values_list("item_id", flat=True))
    wanted = [item for item in items if item.is_active and item.status in WORK_LEFT and item.pk not in linked]
    if not wanted:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    "Every chosen item already has a Jira issue or has no work left (done or accepted)."
                ]
            }
        )
    ensure_broker(WHAT)
    with transaction.atomic():
        links = []
        for item in wanted:
            try:
                with transaction.atomic():
                    link = JiraLink.objects.create(item=item, connection=connection, created_by=actor)
            except IntegrityError:
                continue  # asked for a moment ago from another tab: one link per item
            links.append(link)
            audit_record(
                actor=actor,
                action="jira.issue_request",
                obj=link,
                object_repr=f"{item.workload.name} {item.bp_code}",
                workload_id=item.workload_id,
                after={"item": str(item.pk), "project": connection.project_key},
            )
        ids = [str(link.pk) for link in links]
        if ids:
            enqueue_on_commit(SYNC_TASK, [[ids, True]], what=WHAT, on_failure=lambda: _fail_unqueued(ids))
    return links, len(items) - len(links)


def jira_issue_link(*, item: ImprovementItem, actor: User, issue_key: str) -> JiraLink:
    """Link an existing issue to the item, after checking it exists and labelling it with the item's id."""
    issue_key = issue_key.strip().upper()
    if not ISSUE_KEY.match(issue_key):
        raise ValidationError({"issue_key": ["Enter an issue key such as SEC-123."]})
    connection = _connection_of(item)
    if not issue_key.startswith(f"{connection.project_key}-"):
        raise ValidationError(
            {
                "issue_key": [
                    f"The team's Jira project is {connection.project_key}: use {connection.project_key}-…"
                ]
            }
        )
    if JiraLink.objects.filter(item=item).exists():
        raise ValidationError(
            {"issue_key": [f"{item.bp_code} already has a Jira issue; it is linked once only."]}
        )
    if JiraLink.objects.filter(connection=connection, issue_key=issue_key).exists():
        raise ValidationError({"issue_key": [f"{issue_key} is already linked to another improvement item."]})
    try:
        client: JiraClient = client_for(connection)
        issue = client.get_issue(issue_key)
        client.add_label(issue_key, item_label(item.pk))
    except JiraError as error:
        raise ValidationError({"issue_key": [error.message]}) from error
    name, category = status_of(issue)
    try:
        with transaction.atomic():
            link = JiraLink.objects.create(
                item=item,
                connection=connection,
                issue_key=issue_key,
                issue_id=str(issue.get("id") or ""),
                jira_status=name,
                jira_done=category == "done",
                synced_item_status=effective_status(item),
                last_synced_at=timezone.now(),
                created_by=actor,
            )
            if not item.ticket_url:
                ImprovementItem.objects.filter(pk=item.pk).update(
                    ticket_url=link.issue_url, version=F("version") + 1, updated_at=timezone.now()
                )
            audit_record(
                actor=actor,
                action="jira.issue_link",
                obj=link,
                object_repr=f"{item.workload.name} {item.bp_code} → {issue_key}",
                workload_id=item.workload_id,
                after={"issue": issue_key, "item": str(item.pk), "jira_status": name},
            )
    except IntegrityError as exc:
        raise ValidationError({"issue_key": [f"{issue_key} or this item was linked a moment ago."]}) from exc
    return link


def jira_sync_request(*, links: Iterable[JiraLink], actor: User, workload_id: Any = None) -> int:
    """Sync these links now (failures included, whatever their backoff). Returns how many were queued."""
    ids = [str(link.pk) for link in links]
    if not ids:
        raise ValidationError({NON_FIELD_ERRORS: ["No item here has a Jira issue to sync."]})
    ensure_broker(WHAT)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="jira.sync_request",
            object_type="JiraLink",
            object_repr=f"{len(ids)} Jira link{'s' if len(ids) != 1 else ''}",
            workload_id=workload_id,
            after={"links": len(ids)},
        )
        enqueue_on_commit(SYNC_TASK, [[ids, True]], what=WHAT, on_failure=lambda: _fail_unqueued(ids))
    return len(ids)


def _answer_of(item: ImprovementItem) -> tuple[Review, Answer]:
    review = Review.objects.filter(workload_id=item.workload_id, lens_id=item.lens_id).first()
    entry = version_specs(review.lens_version_id).bp_index.get(item.bp_code) if review else None
    if review is None or entry is None:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    f"{item.bp_code} is not in the lens version the review is on; answer it by hand."
                ]
            }
        )
    answer = Answer.objects.select_related("question").get(review=review, question_id=entry[0])
    return review, answer


@transaction.atomic
def jira_done_confirm(*, link: JiraLink, actor: User) -> ImprovementItem:
    """A person confirms Jira's "done": the best practice is selected in the review, which closes the item
    by the review's own rules (an item is done when its practice is in place)."""
    item = link.item
    if not link.awaits_confirmation:
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"{link.issue_key or 'The issue'} is not waiting for a confirmation."]}
        )
    review, answer = _answer_of(item)
    answer_record(
        review=review,
        question=answer.question,
        actor=actor,
        base_version=answer.version,
        selected=[*answer.selected, item.bp_code],
        none_of_these=False,
        is_applicable=answer.is_applicable,
        reason=answer.reason,
        choices_not_applicable=answer.choices_not_applicable,
        choice_notes=answer.choice_notes,
        notes=answer.notes,
    )
    audit_record(
        actor=actor,
        action="jira.done_confirm",
        obj=link,
        object_repr=f"{item.workload.name} {item.bp_code} ← {link.issue_key}",
        workload_id=item.workload_id,
        after={"issue": link.issue_key, "selected": item.bp_code},
    )
    item.refresh_from_db()
    return item


@transaction.atomic
def jira_done_dismiss(*, link: JiraLink, actor: User) -> JiraLink:
    """Keep the item open although Jira says done (the practice is not in place yet)."""
    if not link.awaits_confirmation:
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"{link.issue_key or 'The issue'} is not waiting for a confirmation."]}
        )
    JiraLink.objects.filter(pk=link.pk).update(done_dismissed=True)
    audit_record(
        actor=actor,
        action="jira.done_dismiss",
        obj=link,
        object_repr=f"{link.item.workload.name} {link.item.bp_code} ← {link.issue_key}",
        workload_id=link.item.workload_id,
        after={"issue": link.issue_key},
    )
    link.done_dismissed = True
    return link


__all__ = [
    "MAPPING_SOURCES",
    "format_field_mapping",
    "jira_connection_remove",
    "jira_connection_save",
    "jira_connection_test",
    "jira_done_confirm",
    "jira_done_dismiss",
    "jira_issue_link",
    "jira_issues_request",
    "jira_sync_request",
    "parse_field_mapping",
]
