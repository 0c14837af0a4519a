"""Working the improvement plan: tracking edits, bulk changes, expiring accepted risks and owner reminders.

Which items exist, and whether they are on the plan, follows the answers (answers.items_sync). These functions
change only how an item is tracked: status, owner, due date, ticket, notes and accepted risk.

Status rules:
- OPEN and IN_PROGRESS are set freely on an item that is on the plan.
- DONE is never set by hand: an item is done when its best practice is selected in the review, so the plan and
  the answers cannot disagree (a hand-set DONE would be reopened by the next save of the answer anyway).
- RISK_ACCEPTED is reached only through an approved risk acceptance (reviewapp/acceptance), never by an edit
  here. The item reopens ON its expiry date. Leaving RISK_ACCEPTED revokes the acceptance and clears the
  acceptance fields of the item (the acceptance row and the audit trail keep them).
- Items that left the plan (best practice adopted or marked not applicable) are history and cannot be edited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import URLValidator
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..acceptance.services import acceptance_end, practice_of
from ..access import user_sees_workload
from ..audit import audit_record
from ..lib.mail import send_once
from ..models import WORK_LEFT, ImprovementItem, ItemStatus, Membership, ReminderLog, User
from ..selectors import plan_rows

logger = logging.getLogger(__name__)

REMINDER_WINDOW_DAYS = 7
TEXT_MAX_LENGTH = 2000
TICKET_URL_MAX_LENGTH = 2048


class ItemConflict(Exception):
    """The item changed since the user loaded it; `current` is what is stored now (nothing was saved)."""

    def __init__(self, current: ImprovementItem) -> None:
        super().__init__(f"item {current.pk} is at version {current.version}")
        self.current = current


class _Keep(Enum):
    KEEP = "keep"


# Passed to items_bulk_update for a field the bulk action leaves alone (None means "clear it").
KEEP = _Keep.KEEP

_url_validator = URLValidator(schemes=["http", "https"])


def item_state(item: ImprovementItem) -> dict[str, Any]:
    """The tracked fields of an item, as the audit trail records them."""
    return {
        "status": item.status,
        "owner": item.owner.get_username() if item.owner else None,
        "due_date": item.due_date.isoformat() if item.due_date else None,
        "ticket_url": item.ticket_url,
        "notes": item.notes,
        "acceptance_justification": item.acceptance_justification,
        "acceptance_expires_on": item.acceptance_expires_on.isoformat()
        if item.acceptance_expires_on
        else None,
        "accepted_by": item.accepted_by.get_username() if item.accepted_by else None,
    }


def _changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    changed = [key for key in after if after[key] != before.get(key)]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


def _audit(
    item: ImprovementItem, actor: User | None, action: str, before: dict, after: dict, **extra: Any
) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=item,
        object_repr=f"{item.workload.name} {item.bp_code}",
        workload_id=item.workload_id,
        before=before,
        after=after,
        **extra,
    )


def owner_problem(owner: User | None, team_id: Any) -> str | None:
    """Why `owner` cannot own items of the team's workloads, or None when they can (or nobody is chosen)."""
    if owner is None:
        return None
    if not owner.is_active:
        return f"{owner.get_username()} is deactivated and cannot own items."
    if not Membership.objects.filter(team_id=team_id, user=owner).exists():
        return f"{owner.get_username()} is not a member of this workload's team."
    return None


def acceptance_latest(today: date | None = None) -> date:
    """The furthest expiry date a risk acceptance made today may have."""
    return (today or timezone.localdate()) + timedelta(days=settings.RISK_ACCEPTANCE_MAX_DAYS)


def _question_code(item: ImprovementItem) -> str:
    """The question of the item's best practice in the review's lens version, for error messages."""
    practice = practice_of(item)
    return practice[0].by_question_id[practice[1][0]].code if practice else "its question"


@transaction.atomic
def item_update(
    *,
    item: ImprovementItem,
    actor: User,
    status: str,
    owner: User | None,
    due_date: date | None,
    ticket_url: str = "",
    notes: str = "",
    acceptance_justification: str = "",
    acceptance_expires_on: date | None = None,
    base_version: int | None = None,
) -> ImprovementItem:
    """Change how an item on the plan is tracked; see the module docstring for the status rules.

    `base_version` is the version the person's edit started from: when the item has moved on since, nothing
    is saved and ItemConflict carries the stored item. None (jobs, the risk-acceptance page) skips the check.
    """
    locked = (
        ImprovementItem.objects.select_for_update(of=("self",))
        .select_related("workload", "owner", "accepted_by")
        .get(pk=item.pk)
    )
    if base_version is not None and locked.version != base_version:
        raise ItemConflict(locked)
    ticket_url = ticket_url.strip()
    notes = notes.replace("\r\n", "\n")
    justification = acceptance_justification.replace("\r\n", "\n").strip()
    errors: dict[str, list[str]] = {}
    if not locked.is_active:
        raise ValidationError(
            {
                NON_FIELD_ERRORS: [
                    f"{locked.bp_code} is no longer on the improvement plan, so it cannot be changed."
                ]
            }
        )
    if status not in ItemStatus.values:
        errors["status"] = [f"{status!r} is not a status."]
    elif status == ItemStatus.DONE and locked.status != ItemStatus.DONE:
        errors["status"] = [
            f"An item is done when its best practice is selected in the review: "
            f"answer {_question_code(locked)} to close {locked.bp_code}."
        ]
    problem = owner_problem(owner, locked.workload.team_id)
    if problem:
        errors["owner"] = [problem]
    if ticket_url:
        if len(ticket_url) > TICKET_URL_MAX_LENGTH:
            errors["ticket_url"] = [f"The ticket link is limited to {TICKET_URL_MAX_LENGTH:,} characters."]
        else:
            try:
                _url_validator(ticket_url)
            except ValidationError:
                errors["ticket_url"] = ["Enter a full http:// or https:// link to the ticket."]
    if len(notes) > TEXT_MAX_LENGTH:
        errors["notes"] = [f"Notes are limited to {TEXT_MAX_LENGTH:,} characters (you have {len(notes):,})."]
    accepting = status == ItemStatus.RISK_ACCEPTED
    if accepting and (
        locked.status != ItemStatus.RISK_ACCEPTED
        or justification != locked.acceptance_justification
        or acceptance_expires_on != locked.acceptance_expires_on
    ):
        # Accepting a risk needs someone else's approval (reviewapp/acceptance), never a plain edit.
        errors["status"] = [
            f"Request the acceptance of {locked.bp_code}: the risk is accepted once someone else approves it."
        ]
    if errors:
        raise ValidationError(errors)

    before = item_state(locked)
    locked.status = status
    locked.owner = owner
    locked.due_date = due_date
    locked.ticket_url = ticket_url
    locked.notes = notes
    if not accepting:
        if before["status"] == ItemStatus.RISK_ACCEPTED:
            acceptance_end(locked, actor, f"Status changed to {ItemStatus(status).label} on the plan.")
        locked.acceptance_justification = ""
        locked.acceptance_expires_on = None
        locked.accepted_by = None
    changed_before, changed_after = _changes(before, item_state(locked))
    if changed_after:
        locked.version += 1
        locked.save()
        _audit(locked, actor, "item.update", changed_before, changed_after)
    return locked


@transaction.atomic
def items_bulk_update(
    *,
    items: Iterable[ImprovementItem],
    actor: User,
    owner: User | None | _Keep = KEEP,
    due_date: date | None | _Keep = KEEP,
) -> int:
    """Set the owner and/or due date of several items at once, all or none; returns how many changed."""
    ids = [item.pk for item in items]
    if not ids:
        raise ValidationError({"items": ["Select at least one item."]})
    if owner is KEEP and due_date is KEEP:
        raise ValidationError({NON_FIELD_ERRORS: ["Choose an owner or a due date to set."]})
    locked = list(
        ImprovementItem.objects.select_for_update(of=("self",))
        .select_related("workload", "owner", "accepted_by")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    errors: dict[str, list[str]] = {}
    if len(locked) != len(set(ids)):
        errors["items"] = ["Some of the selected items no longer exist."]
    closed = sorted(item.bp_code for item in locked if not item.is_active)
    if closed:
        errors.setdefault("items", []).append(
            f"{', '.join(closed)} {'is' if len(closed) == 1 else 'are'} no longer on the plan "
            "and cannot be changed."
        )
    if owner is not KEEP:
        for team_id in {item.workload.team_id for item in locked}:
            problem = owner_problem(owner, team_id)
            if problem:
                errors["owner"] = [problem]
    if errors:
        raise ValidationError(errors)
    changed = 0
    for item in locked:
        before = item_state(item)
        if owner is not KEEP:
            item.owner = owner
        if due_date is not KEEP:
            item.due_date = due_date
        changed_before, changed_after = _changes(before, item_state(item))
        if changed_after:
            item.version += 1
            item.save(update_fields=["owner", "due_date", "version", "updated_at"])
            _audit(item, actor, "item.bulk_update", changed_before, changed_after)
            changed += 1
    return changed


@dataclass(frozen=True)
class ReminderLine:
    workload: str
    bp_code: str
    title: str
    due_date: date
    overdue: bool


def reminder_items(today: date) -> dict[User, list[ReminderLine]]:
    """Per owner, their items on the plan with work left that are overdue or due within the reminder window.

    Only workloads the owner may still see count: someone who left the team is not told about its weaknesses.
    """
    items = (
        ImprovementItem.objects.filter(
            is_active=True,
            status__in=WORK_LEFT,
            owner__isnull=False,
            owner__is_active=True,
            due_date__lte=today + timedelta(days=REMINDER_WINDOW_DAYS),
            workload__is_archived=False,
        )
        .exclude(owner__email="")
        .filter(user_sees_workload("owner", "workload"))
    )
    lines: dict[User, list[ReminderLine]] = {}
    for row in plan_rows(items, today=today):
        owner, due = row.item.owner, row.item.due_date
        if owner is None or due is None:
            continue  # excluded by the query above; kept out for the type checker too
        lines.setdefault(owner, []).append(
            ReminderLine(
                workload=row.workload.name,
                bp_code=row.item.bp_code,
                title=row.bp_title,
                due_date=due,
                overdue=due < today,
            )
        )
    for owner_lines in lines.values():
        owner_lines.sort(key=lambda line: (line.due_date, line.workload, line.bp_code))
    return lines


def send_item_reminders(today: date | None = None) -> int:
    """E-mail each owner one list of their overdue and soon-due items; at most one e-mail per owner per day.

    The ReminderLog row is written in the same transaction as the send: a second run the same day skips the
    owner (the unique constraint settles a race between two runs), and a failed send rolls the row back so a
    retry can try again. Returns the number of e-mails sent.
    """
    today = today or timezone.localdate()
    already = set(ReminderLog.objects.filter(date=today).values_list("owner_id", flat=True))
    link = f"{settings.SITE_URL}{reverse('my_items')}" if settings.SITE_URL else ""
    sent = 0
    for owner, lines in sorted(reminder_items(today).items(), key=lambda pair: pair[0].pk):
        if owner.pk in already:
            continue
        overdue = [line for line in lines if line.overdue]
        due_soon = [line for line in lines if not line.overdue]
        subject = (
            f"{len(overdue)} overdue and {len(due_soon)} soon-due improvement items"
            if overdue
            else f"{len(due_soon)} improvement item{'s' if len(due_soon) != 1 else ''} due within a week"
        )
        body = render_to_string(
            "plan/email/reminder.txt",
            {"owner": owner, "overdue": overdue, "due_soon": due_soon, "today": today, "link": link},
        )

        def record(owner: User = owner, lines: list[ReminderLine] = lines) -> None:
            ReminderLog.objects.create(owner=owner, date=today, item_count=len(lines))
            audit_record(
                actor=None,
                actor_label="system",
                action="plan.reminder_sent",
                object_type="User",
                object_id=str(owner.pk),
                object_repr=owner.get_username(),
                after={
                    "date": today.isoformat(),
                    "items": [f"{line.workload} {line.bp_code}" for line in lines],
                },
            )

        message = EmailMessage(subject=subject, body=body, to=[owner.email])
        if not send_once(record=record, message=message, what=f"reminder to {owner.get_username()}"):
            continue
        sent += 1
    return sent


__all__ = [
    "KEEP",
    "ItemConflict",
    "REMINDER_WINDOW_DAYS",
    "acceptance_latest",
    "item_state",
    "item_update",
    "items_bulk_update",
    "owner_problem",
    "reminder_items",
    "send_item_reminders",
]
