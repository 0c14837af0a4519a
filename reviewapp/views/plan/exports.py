"""CSV and XLSX exports of improvement plans: one workload here, every visible workload from the dashboard.

Cells that a spreadsheet would run as a formula are neutralised (lib/csvcells.safe_cell) in both formats;
dates stay real dates in XLSX so they sort and filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from ...access import get_workload_for_user
from ...models import ImprovementItem
from ...reports.sheets import (
    FORMATS,
    HEADER,
    XLSX_CONTENT_TYPE,
    csv_bytes,
    csv_lines,
    plan_table,
    xlsx_bytes,
)
from ...reports.workload_plans import SHEET_TITLE, plan_export_table
from ...selectors import PlanRow, improvement_plan
from .. import AuthenticatedRequest

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def _attachment(response: HttpResponseBase, fmt: str, basename: str) -> HttpResponseBase:
    filename = f"{slugify(basename) or 'plan'}-{timezone.localdate().isoformat()}.{fmt}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A plan lists an organisation's weaknesses: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


def export_response(rows: Sequence[PlanRow], fmt: str, basename: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    table = plan_table(rows)
    if fmt == "csv":
        response = HttpResponse(csv_bytes(HEADER, table), content_type=CSV_CONTENT_TYPE)
    else:
        response = HttpResponse(xlsx_bytes(HEADER, table, title=SHEET_TITLE), content_type=XLSX_CONTENT_TYPE)
    _attachment(response, fmt, basename)
    return response


def export_stream_response(
    items: QuerySet[ImprovementItem], fmt: str, basename: str
) -> HttpResponse | StreamingHttpResponse:
    """An export of any number of items read in chunks: the CSV streams line by line (its first line leaves
    before the items are read); the workbook is written row by row in write-only mode, then sent."""
    response: HttpResponse | StreamingHttpResponse
    if fmt == "csv":
        response = StreamingHttpResponse(
            csv_lines(HEADER, plan_export_table(items)), content_type=CSV_CONTENT_TYPE
        )
    else:
        response = HttpResponse(
            xlsx_bytes(HEADER, plan_export_table(items), title=SHEET_TITLE),
            content_type=XLSX_CONTENT_TYPE,
        )
    _attachment(response, fmt, basename)
    return response


@require_GET
def workload_plan_export(request: AuthenticatedRequest, workload_id: UUID, fmt: str) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    return export_response(improvement_plan(workload), fmt, f"{workload.name} improvement plan")
