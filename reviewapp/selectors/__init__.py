"""Reads that span relations, one module per area as in services/: each runs a fixed number of queries
whatever the number of rows, and tests pin the counts. Selectors never write and never import services or forms."""

from __future__ import annotations

from .acceptances import acceptance_history, acceptance_queue
from .audit import filter_audit_events, workload_names
from .dashboard import (
    NOT_REVIEWED,
    DashboardFilters,
    DashboardRow,
    DashboardTotals,
    dashboard_rows,
    dashboard_totals,
    dashboard_workloads,
)
from .milestones import TrendPoint, milestone_trend
from .plan import (
    EXPIRING_WITHIN_DAYS,
    PlanFilters,
    PlanRow,
    improvement_plan,
    my_items,
    plan_rows,
    plan_status_counts,
    workload_plan_rows,
)
from .reviews import (
    AreaRow,
    QuestionRow,
    ReviewSummary,
    lens_upgrade_available,
    question_neighbours,
    review_summary,
)
from .workloads import (
    MAX_SEARCH_TERMS,
    ORDERINGS,
    RISK_RANK,
    review_rows,
    search_workloads,
    team_choices,
    team_rows,
    with_review_summary,
    workload_rows,
)

__all__ = [
    "acceptance_history",
    "acceptance_queue",
    "AreaRow",
    "DashboardFilters",
    "DashboardRow",
    "DashboardTotals",
    "EXPIRING_WITHIN_DAYS",
    "MAX_SEARCH_TERMS",
    "NOT_REVIEWED",
    "ORDERINGS",
    "PlanFilters",
    "PlanRow",
    "QuestionRow",
    "RISK_RANK",
    "ReviewSummary",
    "TrendPoint",
    "dashboard_rows",
    "dashboard_totals",
    "dashboard_workloads",
    "filter_audit_events",
    "improvement_plan",
    "lens_upgrade_available",
    "milestone_trend",
    "my_items",
    "plan_rows",
    "plan_status_counts",
    "question_neighbours",
    "review_rows",
    "review_summary",
    "search_workloads",
    "team_choices",
    "team_rows",
    "with_review_summary",
    "workload_names",
    "workload_plan_rows",
    "workload_rows",
]
