"""The security lead's dashboard (every visible workload at a glance), "my items", and the plan export across
workloads. Any signed-in user may open them: each shows only what access.py lets that user see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import F, QuerySet
from django.db.models.functions import Lower
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods

from ..forms import DashboardFilterForm, dashboard_filter_form
from ..forms.dashboard import describe_filters
from ..lib.charts import area_risk_chart, risk_trend_svg
from ..lib.queue import QueueUnavailable
from ..models import ImprovementItem, SavedFilter
from ..reports.jobs import plan_export_request
from ..reports.workload_plans import plan_export_items
from ..selectors import (
    SORT_COLUMNS,
    dashboard_rows_for,
    dashboard_sorted,
    dashboard_totals_for,
    dashboard_workloads,
    my_items_queryset,
    oldest_high_items,
    overdue_items,
    plan_rows,
    risk_by_area,
    valid_sort,
)
from ..selectors.portfolio import high_risk_trend
from . import AuthenticatedRequest
from .plan.exports import FORMATS, export_stream_response

DASHBOARD_PAGE_SIZE = 100


def _filter_form(request: AuthenticatedRequest) -> DashboardFilterForm:
    return dashboard_filter_form(request.user, request.GET or None)


class CountedPaginator(Paginator):
    """A paginator told its count (from the totals' aggregate query), so it never counts a sorted, grouped
    queryset again."""

    def __init__(self, object_list: Any, per_page: int, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @property
    def count(self) -> int:
        return self.known_count


# How far back the dashboard's high-risk trend looks.
TREND_DAYS = 365


@require_GET
def dashboard(request: AuthenticatedRequest) -> HttpResponse:
    form = _filter_form(request)
    today = timezone.localdate()
    workloads = dashboard_workloads(request.user, form.filters())
    sort = valid_sort(request.GET.get("sort"))
    # Totals, charts and the page each come from the database; only the page's rows are built in Python.
    totals = dashboard_totals_for(workloads, today=today)
    paginator = CountedPaginator(
        dashboard_sorted(workloads, sort, today=today), DASHBOARD_PAGE_SIZE, totals.workloads
    )
    page = paginator.get_page(request.GET.get("page"))
    trend = high_risk_trend(workloads, totals, since=today - timedelta(days=TREND_DAYS), today=today)
    area_chart = area_risk_chart(
        risk_by_area(workloads), title="Question risk by area, across these workloads"
    )
    trend_chart = risk_trend_svg([(point.label, point.high, point.medium) for point in trend])
    return render(
        request,
        "dashboard/dashboard.html",
        {
            "form": form,
            "rows": dashboard_rows_for(list(page.object_list), today=today),
            "page": page,
            "page_query": _without_page(request),
            "sort": sort,
            "sort_links": _sort_links(request, sort),
            "totals": totals,
            # Built from escaped parts in lib/charts.py.
            "area_chart": mark_safe(area_chart),  # noqa: S308  # nosec B308 B703
            "trend_chart": mark_safe(trend_chart),  # noqa: S308  # nosec B308 B703
            "oldest_high": oldest_high_items(workloads, today=today),
            "filtered": bool(form.is_bound and any(form.data.get(name) for name in form.fields)),
            "query": _without(request, "page", "sort"),
            "saved_filters": [
                {"pk": saved.pk, "name": saved.name, "query": urlencode(saved.filters)}
                for saved in SavedFilter.objects.filter(user=request.user).order_by("name")
            ],
        },
    )


def _sort_links(request: AuthenticatedRequest, sort: str) -> dict[str, dict[str, str]]:
    """For each column: the query that sorts by it (a second click reverses it) and how it sorts now."""
    query = request.GET.copy()
    query.pop("page", None)
    links = {}
    for column in SORT_COLUMNS:
        query["sort"] = f"-{column}" if sort == column else column
        state = "ascending" if sort == column else "descending" if sort == f"-{column}" else "none"
        links[column] = {"query": query.urlencode(), "state": state}
    return links


def _without(request: AuthenticatedRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _without_page(request: AuthenticatedRequest) -> str:
    return _without(request, "page")


MY_ITEMS_PAGE_SIZE = 100


@require_GET
def my_items_page(request: AuthenticatedRequest) -> HttpResponse:
    today = timezone.localdate()
    items = my_items_queryset(request.user)
    page = Paginator(
        items.order_by(
            F("due_date").asc(nulls_last=True), "priority", Lower("workload__name"), "workload_id", "pk"
        ),
        MY_ITEMS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "dashboard/my_items.html",
        {
            "rows": plan_rows(cast(QuerySet[ImprovementItem], page.object_list), today=today),
            "page": page,
            "page_query": "",
            "overdue": items.filter(overdue_items(today)).count(),
            "today": today,
        },
    )


@require_http_methods(["GET", "POST"])
def plan_export(request: AuthenticatedRequest, fmt: str) -> HttpResponseBase:
    """The improvement plans of the workloads the dashboard shows with the same filters, in one file.

    Up to EXPORT_INLINE_MAX_ROWS items it is served at once (the CSV streamed); above that the page offers to
    make it in the background, and a POST (the same filters as hidden fields) queues that job."""
    if fmt not in FORMATS:
        raise Http404("Exports are available as .csv or .xlsx")
    if request.method == "POST":
        return _queue_plan_export(request, fmt)
    form = _filter_form(request)
    items = plan_export_items(request.user, form.filters())
    rows = items.count()
    if rows > settings.EXPORT_INLINE_MAX_ROWS:
        return render(
            request,
            "dashboard/plan_export_offer.html",
            {
                "fmt": fmt,
                "rows": rows,
                "inline_max": settings.EXPORT_INLINE_MAX_ROWS,
                # The same filters go back with the request for the background export.
                "filters": [(name, form.data[name]) for name in form.fields if form.data.get(name)],
                "dashboard_query": _without(request, "page", "sort"),
            },
        )
    return export_stream_response(items, fmt, "improvement plans")


def _queue_plan_export(request: AuthenticatedRequest, fmt: str) -> HttpResponse:
    form = dashboard_filter_form(request.user, request.POST)
    if not form.is_valid():
        problems = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(f"The export was not queued: {problems}", content_type="text/plain")
    try:
        plan_export_request(actor=request.user, filters=form.filters(), label=describe_filters(form), fmt=fmt)
    except ValidationError as error:
        messages.error(request, "The export was not queued: " + " ".join(error.messages))
    except QueueUnavailable as error:
        messages.error(request, error.message)
    else:
        messages.info(request, "Your export is being made; this page shows its progress and a download link.")
    return redirect("portfolio_reports")


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("my-items/", my_items_page, name="my_items"),
    path("plan.<str:fmt>", plan_export, name="plan_export"),
]
