"""Reads of risk acceptance: an item's history and a decider's queue (a fixed number of queries each)."""

from __future__ import annotations

from ..access import Viewer, acceptances_awaiting
from ..models import ImprovementItem, RiskAcceptance

QUEUE_LENGTH = 10


def acceptance_history(item: ImprovementItem) -> list[RiskAcceptance]:
    """Every acceptance ever asked for on the item, newest first, with the people involved."""
    history = list(
        RiskAcceptance.objects.filter(item=item)
        .select_related("requested_by", "decided_by", "ended_by")
        .order_by("-requested_at")
    )
    for acceptance in history:
        acceptance.item = item  # already loaded, with its workload
    return history


def acceptance_queue(user: Viewer, limit: int = QUEUE_LENGTH) -> tuple[list[RiskAcceptance], int]:
    """The oldest pending requests `user` may decide (at most `limit`), and how many there are in all."""
    pending = acceptances_awaiting(user)
    rows = list(
        pending.select_related("item__workload", "requested_by").order_by("requested_at", "pk")[:limit]
    )
    total = len(rows) if len(rows) < limit else pending.count()
    return rows, total
