"""Reads of the improvement plan: items joined with their best practice and question risk, most urgent first.
Each runs a fixed number of queries whatever the number of rows; tests pin the counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from questionnaire.models import BestPractice
from questionnaire.rating import Level, Risk

from ..access import workloads_visible_to
from ..models import WORK_LEFT, Answer, ImprovementItem, ItemStatus, Review, User, Workload
from ..risk import RISK_ORDER, level_sort_key
from .profiles import item_priority

EXPIRING_WITHIN_DAYS = 30


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
    # The workload profile's priority for the practice: 2 high, 1 elevated, 0 none (selectors/profiles.py).
    priority: int = 0
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

    Order: the workload profile's priority, then question risk (HIGH first), then the best practice's level,
    then catalogue order. Three queries:
    the items (with owner, workload and team), the best practices, the answers' risks.
    """
    today = today or timezone.localdate()
    review = Review.objects.filter(workload_id=OuterRef("workload_id"), lens_id=OuterRef("lens_id"))
    annotated = list(
        items.select_related("owner", "accepted_by", "workload__team", "jira_link__connection").annotate(
            review_pk=Subquery(review.values("pk")[:1]),
            version_pk=Subquery(review.values("lens_version_id")[:1]),
            # The workload profile's priority ranks ahead of risk (selectors/profiles.py).
            profile_priority=item_priority(),
        )
    )
    if not annotated:
        return []
    practices = {
        (bp["question__lens_version_id"], bp["code"]): bp
        for bp in BestPractice.objects.filter(
            question__lens_version_id__in={item.version_pk for item in annotated if item.version_pk},
            code__in={item.bp_code for item in annotated},
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
            review_id__in={item.review_pk for item in annotated if item.review_pk},
            question_id__in={bp["question_id"] for bp in practices.values()},
        ).values("review_id", "question_id", "risk")
    }
    rows = []
    for item in annotated:
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
                    priority=item.profile_priority,
                    sort_key=(
                        -item.profile_priority,
                        len(RISK_ORDER),
                        len(Level) + 1,
                        1 << 30,
                        0,
                        item.bp_code,
                    ),
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
                priority=item.profile_priority,
                sort_key=(
                    -item.profile_priority,
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
        items = items.filter(owner_id=int(filters.owner))
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
