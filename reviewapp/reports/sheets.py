"""The improvement plan as a table and as CSV / XLSX bytes: one format for the plan page, the dashboard and the
reports, so a plan exported anywhere is the same file. Every text cell goes through lib/csvcells.safe_cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ..lib.csvcells import safe_cell
from ..models import ItemStatus
from ..selectors import PlanRow

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
            row.item.owner.get_username() if row.item.owner else "",
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
    return xlsx_workbook_bytes([(title, header, table)])


def _fill_sheet(sheet: Any, header: Sequence[str], table: list[list[Any]]) -> None:
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in table:
        sheet.append(
            [
                value if isinstance(value, date | int | float) or value is None else safe_cell(value)
                for value in row
            ]
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


def xlsx_workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], list[list[Any]]]]) -> bytes:
    """A workbook of one sheet per (title, header, rows): bold header, frozen first row, a filter on each."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, header, table in sheets:
        _fill_sheet(workbook.create_sheet(title[:31]), header, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
