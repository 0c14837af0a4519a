"""CSV and XLSX exports of improvement plans: one workload here, every visible workload from the dashboard.

Cells that a spreadsheet would run as a formula are neutralised (lib/csvcells.safe_cell) in both formats;
dates stay real dates in XLSX so they sort and filter.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from django.http import Http404, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from ...access import get_workload_for_user
from ...reports.sheets import FORMATS, HEADER, XLSX_CONTENT_TYPE, csv_bytes, plan_table, xlsx_bytes
from ...selectors import PlanRow, improvement_plan
from .. import AuthenticatedRequest


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
def workload_plan_export(request: AuthenticatedRequest, workload_id: UUID, fmt: str) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    return export_response(improvement_plan(workload), fmt, f"{workload.name} improvement plan")
