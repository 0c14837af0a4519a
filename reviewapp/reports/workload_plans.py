"""The improvement plans of every workload a person may see, as one CSV or XLSX file (the dashboard's plan.csv
and plan.xlsx). Built for any length: items are read EXPORT_CHUNK_ROWS at a time (selectors.plan_row_chunks,
a fixed number of queries per chunk), the CSV is streamed line by line and the workbook is written in openpyxl's
write-only mode. Up to EXPORT_INLINE_MAX_ROWS items the file is served at once (views/dashboard.py); above that
it is a background job of kind PLAN_EXPORT (reports/jobs.py) with progress and a download link, like reports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from ..models import ImprovementItem, User
from ..selectors import plan_row_chunks, workload_plan_items
from ..selectors.dashboard import DashboardFilters, dashboard_workloads
from .sheets import HEADER, csv_bytes, plan_table, xlsx_bytes

PLAN_EXPORT_FORMATS = ("csv", "xlsx")
PLAN_EXPORT_BASENAME = "improvement-plans"
SHEET_TITLE = "Improvement plan"

Progress = Callable[[int], None]


def plan_export_items(user: User, filters: DashboardFilters) -> QuerySet[ImprovementItem]:
    """The items on the plans of the workloads the dashboard shows `user` with these filters, in export order."""
    return workload_plan_items(user, dashboard_workloads(user, filters).values("pk"))


def plan_export_filename(fmt: str, today: date | None = None) -> str:
    return f"{PLAN_EXPORT_BASENAME}-{(today or timezone.localdate()).isoformat()}.{fmt}"


def plan_export_table(
    items: QuerySet[ImprovementItem], *, total: int = 0, progress: Progress | None = None
) -> Iterator[list[Any]]:
    """The export's rows one at a time; `progress` hears the percentage of `total` done after each chunk."""
    done = 0
    for rows in plan_row_chunks(items, chunk_size=settings.EXPORT_CHUNK_ROWS):
        yield from plan_table(rows)
        done += len(rows)
        if progress is not None and total:
            progress(min(99, done * 100 // total))


def plan_export_bytes(items: QuerySet[ImprovementItem], *, fmt: str, progress: Progress) -> bytes:
    """The whole file, for a background job: rows are written as they are read, never held all at once."""
    table = plan_export_table(items, total=items.count(), progress=progress)
    if fmt == "csv":
        return csv_bytes(HEADER, table)
    return xlsx_bytes(HEADER, table, title=SHEET_TITLE)


def plan_export_scope(filters: DashboardFilters, label: str) -> dict[str, Any]:
    """What a plan export job keeps of its request: the dashboard filters and their description."""
    return {"filters": filters.as_dict(), "label": label or "All workloads"}


def plan_export_filters(stored: dict[str, Any]) -> DashboardFilters:
    return DashboardFilters.of(stored.get("filters"))
