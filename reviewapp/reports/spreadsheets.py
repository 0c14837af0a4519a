"""The improvement plan of one review as CSV or XLSX, for now or for a milestone.

The columns, the formula neutralising (lib/csvcells.safe_cell) and the file writers live in reports/sheets.py,
which the plan page uses too, so a plan exported here and one exported from the plan page are the same file.
A milestone's plan is built from its snapshot, in the same order and columns.
"""

from __future__ import annotations

from typing import Any

from ..models import Milestone, Review
from ..selectors import PlanFilters, improvement_plan
from .content import plan_from_snapshot, status_label
from .sheets import HEADER, XLSX_CONTENT_TYPE, csv_bytes, plan_table, xlsx_bytes

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_CONTENT_TYPE}


def _milestone_table(review: Review, milestone: Milestone) -> list[list[Any]]:
    workload = review.workload
    lines = plan_from_snapshot(milestone.snapshot, milestone.lens_version_id, milestone.created_at)
    return [
        [
            milestone.snapshot["workload"]["name"],
            workload.team.name,
            line.question_code,
            line.question_risk,
            line.bp_code,
            line.title,
            line.level,
            status_label(line.status),
            line.owner,
            line.due_date,
            "yes" if line.overdue else "",
            line.ticket_url,
            line.notes,
            line.accepted_until,
            line.justification,
        ]
        for line in lines
    ]


def plan_table_for(review: Review, *, milestone: Milestone | None = None) -> list[list[Any]]:
    """The plan's rows (columns as HEADER) of the review's lens, now or at `milestone`."""
    if milestone is not None:
        if milestone.review_id != review.pk:
            raise ValueError(f"milestone {milestone.pk} is not a milestone of review {review.pk}")
        return _milestone_table(review, milestone)
    rows = [
        row for row in improvement_plan(review.workload, PlanFilters()) if row.item.lens_id == review.lens_id
    ]
    return plan_table(rows)


def plan_export(review: Review, *, fmt: str, milestone: Milestone | None = None) -> bytes:
    """The plan as a CSV (UTF-8 with BOM, for Excel) or XLSX file."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"plan exports are csv or xlsx, not {fmt!r}")
    table = plan_table_for(review, milestone=milestone)
    if fmt == "csv":
        return csv_bytes(HEADER, table)
    return xlsx_bytes(HEADER, table, title="Improvement plan")


__all__ = ["CONTENT_TYPES", "HEADER", "plan_export", "plan_table_for"]
