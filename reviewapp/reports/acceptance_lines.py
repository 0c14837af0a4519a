"""The risk-acceptance history of a workload as the review report prints it (reports/content.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..models import RiskAcceptance, User


@dataclass
class AcceptanceLine:
    """One risk acceptance request of the workload and what became of it, for the report's history table."""

    bp_code: str
    state: str
    level: str
    expires_on: date
    requested: str
    justification: str
    compensating_controls: str
    decision: str
    ended: str


def _who(user: User | None) -> str:
    return user.display_name() if user else "a former user"


def acceptance_lines(workload_id: Any, as_of: datetime) -> list[AcceptanceLine]:
    """Every acceptance asked for on the workload's items up to `as_of`, as it stands now (a report of a
    milestone shows what became of the requests made before it, since the history is what auditors ask)."""
    rows = (
        RiskAcceptance.objects.filter(item__workload_id=workload_id, requested_at__lte=as_of)
        .select_related("item", "requested_by", "decided_by", "ended_by")
        .order_by("item__bp_code", "requested_at")
    )
    lines = []
    for row in rows:
        decision = ""
        if row.decided_at and (row.decided_by_id or row.state in ("APPROVED", "REJECTED", "EXPIRED")):
            verb = "Rejected" if row.state == "REJECTED" else "Approved"
            decision = (
                f"{verb} by {_who(row.decided_by)} on {row.decided_at:%d %b %Y}: {row.decision_comment}"
            )
        ended = ""
        if row.state == "REVOKED":
            ended = f"Revoked by {_who(row.ended_by)} on {row.ended_at:%d %b %Y}: {row.end_reason}"
        elif row.state == "EXPIRED":
            ended = f"Expired on {row.expires_on:%d %b %Y}."
        lines.append(
            AcceptanceLine(
                bp_code=row.item.bp_code,
                state=row.get_state_display(),
                level=row.level.title(),
                expires_on=row.expires_on,
                requested=f"{_who(row.requested_by)} on {row.requested_at:%d %b %Y}",
                justification=row.justification,
                compensating_controls=row.compensating_controls,
                decision=decision,
                ended=ended,
            )
        )
    return lines
