"""Reads for the workload and team pages: one query per list, whatever the number of rows, reviews or answers.

Risk and progress come from the risk stored on each Answer (risk.py computes it on every save), counted by the
database in the same query that fetches the rows; nothing here loops over answers in Python.
"""

from __future__ import annotations

from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from questionnaire.rating import Risk

from ..access import teams_visible_to, teams_writable_by, workloads_visible_to
from ..models import Membership, Review, Role, Team, User, Workload, WorkloadShare

# The headline order of risk.worst(): HIGH > MEDIUM > NONE > UNANSWERED > NOT_APPLICABLE.
RISK_RANK = {Risk.HIGH: 4, Risk.MEDIUM: 3, Risk.NONE: 2, Risk.UNANSWERED: 1, Risk.NOT_APPLICABLE: 0}
MAX_SEARCH_TERMS = 10


def _risk_annotations(answers: str) -> dict[str, Any]:
    """Counts per stored risk over the answers reached through `answers` (a relation path)."""

    def count(*risks: str) -> Count:
        return Count(answers, filter=Q(**{f"{answers}__risk__in": risks}))

    return {
        "high_count": count(Risk.HIGH),
        "medium_count": count(Risk.MEDIUM),
        "none_count": count(Risk.NONE),
        "na_count": count(Risk.NOT_APPLICABLE),
        "unanswered_count": count(Risk.UNANSWERED),
    }


def _summary_annotations() -> dict[str, Any]:
    """From the counts above: progress over applicable questions, and the worst risk as risk.worst() ranks."""
    return {
        "answered_count": F("high_count") + F("medium_count") + F("none_count"),
        "applicable_count": F("high_count") + F("medium_count") + F("none_count") + F("unanswered_count"),
        "worst_risk": Case(
            When(high_count__gt=0, then=Value(Risk.HIGH.value)),
            When(medium_count__gt=0, then=Value(Risk.MEDIUM.value)),
            When(none_count__gt=0, then=Value(Risk.NONE.value)),
            When(Q(na_count__gt=0, unanswered_count=0), then=Value(Risk.NOT_APPLICABLE.value)),
            # No review yet, or nothing answered: the workload still needs reviewing.
            default=Value(Risk.UNANSWERED.value),
            output_field=CharField(),
        ),
        "risk_rank": Case(
            *(When(worst_risk=risk.value, then=Value(rank)) for risk, rank in RISK_RANK.items()),
            output_field=IntegerField(),
        ),
    }


def with_review_summary(workloads: QuerySet[Workload]) -> QuerySet[Workload]:
    """Each workload with its team, review count and the risk counts of all its reviews."""
    return (
        workloads.select_related("team")
        .annotate(review_count=Count("reviews", distinct=True), **_risk_annotations("reviews__answers"))
        .annotate(**_summary_annotations())
    )


def search_workloads(workloads: QuerySet[Workload], text: str) -> QuerySet[Workload]:
    """Every word must match the name, description or a tag; `key=value` matches that tag exactly."""
    workloads = workloads.alias(tags_text=Cast("tags", TextField()))
    for number, term in enumerate(text.split()[:MAX_SEARCH_TERMS]):
        key, sep, value = term.partition("=")
        if sep and key:
            alias = f"tag_{number}"
            workloads = workloads.alias(**{alias: KeyTextTransform(key, "tags")}).filter(
                **{f"{alias}__iexact": value}
            )
        else:
            workloads = workloads.filter(
                Q(name__icontains=term) | Q(description__icontains=term) | Q(tags_text__icontains=term)
            )
    return workloads


ORDERINGS = {
    "name": ("name", "team__name"),
    "team": ("team__name", "name"),
    "risk": ("-risk_rank", "-high_count", "-medium_count", "name"),
    "updated": ("-updated_at", "name"),
}


def workload_rows(user: User, filters: dict[str, Any]) -> QuerySet[Workload]:
    """The workload list: what `user` may see, narrowed by the list's filters, with review summaries."""
    workloads = workloads_visible_to(user)
    if not filters.get("archived"):
        workloads = workloads.filter(is_archived=False)
    if filters.get("team"):
        workloads = workloads.filter(team_id=filters["team"])
    if filters.get("environment"):
        workloads = workloads.filter(environment=filters["environment"])
    if filters.get("q"):
        workloads = search_workloads(workloads, filters["q"])
    workloads = with_review_summary(workloads)
    if filters.get("risk"):
        # worst_risk is an annotation of with_review_summary (a Q, as the type checker cannot see annotations).
        workloads = workloads.filter(Q(worst_risk=filters["risk"]))
    return workloads.order_by(*ORDERINGS.get(filters.get("sort") or "name", ORDERINGS["name"]))


def review_rows(workload: Workload) -> QuerySet[Review]:
    """The workload's reviews with their lens and risk counts."""
    return (
        Review.objects.filter(workload=workload)
        .select_related("lens", "lens_version")
        .annotate(**_risk_annotations("answers"))
        .annotate(**_summary_annotations())
        .order_by("created_at")
    )


def _count_of(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) subquery: immune to the joins the visibility filter adds to the outer query."""
    counted = queryset.order_by().values("team").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def team_rows(user: User) -> QuerySet[Team]:
    """Teams `user` may see, with member and workload counts and the user's own role in each."""
    return (
        teams_visible_to(user)
        .annotate(
            member_count=_count_of(Membership.objects.filter(team=OuterRef("pk"))),
            workload_count=_count_of(Workload.objects.filter(team=OuterRef("pk"), is_archived=False)),
            my_role=Subquery(Membership.objects.filter(team=OuterRef("pk"), user=user).values("role")[:1]),
        )
        .annotate(
            my_role_label=Case(
                *(When(my_role=role, then=Value(str(label))) for role, label in Role.choices),
                default=Value(""),
                output_field=CharField(),
            )
        )
    )


def team_choices(user: User) -> list[tuple[Any, str, bool]]:
    """(id, name, whether the user may create workloads in it) of every team the user may see: one query for
    the filters and the "New workload" button."""
    return list(
        teams_visible_to(user)
        .annotate(writable=Exists(teams_writable_by(user).filter(pk=OuterRef("pk"))))
        .order_by("name")
        .values_list("pk", "name", "writable")
    )


def share_rows(workload: Workload) -> QuerySet[WorkloadShare]:
    """The workload's shares, active ones first, each with its team and who shared it (one query)."""
    return (
        WorkloadShare.objects.filter(workload=workload)
        .select_related("team", "created_by")
        .annotate(
            is_active=ExpressionWrapper(Q(expires_on__gte=timezone.localdate()), output_field=BooleanField())
        )
        .order_by("-is_active", "team__name")
    )


def share_team_choices(workload: Workload) -> QuerySet[Team]:
    """Teams the workload may be shared with: every team but its own."""
    return Team.objects.exclude(pk=workload.team_id).order_by("name")
