"""The sync between improvement items and Jira issues, run by Celery tasks (reviewapp/tasks.py): on demand for
the links a person picked, and on a schedule (celery beat) for every link that is due.

Per link, with the link held (`claimed_until`) so two workers never work on it at once:
- no issue yet: search Jira for the item's label (wasr-item-<item id>) and adopt what is found; only when
  nothing is found, create the issue with that label. Retried after a failure, it therefore never creates a
  second issue for the same item (and the link row itself is unique per item).
- an issue: read its status. Jira's "done" category marks the item "done in Jira", waiting for a person to
  confirm (services.jira_done_confirm) or dismiss it: Jira never changes the review by itself. The item adopted
  in the review moves the issue to a done status; an item reopened gets a comment on the issue.
- a failure is stored on the link (shown on the item's row) with the next attempt after an exponential backoff,
  or after Jira's Retry-After; a 429 also pauses the whole connection until then. Nothing else is written: the
  item and the review stay as they were.

HTTP calls never run inside a database transaction; each outcome is written in a short one afterwards.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from ..audit import audit_record
from ..identity.crypto import DecryptionError, decrypt
from ..models import WORK_LEFT, ImprovementItem, ItemStatus
from ..selectors.plan import plan_rows
from .client import Credentials, JiraClient, JiraError, status_of
from .models import JiraConnection, JiraLink

logger = logging.getLogger(__name__)

# How long a worker may hold a link: longer than a few calls with their timeouts.
CLAIM_SECONDS = 120
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600
LABEL = "wa-security-review"
PRIORITY_BY_LEVEL = {"HIGH": "High", "MEDIUM": "Medium", "LOW": "Low"}
CLOSED = "CLOSED"  # an item that left the plan without being adopted (marked not applicable)


def item_label(item_id: Any) -> str:
    return f"wasr-item-{item_id}"


def client_for(connection: JiraConnection) -> JiraClient:
    try:
        token = decrypt(connection.token_encrypted)
    except DecryptionError as exc:
        raise JiraError(
            "The stored Jira token cannot be decrypted with the configured FIELD_ENCRYPTION_KEY; the team's "
            "owner must enter it again.",
            kind="auth",
        ) from exc
    credentials = Credentials(connection.deployment, connection.email, token)
    return JiraClient(site_url=connection.site_url, credentials=credentials)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Wait before attempt number `attempts + 1`: doubling from a minute, at most six hours, never less than
    what Jira asked for."""
    seconds = min(BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1), BACKOFF_MAX_SECONDS)
    return timedelta(seconds=max(seconds, retry_after or 0))


def effective_status(item: ImprovementItem) -> str:
    if item.status == ItemStatus.DONE:
        return ItemStatus.DONE
    return item.status if item.is_active else CLOSED


# --- Claiming ------------------------------------------------------------------------------------------------


def _claim(link_id: Any, *, force: bool) -> bool:
    now = timezone.now()
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    due = Q() if force else Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    return bool(
        JiraLink.objects.filter(free & due, pk=link_id).update(
            claimed_until=now + timedelta(seconds=CLAIM_SECONDS)
        )
    )


def _release(link_id: Any) -> None:
    JiraLink.objects.filter(pk=link_id).update(claimed_until=None)


def record_failure(link: JiraLink, error: JiraError) -> None:
    """Store the failure on the link (and pause the connection on a 429); the item itself is not touched."""
    now = timezone.now()
    attempts = link.attempts + 1
    gave_up = attempts >= settings.JIRA_MAX_ATTEMPTS or not error.retryable
    message = error.message
    if gave_up:
        message += (
            f" Automatic retries stopped after {attempts} attempt{'s' if attempts != 1 else ''}; use Retry."
        )
    JiraLink.objects.filter(pk=link.pk).update(
        error=message,
        attempts=attempts,
        next_attempt_at=None if gave_up else now + backoff(attempts, error.retry_after),
    )
    if error.kind == "rate_limited":
        JiraConnection.objects.filter(pk=link.connection_id).update(
            paused_until=now + timedelta(seconds=error.retry_after or BACKOFF_BASE_SECONDS)
        )
    logger.info("jira link %s failed (%s, attempt %s)", link.pk, error.kind, attempts)


# --- Creating ------------------------------------------------------------------------------------------------


def _issue_fields(link: JiraLink) -> dict[str, Any]:
    connection = link.connection
    row = plan_rows(ImprovementItem.objects.filter(pk=link.item_id))[0]
    workload = row.workload
    plan = reverse("workload_plan", kwargs={"workload_id": workload.pk}) + f"#item-{link.item_id}"
    lines = [
        f"Improvement item of the Well-Architected security review of {workload.name} ({workload.team.name}).",
        f"Best practice: {row.item.bp_code} {row.bp_title}",
        f"Question: {row.question_code} {row.question_title} (question risk: {row.question_risk})",
        f"Level: {row.level or 'not rated'}",
    ]
    if row.improvement:
        lines += ["", row.improvement]
    if settings.SITE_URL:
        lines += ["", f"Plan: {settings.SITE_URL}{plan}"]
    lines += ["", f"Keep the label {item_label(link.item_id)}: it ties this issue to its improvement item."]
    fields: dict[str, Any] = {
        "project": {"key": connection.project_key},
        "issuetype": {"name": connection.issue_type},
        "summary": f"{row.item.bp_code} {row.bp_title} ({workload.name})"[:250],
        "description": "\n".join(lines),
        "labels": [LABEL, item_label(link.item_id)],
    }
    values = {
        "due_date": row.item.due_date.isoformat() if row.item.due_date else "",
        "level": row.level,
        "question_risk": row.question_risk,
        "workload": workload.name,
        "team": workload.team.name,
        "bp_code": row.item.bp_code,
    }
    for source, target in (connection.field_mapping or {}).items():
        value = values.get(source) or ""
        if not value:
            continue
        if target == "priority":
            fields["priority"] = {"name": PRIORITY_BY_LEVEL.get(value, value.title())}
        elif target == "labels":
            fields["labels"].append("".join(c if c.isalnum() or c in "-_" else "-" for c in value)[:100])
        else:
            fields[target] = value
    return fields


def _create_or_find(link: JiraLink, client: JiraClient) -> str:
    label = item_label(link.item_id)
    found = client.search(f'project = "{link.connection.project_key}" AND labels = "{label}"')
    if found:
        issue, created = found[0], False
    else:
        issue, created = client.create_issue(_issue_fields(link)), True
    key, issue_id = str(issue.get("key") or ""), str(issue.get("id") or "")
    if not key:
        raise JiraError("Jira created the issue but did not say its key.", kind="protocol")
    name, category = status_of(issue)
    try:
        with transaction.atomic():
            item = ImprovementItem.objects.select_for_update().select_related("workload").get(pk=link.item_id)
            url = link.connection.browse_url(key)
            JiraLink.objects.filter(pk=link.pk).update(
                issue_key=key,
                issue_id=issue_id,
                jira_status=name,
                jira_done=category == "done",
                synced_item_status=effective_status(item),
                last_synced_at=timezone.now(),
                error="",
                attempts=0,
                next_attempt_at=None,
            )
            if not item.ticket_url:
                item.ticket_url = url
                item.version += 1
                item.save(update_fields=["ticket_url", "version", "updated_at"])
            audit_record(
                actor=None,
                actor_label="jira-sync",
                action="jira.issue_create" if created else "jira.issue_found",
                obj=link,
                object_repr=f"{item.workload.name} {item.bp_code} → {key}",
                workload_id=item.workload_id,
                after={"issue": key, "item": str(item.pk), "ticket_url": item.ticket_url},
            )
    except IntegrityError as exc:
        raise JiraError(f"{key} is already linked to another improvement item.", kind="refused") from exc
    return "CREATED" if created else "FOUND"


# --- Keeping status in step ----------------------------------------------------------------------------------


def _done_transition(client: JiraClient, key: str) -> dict[str, Any] | None:
    for transition in client.transitions(key):
        if ((transition.get("to") or {}).get("statusCategory") or {}).get("key") == "done":
            return transition
    return None


def _reconcile(link: JiraLink, client: JiraClient) -> str:
    key = link.issue_key
    issue = client.get_issue(key)
    name, category = status_of(issue)
    item = ImprovementItem.objects.select_related("workload").get(pk=link.item_id)
    now_status, before = effective_status(item), link.synced_item_status
    events: list[tuple[str, dict[str, Any]]] = []
    dismissed = link.done_dismissed
    if now_status == ItemStatus.DONE and before != ItemStatus.DONE and category != "done":
        transition = _done_transition(client, key)
        client.add_comment(
            key,
            f"{item.bp_code} is now in place in the security review of {item.workload.name}: the improvement "
            "item is done.",
        )
        if transition is not None:
            client.transition(key, str(transition["id"]))
            name, category = str((transition.get("to") or {}).get("name") or name), "done"
        events.append(("jira.issue_done", {"issue": key, "transitioned": transition is not None}))
    elif now_status in WORK_LEFT and before in (ItemStatus.DONE, ItemStatus.RISK_ACCEPTED, CLOSED):
        client.add_comment(
            key,
            f"{item.bp_code} was reopened in the security review of {item.workload.name}: the improvement item "
            f"is {ItemStatus(now_status).label.lower()} again.",
        )
        # The reopening was a person's decision in the review; Jira's old "done" must not ask them again.
        dismissed = dismissed or category == "done"
        events.append(("jira.item_reopened", {"issue": key, "status": now_status}))
    done = category == "done"
    if done and not link.jira_done and now_status in WORK_LEFT and not dismissed:
        events.append(("jira.done_reported", {"issue": key, "jira_status": name}))
    with transaction.atomic():
        JiraLink.objects.filter(pk=link.pk).update(
            jira_status=name,
            jira_done=done,
            done_dismissed=dismissed if done else False,
            synced_item_status=now_status,
            last_synced_at=timezone.now(),
            error="",
            attempts=0,
            next_attempt_at=None,
        )
        for action, after in events:
            audit_record(
                actor=None,
                actor_label="jira-sync",
                action=action,
                obj=link,
                object_repr=f"{item.workload.name} {item.bp_code} ↔ {key}",
                workload_id=item.workload_id,
                after=after,
            )
    return "SYNCED"


def link_sync(link_id: Any, *, force: bool = False) -> str:
    """Bring one link in step; its outcome (CREATED, FOUND, SYNCED, FAILED, or SKIPPED when held or not due)."""
    if not _claim(link_id, force=force):
        return "SKIPPED"
    try:
        link = JiraLink.objects.select_related("connection").get(pk=link_id)
        try:
            client = client_for(link.connection)
            return _create_or_find(link, client) if link.pending else _reconcile(link, client)
        except JiraError as error:
            record_failure(link, error)
            return "FAILED"
    finally:
        _release(link_id)


def links_sync(link_ids: list[Any], *, force: bool = False) -> dict[str, int]:
    """Sync the given links one after another; a 429 on a connection skips its remaining links this time."""
    outcomes: dict[str, int] = {}
    paused: set[str] = set()
    # Task arguments are strings, query results UUIDs: compare them as strings.
    connections = {
        str(pk): str(connection_id)
        for pk, connection_id in JiraLink.objects.filter(pk__in=link_ids).values_list("pk", "connection_id")
    }
    for link_id in link_ids:
        connection_id = connections.get(str(link_id))
        if connection_id is None or connection_id in paused:
            outcome = "SKIPPED"
        else:
            outcome = link_sync(link_id, force=force)
            now = timezone.now()
            if (
                outcome == "FAILED"
                and JiraConnection.objects.filter(pk=connection_id, paused_until__gt=now).exists()
            ):
                paused.add(connection_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def due_link_ids(now: Any = None, limit: int | None = None) -> list[Any]:
    """Links the schedule should handle now: a retry that is due, or a linked issue not synced for a while."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.JIRA_SYNC_INTERVAL)
    fresh = Q(next_attempt_at__isnull=True, attempts=0)
    stale_issue = fresh & ~Q(issue_key="") & (Q(last_synced_at__isnull=True) | Q(last_synced_at__lt=stale))
    # Asked for but never tried: the task that should have created it was lost with its worker.
    lost = fresh & Q(issue_key="", created_at__lt=now - timedelta(seconds=CLAIM_SECONDS))
    due = Q(next_attempt_at__lte=now) | stale_issue | lost
    return list(
        JiraLink.objects.filter(due)
        .exclude(connection__paused_until__gt=now)
        .order_by("last_synced_at", "created_at")
        .values_list("pk", flat=True)[: limit or settings.JIRA_SYNC_BATCH]
    )


def sync_due() -> dict[str, int]:
    """What celery beat runs: every due link, then the connections' last sync time."""
    ids = due_link_ids()
    outcomes = links_sync(ids)
    JiraConnection.objects.filter(links__pk__in=ids).update(last_sync_at=timezone.now())
    return outcomes


__all__ = [
    "backoff",
    "client_for",
    "due_link_ids",
    "item_label",
    "link_sync",
    "links_sync",
    "record_failure",
    "sync_due",
]
