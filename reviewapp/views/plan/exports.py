"""CSV and XLSX exports of improvement plans: one workload here, every visible workload from the dashboard.

Cells that a spreadsheet would run as a formula are neutralised (lib/csvcells.safe_cell) in both formats;
dates stay real dates in XLSX so they sort and filter.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from ...access import get_workload_for_user
from ...lib.csvcells import safe_cell
from ...models import ItemStatus
from ...selectors import PlanRow, improvement_plan

FORMATS = ("csv", "xlsx")
HEADER = (
    "Workload",
    "Team",
    "Question",
    "Question risk",
    "Best practice",
    "Title",
    "Level",
    "Status",
    "Owner",
    "Due date",
    "Overdue",
    "Ticket",
    "Notes",
    "Accepted until",
    "Acceptance justification",
)
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def plan_table(rows: Sequence[PlanRow]) -> list[list[Any]]:
    """The export's rows, in plan order, as plain values (dates stay dates)."""
    return [
        [
            row.workload.name,
            row.workload.team.name,
            row.question_code,
            row.question_risk,
            row.item.bp_code,
            row.bp_title,
            row.level,
            ItemStatus(row.item.status).label,
            row.item.owner.get_username() if row.item.owner_id else "",
            row.item.due_date,
            "yes" if row.overdue else "",
            row.item.ticket_url,
            row.item.notes,
            row.item.acceptance_expires_on,
            row.item.acceptance_justification,
        ]
        for row in rows
    ]


def _csv_value(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else safe_cell(value)


def csv_bytes(header: Sequence[str], table: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([_csv_value(value) for value in row] for row in table)
    # The byte-order mark makes Excel read the file as UTF-8 instead of the local code page.
    return buffer.getvalue().encode("utf-8-sig")


def xlsx_bytes(header: Sequence[str], table: list[list[Any]], *, title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append(
            [value if isinstance(value, date) or value is None else safe_cell(value) for value in row]
        )
    for cells in sheet.iter_cols(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(cell.value, str):
                # Never let openpyxl store a string as a formula, whatever safe_cell already did.
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(rows: Sequence[PlanRow], fmt: str, basename: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    table = plan_table(rows)
    filename = f"{slugify(basename) or 'plan'}-{timezone.localdate().isoformat()}.{fmt}"
    if fmt == "csv":
        response = HttpResponse(csv_bytes(HEADER, table), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            xlsx_bytes(HEADER, table, title="Improvement plan"), content_type=XLSX_CONTENT_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A plan lists an organisation's weaknesses: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def workload_plan_export(request: HttpRequest, workload_id: UUID, fmt: str) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    return export_response(improvement_plan(workload), fmt, f"{workload.name} improvement plan")
