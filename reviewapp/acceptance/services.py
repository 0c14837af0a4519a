"""Writes of risk acceptance: request, decide, revoke, expire, and the reminder e-mails before expiry.

- A request records a justification (at least RISK_ACCEPTANCE_MIN_JUSTIFICATION characters), a note on the
  compensating controls and an expiry no further ahead than the practice's level allows
  (RISK_ACCEPTANCE_MAX_DAYS_BY_LEVEL). It leaves the item as it is: a pending request changes no risk figure.
- A decision by someone else (access.acceptance_deciders_refusal) approves it, which puts the item in
  RISK_ACCEPTED until the expiry date, or rejects it. Both need a comment.
- Revoking ends a pending or approved acceptance early; expiry ends an approved one on its date. Either way the
  item reopens, and the acceptance row keeps who asked, who decided, when and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..access import acceptance_deciders_refusal, team_owners
from ..audit import audit_record
from ..lib.mail import send_once
from ..models import ImprovementItem, ItemStatus, Review, User
from ..specs import VersionSpecs, version_specs
from .models import OPEN_STATES, AcceptanceReminder, AcceptanceState, RiskAcceptance

TEXT_MAX_LENGTH = 2000
# Reminders go this many days before the expiry date (and once more on it).
REMINDER_DAYS = (14, 1)


def practice_of(item: ImprovementItem) -> tuple[VersionSpecs, tuple[int, str, int]] | None:
    """The item's practice in its review's lens version (specs, bp_index entry); None when not in it."""
    version_id = (
        Review.objects.filter(workload_id=item.workload_id, lens_id=item.lens_id)
        .values_list("lens_version_id", flat=True)
        .first()
    )
    if version_id is None:
        return None
    specs = version_specs(version_id)
    entry = specs.bp_index.get(item.bp_code)
    return (specs, entry) if entry else None


def item_level(item: ImprovementItem) -> str:
    """The risk level of the item's practice; HIGH (the strictest limits) for a practice no longer in the
    lens or one without a level."""
    practice = practice_of(item)
    return practice[1][1] if practice and practice[1][1] else "HIGH"


def max_days(level: str) -> int:
    return settings.RISK_ACCEPTANCE_MAX_DAYS_BY_LEVEL.get(
        level, settings.RISK_ACCEPTANCE_MAX_DAYS_BY_LEVEL["HIGH"]
    )


def latest_expiry(level: str, today: date | None = None) -> date:
    """The furthest expiry date an acceptance of a practice of `level` requested today may have."""
    return (today or timezone.localdate()) + timedelta(days=max_days(level))


def _audit(
    obj: RiskAcceptance | ImprovementItem,
    actor: User | None,
    action: str,
    *,
    after: dict,
    before: dict | None = None,
) -> None:
    """Audit a change of an acceptance or its item, named by workload and practice; no actor is the system."""
    item = obj.item if isinstance(obj, RiskAcceptance) else obj
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        object_repr=f"{item.workload.name} {item.bp_code}",
        workload_id=item.workload_id,
        actor_label="" if actor else "system",
        before=before,
        after=after,
    )


def _request_errors(
    justification: str, controls: str, expires_on: date | None, level: str, today: date
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    shortest = settings.RISK_ACCEPTANCE_MIN_JUSTIFICATION
    if len(justification) < shortest:
        errors["justification"] = [
            f"Explain in at least {shortest} characters why this risk may be accepted "
            f"(you have {len(justification)})."
        ]
    elif len(justification) > TEXT_MAX_LENGTH:
        errors["justification"] = [f"The justification is limited to {TEXT_MAX_LENGTH:,} characters."]
    if len(controls) > TEXT_MAX_LENGTH:
        errors["compensating_controls"] = [f"This note is limited to {TEXT_MAX_LENGTH:,} characters."]
    latest = latest_expiry(level, today)
    if expires_on is None:
        errors["expires_on"] = ["Choose the date the acceptance expires."]
    elif expires_on <= today:
        errors["expires_on"] = ["The expiry date must be after today: the item reopens on that date."]
    elif expires_on > latest:
        errors["expires_on"] = [
            f"A {level.lower()} risk may be accepted for at most {max_days(level)} days: "
            f"choose {latest.isoformat()} or earlier."
        ]
    return errors


@transaction.atomic
def acceptance_request(
    *,
    item: ImprovementItem,
    actor: User,
    justification: str,
    compensating_controls: str,
    expires_on: date | None,
    today: date | None = None,
) -> RiskAcceptance:
    """Ask for the risk of `item` to be accepted; someone else decides (acceptance_decide)."""
    locked = ImprovementItem.objects.select_for_update().select_related("workload").get(pk=item.pk)
    today = today or timezone.localdate()
    justification = justification.replace("\r\n", "\n").strip()
    controls = compensating_controls.replace("\r\n", "\n").strip()
    if not locked.is_active or locked.status == ItemStatus.DONE:
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"{locked.bp_code} is no longer on the improvement plan: nothing to accept."]}
        )
    current = RiskAcceptance.objects.filter(item=locked, state__in=OPEN_STATES).first()
    if current is not None:
        what = "awaits a decision" if current.state == AcceptanceState.PENDING else "is already accepted"
        raise ValidationError({NON_FIELD_ERRORS: [f"The risk of {locked.bp_code} {what}."]})
    level = item_level(locked)
    errors = _request_errors(justification, controls, expires_on, level, today)
    if errors or expires_on is None:
        raise ValidationError(errors)
    acceptance = RiskAcceptance.objects.create(
        item=locked,
        level=level,
        justification=justification,
        compensating_controls=controls,
        expires_on=expires_on,
        requested_by=actor,
    )
    _audit(
        acceptance,
        actor,
        "acceptance.request",
        after={
            "item": str(locked.pk),
            "level": level,
            "justification": justification,
            "compensating_controls": controls,
            "expires_on": expires_on.isoformat(),
        },
    )
    return acceptance


def _locked(acceptance: RiskAcceptance) -> RiskAcceptance:
    return (
        RiskAcceptance.objects.select_for_update(of=("self",))
        .select_related("item__workload", "requested_by")
        .get(pk=acceptance.pk)
    )


@transaction.atomic
def acceptance_decide(
    *, acceptance: RiskAcceptance, actor: User, approve: bool, comment: str, today: date | None = None
) -> RiskAcceptance:
    """Approve (the item becomes RISK_ACCEPTED until the expiry) or reject a pending request."""
    locked = _locked(acceptance)
    refusal = acceptance_deciders_refusal(actor, locked)
    if refusal:
        raise PermissionDenied(refusal)
    comment = comment.replace("\r\n", "\n").strip()
    today = today or timezone.localdate()
    if locked.state != AcceptanceState.PENDING:
        raise ValidationError(
            {NON_FIELD_ERRORS: [f"This request was already {locked.get_state_display().lower()}."]}
        )
    if not comment:
        raise ValidationError({"comment": ["Say why, in a sentence: it stays in the item's history."]})
    if len(comment) > TEXT_MAX_LENGTH:
        raise ValidationError({"comment": [f"The comment is limited to {TEXT_MAX_LENGTH:,} characters."]})
    if approve and locked.expires_on <= today:
        raise ValidationError(
            {NON_FIELD_ERRORS: ["The requested expiry date has passed: reject it instead."]}
        )
    item = ImprovementItem.objects.select_for_update().get(pk=locked.item_id)
    if approve and (not item.is_active or item.status == ItemStatus.DONE):
        raise ValidationError({NON_FIELD_ERRORS: [f"{item.bp_code} left the plan: nothing to accept."]})
    locked.state = AcceptanceState.APPROVED if approve else AcceptanceState.REJECTED
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_comment = comment
    locked.save(update_fields=["state", "decided_by", "decided_at", "decision_comment"])
    if approve:
        before = {"status": item.status}
        item.status = ItemStatus.RISK_ACCEPTED
        item.acceptance_justification = locked.justification
        item.acceptance_expires_on = locked.expires_on
        item.accepted_by = actor
        item.version += 1
        item.save()
        item.workload = locked.item.workload
        _audit(
            item,
            actor,
            "item.accept_risk",
            before=before,
            after={"status": item.status, "acceptance_expires_on": locked.expires_on.isoformat()},
        )
    _audit(
        locked,
        actor,
        "acceptance.approve" if approve else "acceptance.reject",
        before={"state": AcceptanceState.PENDING},
        after={"state": locked.state, "comment": comment},
    )
    return locked


def _reopen(item: ImprovementItem, actor: User | None, action: str, reason: str) -> None:
    """Put an accepted item back to OPEN (its acceptance row keeps what the item forgets)."""
    if item.status != ItemStatus.RISK_ACCEPTED:
        return
    before = {"status": item.status, "acceptance_expires_on": item.acceptance_expires_on}
    item.status = ItemStatus.OPEN
    item.acceptance_justification = ""
    item.acceptance_expires_on = None
    item.accepted_by = None
    item.version += 1
    item.save()
    _audit(item, actor, action, before=before, after={"status": item.status, "reason": reason})


def acceptance_end(item: ImprovementItem, actor: User, reason: str) -> None:
    """Mark the item's current acceptance REVOKED because the item itself left RISK_ACCEPTED (plan edits);
    the caller holds the item's row lock and reopens the item."""
    current = RiskAcceptance.objects.select_for_update().filter(item=item, state__in=OPEN_STATES).first()
    if current is None:
        return
    current.state = AcceptanceState.REVOKED
    current.ended_by, current.ended_at, current.end_reason = actor, timezone.now(), reason
    if current.decided_at is None:
        current.decided_at = current.ended_at
    current.save(update_fields=["state", "ended_by", "ended_at", "end_reason", "decided_at"])
    current.item = item
    _audit(current, actor, "acceptance.revoke", after={"state": current.state, "reason": reason})


@transaction.atomic
def acceptance_revoke(*, acceptance: RiskAcceptance, actor: User, reason: str) -> RiskAcceptance:
    """End a pending or approved acceptance now; an accepted item reopens."""
    locked = _locked(acceptance)
    reason = reason.replace("\r\n", "\n").strip()
    if locked.state not in OPEN_STATES:
        raise ValidationError({NON_FIELD_ERRORS: ["This acceptance has already ended."]})
    if not reason:
        raise ValidationError({"reason": ["Say why the acceptance ends: it stays in the item's history."]})
    if len(reason) > TEXT_MAX_LENGTH:
        raise ValidationError({"reason": [f"The reason is limited to {TEXT_MAX_LENGTH:,} characters."]})
    item = ImprovementItem.objects.select_for_update().select_related("workload").get(pk=locked.item_id)
    acceptance_end(item, actor, reason)
    _reopen(item, actor, "item.acceptance_revoked", reason)
    locked.refresh_from_db()
    return locked


@dataclass(frozen=True)
class Expiry:
    workload: str
    bp_code: str
    expires_on: date
    accepted_by: str


def expire_risk_acceptances(today: date | None = None, *, apply: bool = True) -> list[Expiry]:
    """The accepted risks that expire on or before `today`; with `apply`, end them and reopen their items.

    Without `apply` nothing changes: `expire_acceptances --date` uses that to show what a date would do."""
    today = today or timezone.localdate()
    items = (
        ImprovementItem.objects.select_related("workload", "accepted_by")
        .filter(status=ItemStatus.RISK_ACCEPTED, acceptance_expires_on__lte=today)
        .order_by("acceptance_expires_on", "workload__name", "bp_code")
    )
    due = [
        Expiry(
            workload=item.workload.name,
            bp_code=item.bp_code,
            expires_on=item.acceptance_expires_on or today,
            accepted_by=item.accepted_by.get_username() if item.accepted_by else "",
        )
        for item in items
    ]
    if apply:
        with transaction.atomic():
            for item in items.select_for_update(of=("self",)):
                for current in RiskAcceptance.objects.select_for_update().filter(
                    item=item, state=AcceptanceState.APPROVED
                ):
                    current.state = AcceptanceState.EXPIRED
                    current.ended_at = timezone.now()
                    current.end_reason = f"Expired on {current.expires_on.isoformat()}."
                    current.save(update_fields=["state", "ended_at", "end_reason"])
                    current.item = item
                    _audit(current, None, "acceptance.expire", after={"state": current.state})
                _reopen(item, None, "item.acceptance_expired", "The accepted risk expired.")
    return due


def _reminder_kind(days_left: int) -> str | None:
    if days_left <= 0:
        return AcceptanceReminder.Kind.EXPIRED
    if days_left <= REMINDER_DAYS[1]:
        return AcceptanceReminder.Kind.DAYS_1
    if days_left <= REMINDER_DAYS[0]:
        return AcceptanceReminder.Kind.DAYS_14
    return None


def _recipients(acceptance: RiskAcceptance) -> list[str]:
    people = [acceptance.item.owner, acceptance.decided_by, *team_owners(acceptance.item.workload.team_id)]
    return sorted({person.email for person in people if person and person.is_active and person.email})


def send_acceptance_reminders(today: date | None = None) -> int:
    """E-mail the item owner, the approver and the team owners 14 days and 1 day before an accepted risk
    expires, and once when it has expired. Each (acceptance, kind) goes once: the AcceptanceReminder row
    commits with the send (a second run skips it; a failed send rolls it back for the next run to retry).
    Returns the number of e-mails sent."""
    today = today or timezone.localdate()
    candidates = (
        RiskAcceptance.objects.select_related("item__workload", "item__owner", "decided_by")
        .filter(
            state__in=[AcceptanceState.APPROVED, AcceptanceState.EXPIRED],
            expires_on__lte=today + timedelta(days=REMINDER_DAYS[0]),
            expires_on__gte=today - timedelta(days=REMINDER_DAYS[0]),
        )
        .order_by("expires_on", "pk")
    )
    sent_kinds = set(
        AcceptanceReminder.objects.filter(acceptance__in=candidates).values_list("acceptance_id", "kind")
    )
    sent = 0
    for acceptance in candidates:
        kind = _reminder_kind((acceptance.expires_on - today).days)
        if kind is None or (acceptance.pk, kind) in sent_kinds:
            continue
        if kind != AcceptanceReminder.Kind.EXPIRED and acceptance.state != AcceptanceState.APPROVED:
            continue
        to = _recipients(acceptance)
        if not to:
            continue
        item = acceptance.item
        link = (
            f"{settings.SITE_URL}{reverse('plan_item_edit', args=[item.workload_id, item.pk])}"
            if settings.SITE_URL
            else ""
        )
        subject = (
            f"Accepted risk expired: {item.workload.name} {item.bp_code}"
            if kind == AcceptanceReminder.Kind.EXPIRED
            else f"Accepted risk expires {acceptance.expires_on:%Y-%m-%d}: {item.workload.name} {item.bp_code}"
        )
        body = render_to_string(
            "plan/email/acceptance_expiry.txt",
            {"acceptance": acceptance, "item": item, "kind": kind, "link": link, "today": today},
        )

        def record(
            acceptance: RiskAcceptance = acceptance, kind: str = str(kind), to: list[str] = to
        ) -> None:
            AcceptanceReminder.objects.create(acceptance=acceptance, kind=kind, recipients=to)
            _audit(acceptance, None, "acceptance.reminder_sent", after={"kind": kind, "to": to})

        message = EmailMessage(subject=subject, body=body, to=to)
        if not send_once(record=record, message=message, what=f"acceptance reminder {acceptance.pk}"):
            continue
        sent += 1
    return sent
