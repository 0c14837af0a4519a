"""Reads of the improvement plan: items joined with their best practice and question risk, most urgent first.
Each runs a fixed number of queries whatever the number of rows; tests pin the counts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone

from questionnaire.models import BestPractice
from questionnaire.rating import Risk

from ..access import workloads_visible_to
from ..models import WORK_LEFT, Answer, ImprovementItem, ItemStatus, Review, User, Workload
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


def plan_ordered(items: QuerySet[ImprovementItem]) -> QuerySet[ImprovementItem]:
    """`items` most urgent first: question risk, then the best practice's level, then catalogue order (the
    stored ImprovementItem.priority), then workload name; the id keeps equal rows in a stable order."""
    return items.order_by("priority", Lower("workload__name"), "workload_id", "pk")


def plan_rows(items: QuerySet[ImprovementItem], *, today: date | None = None) -> list[PlanRow]:
    """`items` joined with their best practice, question risk and profile priority, in the queryset's order
    (plan_ordered when it has none). Pass one page of items: the work here is per row. Three queries: the items
    (with owner, workload, team and profile priority), the best practices, the answers' risks.
    """
    today = today or timezone.localdate()
    if not items.query.is_sliced and not items.query.order_by:
        items = plan_ordered(items)
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
            "improvement",
            "doc_url",
            "question_id",
            "question__code",
            "question__title",
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
                )
            )
            continue
        rows.append(
            PlanRow(
                item=item,
                workload=item.workload,
                review_id=item.review_pk,
                question_code=bp["question__code"],
                question_title=bp["question__title"],
                question_risk=risks.get((item.review_pk, bp["question_id"]), Risk.UNANSWERED),
                bp_title=bp["title"],
                level=bp["level"],
                improvement=bp["improvement"],
                doc_url=bp["doc_url"],
                today=today,
                priority=item.profile_priority,
            )
        )
    return rows


@dataclass(frozen=True)
class PlanFilters:
    status: str = ""  # an ItemStatus value, or "" for every status on the plan
    level: str = ""  # HIGH / MEDIUM / LOW
    owner: str = ""  # a user id, "none" for unassigned, or "" for anyone
    include_closed: bool = False  # also items that left the plan (adopted or not applicable)


def improvement_plan(workload: Workload, filters: PlanFilters | None = None) -> list[PlanRow]:
    """The workload's improvement plan in priority order (see plan_ordered), filtered. One workload has at most
    one item per best practice of its lenses, so the page shows them all. The workload profile's priorities come
    first (issue 17): a correlated lookup, cheap for one workload's few dozen items."""
    items = plan_items(ImprovementItem.objects.filter(workload=workload), filters or PlanFilters())
    ranked = items.alias(ranked_priority=item_priority()).order_by(
        "-ranked_priority", "priority", Lower("workload__name"), "workload_id", "pk"
    )
    return plan_rows(ranked)


def plan_items(items: QuerySet[ImprovementItem], filters: PlanFilters) -> QuerySet[ImprovementItem]:
    """`items` narrowed by the plan's filters, in the database."""
    if not filters.include_closed:
        items = items.filter(is_active=True)
    if filters.status:
        items = items.filter(status=filters.status)
    if filters.owner == "none":
        items = items.filter(owner__isnull=True)
    elif filters.owner:
        items = items.filter(owner_id=int(filters.owner))
    if filters.level:
        items = items.filter(level=filters.level)
    return items


def overdue_items(today: date) -> Q:
    """Items with work left whose due date has passed."""
    return Q(is_active=True, status__in=WORK_LEFT, due_date__lt=today)


def plan_status_counts(items: QuerySet[ImprovementItem], *, today: date | None = None) -> dict[str, int]:
    """How many of `items` are in each status, and overdue: one aggregate query."""
    today = today or timezone.localdate()
    counts = items.order_by().aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in ItemStatus.values},
        overdue=Count("pk", filter=overdue_items(today)),
    )
    return {name: value or 0 for name, value in counts.items()}


def my_items_queryset(user: User) -> QuerySet[ImprovementItem]:
    """Items on the plan owned by `user` (work left or accepted), in workloads they may still see."""
    return ImprovementItem.objects.filter(
        owner=user,
        is_active=True,
        status__in=[*WORK_LEFT, ItemStatus.RISK_ACCEPTED],
        workload__in=workloads_visible_to(user).filter(is_archived=False).values("pk"),
    )


def my_items(user: User, *, today: date | None = None, limit: int | None = None) -> list[PlanRow]:
    """The first `limit` of `user`'s items (all when None), ordered by urgency for one person: soonest due
    first (overdue ones lead), undated last, then plan order."""
    items = my_items_queryset(user).order_by(
        F("due_date").asc(nulls_last=True), "priority", Lower("workload__name"), "workload_id", "pk"
    )
    return plan_rows(items[:limit] if limit is not None else items, today=today)


def workload_plan_items(user: User, workload_ids: Any) -> QuerySet[ImprovementItem]:
    """Items on the plan of the given workloads (ids or a subquery) that `user` may see, grouped by workload
    (for exports), plan order within each."""
    return ImprovementItem.objects.filter(
        is_active=True, workload_id__in=workloads_visible_to(user).filter(pk__in=workload_ids).values("pk")
    ).order_by(Lower("workload__name"), "workload_id", "priority", "pk")


def workload_plan_rows(user: User, workload_ids: Any) -> list[PlanRow]:
    return plan_rows(workload_plan_items(user, workload_ids))


def plan_row_chunks(
    items: QuerySet[ImprovementItem], *, chunk_size: int, today: date | None = None
) -> Iterator[list[PlanRow]]:
    """`items` (ordered) as PlanRows, `chunk_size` at a time, for exports of any length in constant memory:
    the ids come from one server-side cursor, and each chunk is joined by plan_rows in its three queries."""
    today = today or timezone.localdate()
    ids = items.values_list("pk", flat=True).iterator(chunk_size=chunk_size)
    while chunk := list(islice(ids, chunk_size)):
        # The ids already passed `items`' filters: the chunk is read by id alone (cheaper than repeating them),
        # in the same order.
        yield plan_rows(
            ImprovementItem.objects.filter(pk__in=chunk).order_by(*items.query.order_by), today=today
        )
