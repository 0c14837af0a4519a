"""The security lead's dashboard: one row per visible workload with risk counts and plan figures, in a fixed
number of queries whatever the number of workloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce, Lower, NullIf
from django.utils import timezone

from questionnaire.rating import Level, Risk

from ..access import workloads_visible_to
from ..models import WORK_LEFT, Answer, ImprovementItem, ItemStatus, Review, User, Workload
from ..risk import RiskCounts, worst
from .plan import EXPIRING_WITHIN_DAYS, PlanRow, plan_rows
from .profiles import item_priority


@dataclass(frozen=True)
class DashboardFilters:
    team: str = ""  # team id
    environment: str = ""  # Environment value
    risk: str = ""  # headline risk: HIGH / MEDIUM / NONE / UNANSWERED, or NOT_REVIEWED
    owner: str = ""  # user id: workloads where this user owns items with work left
    tag: str = ""  # "key" (the workload has the tag) or "key=value"

    def as_dict(self) -> dict[str, str]:
        """The filters that have a value, as saved filters and consolidated reports store them."""
        return {name: value for name, value in vars(self).items() if value}

    @classmethod
    def of(cls, stored: dict[str, Any] | None) -> DashboardFilters:
        """The filters as_dict() stored; keys this version does not know are ignored."""
        known = set(cls.__dataclass_fields__)
        return cls(**{key: str(value) for key, value in (stored or {}).items() if key in known})


NOT_REVIEWED = "NOT_REVIEWED"


@dataclass
class DashboardRow:
    workload: Workload
    review_id: Any
    counts: RiskCounts = field(default_factory=RiskCounts)
    open_by_level: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    expiring: int = 0
    accepted: int = 0
    # Open items the workload's profile prioritises (selectors/profiles.py): the ones to do first.
    prioritised: int = 0

    @property
    def reviewed(self) -> bool:
        return self.review_id is not None

    @property
    def headline(self) -> str:
        if not self.reviewed:
            return NOT_REVIEWED
        return worst(risk for risk in Risk if getattr(self.counts, risk.value.lower()))

    # Progress counts applicable questions only, as the review and workload pages do: a question marked
    # not applicable is neither answered nor left to do.
    @property
    def answered(self) -> int:
        return self.counts.applicable - self.counts.unanswered

    @property
    def questions(self) -> int:
        return self.counts.applicable

    @property
    def percent_done(self) -> int:
        return round(100 * self.answered / self.questions) if self.questions else 100

    @property
    def open_items(self) -> int:
        return sum(self.open_by_level.values())


def dashboard_workloads(user: User, filters: DashboardFilters) -> QuerySet[Workload]:
    """Visible, not archived workloads matching the filters that SQL can apply."""
    workloads = workloads_visible_to(user).filter(is_archived=False)
    if filters.team:
        workloads = workloads.filter(team_id=filters.team)
    if filters.environment:
        workloads = workloads.filter(environment=filters.environment)
    if filters.tag:
        key, has_value, value = filters.tag.partition("=")
        key = key.strip()
        # One path step whatever the key holds ("__", spaces, dots): matched exactly as written. The cast makes
        # the comparison plain text (SQLite would otherwise parse the wanted value as JSON).
        workloads = workloads.alias(tag_value=Cast(KeyTextTransform(key, "tags"), CharField()))
        workloads = (
            workloads.filter(tag_value=value.strip())
            if has_value
            else workloads.filter(tag_value__isnull=False)
        )
    if filters.owner:
        workloads = workloads.filter(
            Exists(
                ImprovementItem.objects.filter(
                    workload_id=OuterRef("pk"),
                    owner_id=int(filters.owner),
                    is_active=True,
                    status__in=WORK_LEFT,
                )
            )
        )
    if filters.risk:
        workloads = workloads.filter(_headline_is(filters.risk))
    return workloads


# Most severe first, as risk.worst ranks them.
HEADLINE_ORDER = (Risk.HIGH, Risk.MEDIUM, Risk.NONE, Risk.UNANSWERED, Risk.NOT_APPLICABLE)


def _answers_with(*risks: Risk) -> Exists:
    return Exists(
        Answer.objects.filter(review__workload_id=OuterRef("pk"), risk__in=[r.value for r in risks])
    )


def _headline_is(headline: str) -> Q:
    """Workloads whose headline risk (DashboardRow.headline) is `headline`, as semi-joins on the answers."""
    if headline == NOT_REVIEWED:
        return ~Q(Exists(Review.objects.filter(workload_id=OuterRef("pk"))))
    if headline not in {risk.value for risk in Risk}:
        return Q(pk__in=[])
    risk = Risk(headline)
    above = HEADLINE_ORDER[: HEADLINE_ORDER.index(risk)]
    wanted = Q(_answers_with(risk))
    return wanted & ~Q(_answers_with(*above)) if above else wanted


def dashboard_rows(
    user: User, filters: DashboardFilters | None = None, *, today: date | None = None
) -> list[DashboardRow]:
    """One row per workload the user may see, by team then name: risk counts, open items by level, overdue
    items, acceptances expiring within 30 days and review progress. Three queries, whatever the number of
    workloads (the consolidated report's table; the dashboard pages through dashboard_sorted instead)."""
    workloads = dashboard_sorted(dashboard_workloads(user, filters or DashboardFilters()), DEFAULT_SORT)
    return dashboard_rows_for(list(workloads), today=today)


def dashboard_rows_for(workloads: list[Workload], *, today: date | None = None) -> list[DashboardRow]:
    """The dashboard rows of `workloads` (one page of dashboard_sorted), in their order. Two queries."""
    today = today or timezone.localdate()
    rows = {
        workload.pk: DashboardRow(workload=workload, review_id=getattr(workload, "review_pk", None))
        for workload in workloads
    }
    if not rows:
        return []
    ids = list(rows)
    answers = Answer.objects.filter(review__workload_id__in=ids).order_by().values("review__workload_id")
    for entry in answers.annotate(**_risk_counts()):
        row = rows[entry.pop("review__workload_id")]
        row.counts = RiskCounts(**entry)
    work_left = Q(status__in=WORK_LEFT)
    items = ImprovementItem.objects.filter(workload_id__in=ids, is_active=True).alias(
        profile_priority=item_priority()
    )
    figures = _item_figures(today) | {
        "prioritised": Count("pk", filter=work_left & Q(profile_priority__gt=0)),
    }
    for entry in items.order_by().values("workload_id").annotate(**figures):
        row = rows[entry["workload_id"]]
        row.open_by_level = {"HIGH": entry["high"], "MEDIUM": entry["medium"], "LOW": entry["low"]}
        # Custom-lens choices have no level: count them apart so the total stays right.
        other = entry["all_open"] - entry["high"] - entry["medium"] - entry["low"]
        if other:
            row.open_by_level["OTHER"] = other
        row.overdue, row.accepted, row.expiring = entry["overdue"], entry["accepted"], entry["expiring"]
        row.prioritised = entry["prioritised"]
    return list(rows.values())


def _risk_counts() -> dict[str, Count]:
    return {risk.value.lower(): Count("pk", filter=Q(risk=risk.value)) for risk in Risk}


def _item_figures(today: date) -> dict[str, Count]:
    """The plan figures of active items: open by level (the stored ImprovementItem.level), overdue, accepted,
    and acceptances expiring within EXPIRING_WITHIN_DAYS."""
    work_left = Q(status__in=WORK_LEFT)
    return {
        "high": Count("pk", filter=work_left & Q(level=Level.HIGH.value)),
        "medium": Count("pk", filter=work_left & Q(level=Level.MEDIUM.value)),
        "low": Count("pk", filter=work_left & Q(level=Level.LOW.value)),
        "all_open": Count("pk", filter=work_left),
        "overdue": Count("pk", filter=work_left & Q(due_date__lt=today)),
        "accepted": Count("pk", filter=Q(status=ItemStatus.RISK_ACCEPTED)),
        "expiring": Count(
            "pk",
            filter=Q(
                status=ItemStatus.RISK_ACCEPTED,
                acceptance_expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS),
            ),
        ),
    }


def _answer_count(*risks: Risk) -> Count:
    return Count("reviews__answers", filter=Q(reviews__answers__risk__in=[risk.value for risk in risks]))


def _item_count(condition: Q) -> Count:
    return Count("improvement_items", filter=Q(improvement_items__is_active=True) & condition)


def _sort_expressions(today: date) -> dict[str, Any]:
    """What each dashboard column sorts by, computed in the database: one join and a GROUP BY for a count."""
    severity = Max(
        Case(
            *(
                When(reviews__answers__risk=risk.value, then=Value(len(HEADLINE_ORDER) - rank))
                for rank, risk in enumerate(HEADLINE_ORDER)
            ),
            default=Value(0),
        )
    )
    work_left = Q(improvement_items__status__in=WORK_LEFT)
    rated = (Risk.HIGH, Risk.MEDIUM, Risk.NONE)
    return {
        "name": Lower("name"),
        "team": Lower("team__name"),
        "environment": F("environment"),
        # Not reviewed sorts below every reviewed workload.
        "risk": Coalesce(severity, Value(-1)),
        "high": _answer_count(Risk.HIGH),
        "medium": _answer_count(Risk.MEDIUM),
        # Answered share of applicable questions, in thousandths so the database compares integers.
        "progress": Coalesce(
            1000 * _answer_count(*rated) / NullIf(_answer_count(*rated, Risk.UNANSWERED), 0), Value(-1)
        ),
        "open": _item_count(work_left),
        "open_high": _item_count(work_left & Q(improvement_items__level=Level.HIGH.value)),
        "overdue": _item_count(work_left & Q(improvement_items__due_date__lt=today)),
        "expiring": _item_count(
            Q(
                improvement_items__status=ItemStatus.RISK_ACCEPTED,
                improvement_items__acceptance_expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS),
            )
        ),
    }


# The dashboard's sortable columns, as `?sort=` names them (`-name` for descending).
SORT_COLUMNS = (
    "name",
    "team",
    "environment",
    "progress",
    "risk",
    "high",
    "medium",
    "open",
    "open_high",
    "overdue",
    "expiring",
)
DEFAULT_SORT = "team"


def valid_sort(sort: str | None) -> str:
    """`sort` when it names a column (optionally with "-"), else the default."""
    return sort if sort and sort.removeprefix("-") in SORT_COLUMNS else DEFAULT_SORT


def dashboard_sorted(
    workloads: QuerySet[Workload], sort: str = DEFAULT_SORT, *, today: date | None = None
) -> QuerySet[Workload]:
    """`workloads` ordered by one dashboard column, then team, name and id, so equal rows keep one order across
    pages; each with its team and its first review's id (`review_pk`)."""
    sort = valid_sort(sort)
    expression = _sort_expressions(today or timezone.localdate())[sort.removeprefix("-")]
    first_review = Review.objects.filter(workload_id=OuterRef("pk")).order_by("created_at")
    key = F("sort_value").desc() if sort.startswith("-") else F("sort_value").asc()
    return (
        workloads.select_related("team")
        .annotate(sort_value=expression, review_pk=Subquery(first_review.values("pk")[:1]))
        .order_by(key, Lower("team__name"), Lower("name"), "pk")
    )


def dashboard_totals_for(workloads: QuerySet[Workload], *, today: date | None = None) -> DashboardTotals:
    """The dashboard's totals over all of `workloads`, counted by the database: three queries."""
    today = today or timezone.localdate()
    ids = workloads.order_by().values("pk")
    counts = Answer.objects.filter(review__workload_id__in=ids).aggregate(
        **_risk_counts(), reviewed=Count("review__workload_id", distinct=True)
    )
    reviewed = counts.pop("reviewed")
    figures = ImprovementItem.objects.filter(workload_id__in=ids, is_active=True).aggregate(
        **_item_figures(today)
    )
    return DashboardTotals(
        workloads=workloads.count(),
        reviewed=reviewed,
        counts=RiskCounts(**counts),
        open_high=figures["high"],
        open_items=figures["all_open"],
        overdue=figures["overdue"],
        expiring=figures["expiring"],
    )


@dataclass
class DashboardTotals:
    workloads: int = 0
    reviewed: int = 0  # workloads with a review started
    counts: RiskCounts = field(default_factory=RiskCounts)
    open_high: int = 0
    open_items: int = 0
    overdue: int = 0
    expiring: int = 0


def dashboard_totals(rows: list[DashboardRow]) -> DashboardTotals:
    totals = DashboardTotals(workloads=len(rows))
    for row in rows:
        totals.counts = totals.counts + row.counts
        totals.open_high += row.open_by_level.get("HIGH", 0)
        totals.open_items += row.open_items
        totals.overdue += row.overdue
        totals.expiring += row.expiring
    return totals


def risk_by_area(workloads: QuerySet[Workload]) -> list[tuple[str, dict[str, int]]]:
    """Question risks across `workloads` per best-practice area, in catalogue order: one aggregate query."""
    areas: dict[str, dict[str, int]] = {}
    for entry in (
        Answer.objects.filter(review__workload_id__in=workloads.order_by().values("pk"))
        .values("question__area", "risk")
        .annotate(answers=Count("pk"), first=Min("question__order"))
        .order_by("first", "question__area")
    ):
        counts = areas.setdefault(
            entry["question__area"] or "Other", dict.fromkeys(RiskCounts().as_dict(), 0)
        )
        counts[entry["risk"].lower()] += entry["answers"]
    return list(areas.items())


OLDEST_HIGH_ITEMS = 10


def oldest_high_items(workloads: QuerySet[Workload], *, today: date | None = None) -> list[PlanRow]:
    """The longest-open items of HIGH level with work left across `workloads` (four queries)."""
    items = ImprovementItem.objects.filter(
        workload_id__in=workloads.order_by().values("pk"),
        is_active=True,
        status__in=WORK_LEFT,
        level=Level.HIGH.value,
    ).order_by("created_at", "pk")
    return plan_rows(items[:OLDEST_HIGH_ITEMS], today=today)
