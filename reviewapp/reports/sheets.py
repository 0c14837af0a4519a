"""The improvement plan as a table and as CSV / XLSX bytes: one format for the plan page, the dashboard and the
reports, so a plan exported anywhere is the same file. Every text cell goes through lib/csvcells.safe_cell."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..lib.csvcells import EchoBuffer, safe_cell
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


def csv_lines(header: Sequence[str], table: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV file line by line, as a streaming response sends it: nothing waits for the whole table."""
    writer = csv.writer(EchoBuffer())
    # The byte-order mark makes Excel read the file as UTF-8 instead of the local code page.
    yield "\ufeff" + writer.writerow(header)
    for row in table:
        yield writer.writerow([_csv_value(value) for value in row])


def csv_bytes(header: Sequence[str], table: Iterable[Sequence[Any]]) -> bytes:
    return "".join(csv_lines(header, table)).encode("utf-8")


def xlsx_bytes(header: Sequence[str], table: Iterable[Sequence[Any]], *, title: str) -> bytes:
    return xlsx_workbook_bytes([(title, header, table)])


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    if isinstance(value, date | int | float) or value is None:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        return cell
    cell = WriteOnlyCell(sheet, value=safe_cell(value))
    # Never let openpyxl store a string as a formula, whatever safe_cell already did.
    cell.data_type = "s"
    return cell


def _fill_sheet(sheet: Any, header: Sequence[str], table: Iterable[Sequence[Any]]) -> None:
    # Write-only: each row goes to a temporary file as it is appended, so a long table is never all in memory.
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    heading = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    rows = 1
    for row in table:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        rows += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(len(header), 1))}{rows}"


def xlsx_workbook_bytes(sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]) -> bytes:
    """A workbook of one sheet per (title, header, rows): bold header, frozen first row, a filter on each.
    Rows may be a generator: they are written one at a time (openpyxl's write-only mode)."""
    workbook = Workbook(write_only=True)
    for title, header, table in sheets:
        _fill_sheet(workbook.create_sheet(title[:31]), header, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
