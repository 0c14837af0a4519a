"""The consolidated (portfolio) report's figures across many workloads, in a fixed number of queries.

Per-workload risk counts come from the dashboard's rows (three queries whatever the number of workloads); the
practices most often missing, the accepted risks, the catalogue titles and the milestone history are one
aggregate query each. Nothing here loops over workloads with a query: 200 or 2,000 workloads cost the same
seven queries (tests/reviewapp/test_portfolio_report.py pins the count).

The trend reads each milestone's stored risk counts (snapshot.counts) without loading whole snapshots. A point
at a date sums, over the workloads that had a milestone by then, each one's latest milestone on or before it;
the last point is the current answers. So a workload counts in the trend from its first milestone on.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from questionnaire.models import BestPractice

from ..models import WORK_LEFT, ImprovementItem, ItemStatus, Milestone, User, Workload
from ..risk import RiskCounts
from .dashboard import (
    NOT_REVIEWED,
    DashboardFilters,
    DashboardRow,
    DashboardTotals,
    dashboard_rows,
    dashboard_totals,
)
from .plan import EXPIRING_WITHIN_DAYS

# The practices most often missing that the report lists.
TOP_MISSING = 15
HEADLINE_LABELS = {
    "HIGH": "High risk",
    "MEDIUM": "Medium risk",
    "NONE": "No risk",
    "NOT_APPLICABLE": "Not applicable",
    "UNANSWERED": "Review in progress",
}
# Trend points at most; a long period is sampled every few months instead of every month.
MAX_TREND_POINTS = 24


@dataclass(frozen=True)
class MissingPractice:
    bp_code: str
    title: str
    level: str
    workloads: int
    # Share of the reviewed workloads in the report that miss it, in percent.
    share: int


@dataclass(frozen=True)
class AcceptedRisk:
    workload: str
    team: str
    bp_code: str
    title: str
    level: str
    accepted_by: str
    expires_on: date | None
    justification: str
    expiring: bool


@dataclass(frozen=True)
class TrendPoint:
    label: str
    when: date
    high: int
    medium: int
    # Workloads whose figures make up this point (those with a milestone by then; all reviewed ones for "now").
    workloads: int


@dataclass
class WorkloadLine:
    """A dashboard row with the workload's figures at the start of the period, when it had a milestone."""

    row: DashboardRow
    high_then: int | None = None
    medium_then: int | None = None

    @property
    def headline_label(self) -> str:
        headline = self.row.headline
        return "Not reviewed" if headline == NOT_REVIEWED else HEADLINE_LABELS.get(headline, headline)

    @property
    def high_change(self) -> int | None:
        return None if self.high_then is None else self.row.counts.high - self.high_then

    @property
    def medium_change(self) -> int | None:
        return None if self.medium_then is None else self.row.counts.medium - self.medium_then


@dataclass
class Portfolio:
    since: date
    today: date
    lines: list[WorkloadLine]
    totals: DashboardTotals
    missing: list[MissingPractice] = field(default_factory=list)
    accepted: list[AcceptedRisk] = field(default_factory=list)
    trend: list[TrendPoint] = field(default_factory=list)

    @property
    def reviewed(self) -> int:
        return sum(1 for line in self.lines if line.row.reviewed)

    @property
    def accepted_expiring(self) -> int:
        return sum(1 for risk in self.accepted if risk.expiring)


@dataclass(frozen=True)
class ConsolidatedScope:
    """What a consolidated report covers: the dashboard filters, the start of the trend, and a label."""

    filters: DashboardFilters
    since: date
    label: str

    def as_json(self) -> dict[str, Any]:
        return {"filters": self.filters.as_dict(), "since": self.since.isoformat(), "label": self.label}

    @classmethod
    def of(cls, stored: dict[str, Any]) -> ConsolidatedScope:
        filters = DashboardFilters.of(stored.get("filters"))
        return cls(filters, date.fromisoformat(stored["since"]), stored.get("label", ""))


def portfolio_workload_count(user: User, filters: DashboardFilters) -> int:
    """How many workloads a consolidated report with these filters would cover (before the risk filter)."""
    from .dashboard import dashboard_workloads

    return dashboard_workloads(user, filters).count()


def portfolio(user: User, filters: DashboardFilters, *, since: date, today: date | None = None) -> Portfolio:
    """The consolidated report's figures for the workloads `user` may see that match `filters`."""
    today = today or timezone.localdate()
    rows = dashboard_rows(user, filters, today=today)
    ids = [row.workload.pk for row in rows]
    result = Portfolio(
        since=since, today=today, lines=[WorkloadLine(row) for row in rows], totals=dashboard_totals(rows)
    )
    if not ids:
        return result
    missing = list(
        ImprovementItem.objects.filter(workload_id__in=ids, is_active=True, status__in=WORK_LEFT)
        .order_by()
        .values("bp_code")
        .annotate(workloads=Count("workload_id", distinct=True))
        .order_by("-workloads", "bp_code")[:TOP_MISSING]
    )
    accepted = list(
        ImprovementItem.objects.filter(workload_id__in=ids, is_active=True, status=ItemStatus.RISK_ACCEPTED)
        .select_related("workload__team", "accepted_by")
        .only(
            "bp_code",
            "acceptance_expires_on",
            "acceptance_justification",
            "workload__name",
            "workload__team__name",
            "accepted_by__username",
            "accepted_by__first_name",
            "accepted_by__last_name",
        )
        .order_by("acceptance_expires_on", "workload__name", "bp_code")
    )
    catalogue = _titles({entry["bp_code"] for entry in missing} | {item.bp_code for item in accepted})
    reviewed = max(1, sum(1 for row in rows if row.reviewed))
    result.missing = [
        MissingPractice(
            bp_code=entry["bp_code"],
            title=catalogue.get(entry["bp_code"], (entry["bp_code"], ""))[0],
            level=catalogue.get(entry["bp_code"], ("", ""))[1],
            workloads=entry["workloads"],
            share=round(100 * entry["workloads"] / reviewed),
        )
        for entry in missing
    ]
    soon = today + timedelta(days=EXPIRING_WITHIN_DAYS)
    result.accepted = [
        AcceptedRisk(
            workload=item.workload.name,
            team=item.workload.team.name,
            bp_code=item.bp_code,
            title=catalogue.get(item.bp_code, (item.bp_code, ""))[0],
            level=catalogue.get(item.bp_code, ("", ""))[1],
            accepted_by=item.accepted_by.display_name() if item.accepted_by is not None else "",
            expires_on=item.acceptance_expires_on,
            justification=item.acceptance_justification,
            expiring=bool(item.acceptance_expires_on and item.acceptance_expires_on <= soon),
        )
        for item in accepted
    ]
    history = _milestone_history(ids)
    lines = {line.row.workload.pk: line for line in result.lines}
    cutoff = _end_of(since)
    for workload_id, points in history.items():
        before = [point for point in points if point[0] <= cutoff]
        if before:
            lines[workload_id].high_then, lines[workload_id].medium_then = before[-1][1], before[-1][2]
    result.trend = _trend(history, rows, since=since, today=today)
    return result


def _titles(codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Title and level of each best practice code, from the newest lens version that has it. One query."""
    titles: dict[str, tuple[str, str]] = {}
    for bp in (
        BestPractice.objects.filter(code__in=list(codes))
        .order_by("question__lens_version__number")
        .values("code", "title", "level")
    ):
        titles[bp["code"]] = (bp["title"], bp["level"] or "")
    return titles


def _milestone_history(ids: Any) -> dict[Any, list[tuple[datetime, int, int]]]:
    """Per workload, (taken at, high, medium) of each milestone, oldest first. One query, no snapshot bodies."""
    history: dict[Any, list[tuple[datetime, int, int]]] = {}
    for entry in (
        Milestone.objects.filter(workload_id__in=ids)
        .order_by("created_at")
        .values(
            "workload_id",
            "created_at",
            high=KT("snapshot__counts__high"),
            medium=KT("snapshot__counts__medium"),
        )
    ):
        history.setdefault(entry["workload_id"], []).append(
            (entry["created_at"], int(entry["high"] or 0), int(entry["medium"] or 0))
        )
    return history


def _end_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.max))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def trend_dates(since: date, today: date) -> list[date]:
    """The dates the trend is measured at: `since`, then every month (or every few months) before today."""
    months = (today.year - since.year) * 12 + today.month - since.month
    step = max(1, -(-months // (MAX_TREND_POINTS - 1)))
    dates, index = [], 0
    while True:
        day = _add_months(since, index * step)
        if day >= today:
            break
        dates.append(day)
        index += 1
    return dates


def _trend(
    history: dict[Any, list[tuple[datetime, int, int]]],
    rows: list[DashboardRow],
    *,
    since: date,
    today: date,
) -> list[TrendPoint]:
    now = sum((row.counts for row in rows if row.reviewed), RiskCounts())
    reviewed = sum(1 for row in rows if row.reviewed)
    return [*_trend_until(history, since, today), TrendPoint("Now", today, now.high, now.medium, reviewed)]


def high_risk_trend(
    workloads: QuerySet[Workload], totals: DashboardTotals, *, since: date, today: date | None = None
) -> list[TrendPoint]:
    """High- and medium-risk questions across `workloads` at each trend date, from their milestones, then now
    (from the dashboard's totals). One query: milestone counts, never their snapshots."""
    today = today or timezone.localdate()
    history = _milestone_history(workloads.order_by().values("pk"))
    now = TrendPoint("Now", today, totals.counts.high, totals.counts.medium, totals.reviewed)
    return [*_trend_until(history, since, today), now]


def _trend_until(
    history: dict[Any, list[tuple[datetime, int, int]]], since: date, today: date
) -> list[TrendPoint]:
    points = []
    for day in trend_dates(since, today):
        cutoff = _end_of(day)
        high = medium = covered = 0
        for milestones in history.values():
            known = [point for point in milestones if point[0] <= cutoff]
            if known:
                high, medium, covered = high + known[-1][1], medium + known[-1][2], covered + 1
        points.append(TrendPoint(f"{day:%d %b %Y}", day, high, medium, covered))
    return points


__all__ = [
    "AcceptedRisk",
    "ConsolidatedScope",
    "MissingPractice",
    "Portfolio",
    "TrendPoint",
    "WorkloadLine",
    "portfolio",
    "high_risk_trend",
    "portfolio_workload_count",
    "trend_dates",
]
