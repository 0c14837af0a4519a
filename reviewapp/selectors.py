"""Reads that span relations, grouped by area. Each runs a fixed number of queries whatever the number of
rows; tests pin the counts.

Areas: the improvement plan (plan_rows, improvement_plan, my_items), the security lead's dashboard
(dashboard_rows), milestones (milestone_trend) and lens upgrades (lens_upgrade_available).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.fields.json import KT
from django.utils import timezone

from questionnaire.models import BestPractice, LensVersion

from .access import workloads_visible_to
from .models import Answer, ImprovementItem, ItemStatus, Milestone, Review, User, Workload
from .risk import RISK_ORDER, Level, Risk, RiskCounts, level_sort_key, worst

# Statuses that still mean work for someone (services.plan.WORK_LEFT is the same tuple).
WORK_LEFT = (ItemStatus.OPEN, ItemStatus.IN_PROGRESS)
EXPIRING_WITHIN_DAYS = 30


# --- Improvement plan ---------------------------------------------------------------------------------------


@dataclass
class PlanRow:
    """One improvement item with what the catalogue and the answers say about it."""

    item: ImprovementItem
    workload: Workload
    review_id: Any
    question_code: str
    question_title: str
    question_risk: str
    bp_title: str
    level: str
    improvement: str
    doc_url: str
    today: date
    # False when the item's best practice is not in the lens version the review is on (kept as history).
    in_catalogue: bool = True
    sort_key: tuple = ()

    @property
    def overdue(self) -> bool:
        item = self.item
        return bool(
            item.is_active and item.status in WORK_LEFT and item.due_date and item.due_date < self.today
        )

    @property
    def acceptance_expiring(self) -> bool:
        item = self.item
        return bool(
            item.status == ItemStatus.RISK_ACCEPTED
            and item.acceptance_expires_on
            and item.acceptance_expires_on <= self.today + timedelta(days=EXPIRING_WITHIN_DAYS)
        )


def plan_rows(items: QuerySet[ImprovementItem], *, today: date | None = None) -> list[PlanRow]:
    """`items` joined with their best practice and question risk, most urgent first.

    Order: question risk (HIGH first), then the best practice's level, then catalogue order. Three queries:
    the items (with owner, workload and team), the best practices, the answers' risks.
    """
    today = today or timezone.localdate()
    review = Review.objects.filter(workload_id=OuterRef("workload_id"), lens_id=OuterRef("lens_id"))
    items = list(
        items.select_related("owner", "accepted_by", "workload__team").annotate(
            review_pk=Subquery(review.values("pk")[:1]),
            version_pk=Subquery(review.values("lens_version_id")[:1]),
        )
    )
    if not items:
        return []
    practices = {
        (bp["question__lens_version_id"], bp["code"]): bp
        for bp in BestPractice.objects.filter(
            question__lens_version_id__in={item.version_pk for item in items if item.version_pk},
            code__in={item.bp_code for item in items},
        ).values(
            "code",
            "title",
            "level",
            "order",
            "improvement",
            "doc_url",
            "question_id",
            "question__code",
            "question__title",
            "question__order",
            "question__lens_version_id",
        )
    }
    risks = {
        (answer["review_id"], answer["question_id"]): answer["risk"]
        for answer in Answer.objects.filter(
            review_id__in={item.review_pk for item in items if item.review_pk},
            question_id__in={bp["question_id"] for bp in practices.values()},
        ).values("review_id", "question_id", "risk")
    }
    rows = []
    for item in items:
        bp = practices.get((item.version_pk, item.bp_code))
        if bp is None:
            rows.append(
                PlanRow(
                    item=item,
                    workload=item.workload,
                    review_id=item.review_pk,
                    question_code="",
                    question_title="",
                    question_risk=Risk.UNANSWERED,
                    bp_title=item.bp_code,
                    level="",
                    improvement="",
                    doc_url="",
                    today=today,
                    in_catalogue=False,
                    sort_key=(len(RISK_ORDER), len(Level) + 1, 1 << 30, 0, item.bp_code),
                )
            )
            continue
        risk = risks.get((item.review_pk, bp["question_id"]), Risk.UNANSWERED)
        rows.append(
            PlanRow(
                item=item,
                workload=item.workload,
                review_id=item.review_pk,
                question_code=bp["question__code"],
                question_title=bp["question__title"],
                question_risk=risk,
                bp_title=bp["title"],
                level=bp["level"],
                improvement=bp["improvement"],
                doc_url=bp["doc_url"],
                today=today,
                sort_key=(
                    RISK_ORDER.index(Risk(risk)),
                    level_sort_key(Level(bp["level"]) if bp["level"] else None),
                    bp["question__order"],
                    bp["order"],
                    item.workload.name.lower(),
                ),
            )
        )
    rows.sort(key=lambda row: row.sort_key)
    return rows


@dataclass(frozen=True)
class PlanFilters:
    status: str = ""  # an ItemStatus value, or "" for every status on the plan
    level: str = ""  # HIGH / MEDIUM / LOW
    owner: str = ""  # a user id, "none" for unassigned, or "" for anyone
    include_closed: bool = False  # also items that left the plan (adopted or not applicable)


def improvement_plan(workload: Workload, filters: PlanFilters | None = None) -> list[PlanRow]:
    """The workload's improvement plan in priority order (see plan_rows), filtered."""
    filters = filters or PlanFilters()
    items = ImprovementItem.objects.filter(workload=workload)
    return _filtered_rows(items, filters)


def _filtered_rows(items: QuerySet[ImprovementItem], filters: PlanFilters) -> list[PlanRow]:
    if not filters.include_closed:
        items = items.filter(is_active=True)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.owner == "none":
        items = items.filter(owner__isnull=True)
    elif filters.owner:
        items = items.filter(owner_id=filters.owner)
    rows = plan_rows(items)
    if filters.level:
        rows = [row for row in rows if row.level == filters.level]
    return rows


def plan_status_counts(rows: list[PlanRow]) -> dict[str, int]:
    counts = dict.fromkeys(ItemStatus.values, 0)
    for row in rows:
        counts[row.item.status] += 1
    counts["overdue"] = sum(1 for row in rows if row.overdue)
    return counts


def my_items(user: User, *, today: date | None = None) -> list[PlanRow]:
    """Items on the plan owned by `user` (work left or accepted), in workloads they may still see.

    Ordered by urgency for one person: overdue and soonest due first, undated last, then plan order.
    """
    today = today or timezone.localdate()
    items = ImprovementItem.objects.filter(
        owner=user,
        is_active=True,
        status__in=[*WORK_LEFT, ItemStatus.RISK_ACCEPTED],
        workload__in=workloads_visible_to(user).filter(is_archived=False).values("pk"),
    )
    rows = plan_rows(items, today=today)
    rows.sort(key=lambda row: (row.item.due_date is None, row.item.due_date or today, row.sort_key))
    return rows


def workload_plan_rows(user: User, workload_ids: list[Any]) -> list[PlanRow]:
    """Items on the plan of the given workloads that `user` may see, grouped by workload (for exports)."""
    items = ImprovementItem.objects.filter(
        is_active=True, workload_id__in=workloads_visible_to(user).filter(pk__in=workload_ids).values("pk")
    )
    rows = plan_rows(items)
    rows.sort(key=lambda row: (row.workload.name.lower(), str(row.workload.pk), row.sort_key))
    return rows


# --- Dashboard ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardFilters:
    team: str = ""  # team id
    environment: str = ""  # Environment value
    risk: str = ""  # headline risk: HIGH / MEDIUM / NONE / UNANSWERED, or NOT_REVIEWED
    owner: str = ""  # user id: workloads where this user owns items with work left


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
    if filters.owner:
        workloads = workloads.filter(
            Exists(
                ImprovementItem.objects.filter(
                    workload_id=OuterRef("pk"), owner_id=filters.owner, is_active=True, status__in=WORK_LEFT
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
        .order_by()
        .values("workload_id")
        .annotate(
            high=Count("pk", filter=work_left & Q(Exists(_level_exists(Level.HIGH)))),
            medium=Count("pk", filter=work_left & Q(Exists(_level_exists(Level.MEDIUM)))),
            low=Count("pk", filter=work_left & Q(Exists(_level_exists(Level.LOW)))),
            all_open=Count("pk", filter=work_left),
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


# --- Milestones ---------------------------------------------------------------------------------------------


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


# --- Lens upgrades ------------------------------------------------------------------------------------------


def lens_upgrade_available(review: Review) -> LensVersion | None:
    """The newest version of the review's lens when it is newer than the one the review is on, else None."""
    return (
        LensVersion.objects.filter(lens_id=review.lens_id, number__gt=review.lens_version.number)
        .order_by("-number")
        .first()
    )
