"""The security lead's dashboard: one row per visible workload with risk counts and plan figures, in a fixed
number of queries whatever the number of workloads."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from questionnaire.models import BestPractice
from questionnaire.rating import Level, Risk

from ..access import workloads_visible_to
from ..models import WORK_LEFT, Answer, ImprovementItem, ItemStatus, Review, User, Workload
from ..risk import RiskCounts, worst
from .plan import EXPIRING_WITHIN_DAYS
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
    return workloads


def dashboard_rows(
    user: User, filters: DashboardFilters | None = None, *, today: date | None = None
) -> list[DashboardRow]:
    """One row per workload the user may see: risk counts, open items by level, overdue items, acceptances
    expiring within 30 days and review progress. Three queries, whatever the number of workloads."""
    filters = filters or DashboardFilters()
    today = today or timezone.localdate()
    workloads = dashboard_workloads(user, filters)
    first_review = Review.objects.filter(workload_id=OuterRef("pk")).order_by("created_at")
    rows = {
        workload.pk: DashboardRow(workload=workload, review_id=workload.review_pk)
        for workload in workloads.select_related("team")
        .annotate(review_pk=Subquery(first_review.values("pk")[:1]))
        .order_by("team__name", "name")
    }
    if not rows:
        return []
    ids = workloads.values("pk")
    risk_counts = {risk.value.lower(): Count("pk", filter=Q(risk=risk.value)) for risk in Risk}
    for entry in (
        Answer.objects.filter(review__workload_id__in=ids)
        .order_by()
        .values("review__workload_id")
        .annotate(**risk_counts)
    ):
        row = rows[entry.pop("review__workload_id")]
        row.counts = RiskCounts(**entry)
    work_left = Q(status__in=WORK_LEFT)
    for entry in (
        ImprovementItem.objects.filter(workload_id__in=ids, is_active=True)
        .alias(profile_priority=item_priority())
        .order_by()
        .values("workload_id")
        .annotate(
            high=Count("pk", filter=work_left & Q(Exists(_level_exists(Level.HIGH)))),
            medium=Count("pk", filter=work_left & Q(Exists(_level_exists(Level.MEDIUM)))),
            low=Count("pk", filter=work_left & Q(Exists(_level_exists(Level.LOW)))),
            all_open=Count("pk", filter=work_left),
            prioritised=Count("pk", filter=work_left & Q(profile_priority__gt=0)),
            overdue=Count("pk", filter=work_left & Q(due_date__lt=today)),
            accepted=Count("pk", filter=Q(status=ItemStatus.RISK_ACCEPTED)),
            expiring=Count(
                "pk",
                filter=Q(
                    status=ItemStatus.RISK_ACCEPTED,
                    acceptance_expires_on__lte=today + timedelta(days=EXPIRING_WITHIN_DAYS),
                ),
            ),
        )
    ):
        row = rows[entry["workload_id"]]
        row.open_by_level = {"HIGH": entry["high"], "MEDIUM": entry["medium"], "LOW": entry["low"]}
        # Custom-lens choices have no level: count them apart so the total stays right.
        other = entry["all_open"] - entry["high"] - entry["medium"] - entry["low"]
        if other:
            row.open_by_level["OTHER"] = other
        row.overdue, row.accepted, row.expiring = entry["overdue"], entry["accepted"], entry["expiring"]
        row.prioritised = entry["prioritised"]
    result = list(rows.values())
    if filters.risk:
        result = [row for row in result if row.headline == filters.risk]
    return result


def _level_exists(level: Level) -> QuerySet[BestPractice]:
    """The item's best practice has `level` in the lens version its workload's review is on."""
    return BestPractice.objects.filter(
        code=OuterRef("bp_code"),
        level=level.value,
        question__lens_version__reviews__workload_id=OuterRef("workload_id"),
        question__lens_version__reviews__lens_id=OuterRef("lens_id"),
    )


@dataclass
class DashboardTotals:
    workloads: int = 0
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
