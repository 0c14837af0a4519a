"""Reads of milestones: the risk trend, without loading whole snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models.fields.json import KT

from ..models import Milestone, Workload


@dataclass(frozen=True)
class TrendPoint:
    milestone_id: Any
    name: str
    created_at: Any
    high: int
    medium: int


def milestone_trend(workload: Workload) -> list[TrendPoint]:
    """HIGH and MEDIUM question counts per milestone, oldest first, read without loading whole snapshots."""
    entries = (
        Milestone.objects.filter(workload=workload)
        .order_by("created_at")
        .values(
            "pk",
            "name",
            "created_at",
            high=KT("snapshot__counts__high"),
            medium=KT("snapshot__counts__medium"),
        )
    )
    return [
        TrendPoint(
            entry["pk"],
            entry["name"],
            entry["created_at"],
            int(entry["high"] or 0),
            int(entry["medium"] or 0),
        )
        for entry in entries
    ]
