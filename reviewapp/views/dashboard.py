"""The security lead's dashboard (every visible workload at a glance), "my items", and the plan export across
workloads. Any signed-in user may open them: each shows only what access.py lets that user see."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..forms import DashboardFilterForm, dashboard_filter_form
from ..models import SavedFilter
from ..selectors import dashboard_rows, dashboard_totals, my_items, workload_plan_rows
from . import AuthenticatedRequest
from .plan.exports import FORMATS, export_response

DASHBOARD_PAGE_SIZE = 100


def _filter_form(request: AuthenticatedRequest) -> DashboardFilterForm:
    return dashboard_filter_form(request.user, request.GET or None)


@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form = _filter_form(request)
    rows = dashboard_rows(request.user, form.filters())
    # Totals cover every visible workload; only the table is paged, since rendering rows is what costs.
    page = Paginator(rows, DASHBOARD_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "rows": page.object_list,
            "page": page,
            "page_query": _without_page(request),
            "totals": dashboard_totals(rows),
            "filtered": bool(form.is_bound and any(form.data.get(name) for name in form.fields)),
            "query": request.GET.urlencode(),
            "saved_filters": [
                {"pk": saved.pk, "name": saved.name, "query": urlencode(saved.filters)}
                for saved in SavedFilter.objects.filter(user=request.user).order_by("name")
            ],
        },
    )


def _without_page(request: AuthenticatedRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@require_GET
def my_items_page(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = my_items(request.user, today=today)
    return render(
        request,
        "dashboard/my_items.html",
        {
            "rows": rows,
            "overdue": sum(1 for row in rows if row.overdue),
            "today": today,
        },
    )


@require_GET
def plan_export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    """The improvement plans of the workloads the dashboard shows with the same filters, in one file."""
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    form = _filter_form(request)
    ids = [row.workload.pk for row in dashboard_rows(request.user, form.filters())]
    return export_response(workload_plan_rows(request.user, ids), fmt, "improvement plans")


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("my-items/", my_items_page, name="my_items"),
    path("plan.<str:fmt>", plan_export, name="plan_export"),
]
