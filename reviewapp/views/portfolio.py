"""The consolidated report across workloads (ask, follow its progress, download) and saved dashboard filters.

Any signed-in person may ask for one: it covers only the workloads they may see. A consolidated report belongs
to the person who asked (access.get_report_job_for_user): nobody else but an organisation admin can open it.
Saved filters are private to their owner (access.get_saved_filter_for_user).
"""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import get_report_job_for_user, get_saved_filter_for_user
from ..forms import add_service_errors, dashboard_filter_form
from ..forms.portfolio import ConsolidatedReportForm, SavedFilterForm, consolidated_report_form
from ..lib.queue import QueueUnavailable
from ..models import ReportJob
from ..reports.jobs import consolidated_jobs_of, consolidated_request, content_type_of
from ..services.saved_filters import saved_filter_create, saved_filter_delete
from . import AuthenticatedRequest
from .reports import _attachment


def _page(request: AuthenticatedRequest, form: ConsolidatedReportForm, status: int = 200) -> HttpResponse:
    jobs = consolidated_jobs_of(request.user)
    context = {"form": form, "jobs": jobs, "polling": any(job.is_active for job in jobs)}
    return render(request, "reports/portfolio.html", context, status=status)


@require_http_methods(["GET", "POST"])
def portfolio_reports(request: AuthenticatedRequest) -> HttpResponse:
    if request.method == "GET":
        # Opened from the dashboard with its filters in the query: start from them.
        form = consolidated_report_form(request.user)
        form.initial = {key: value for key, value in request.GET.items() if key in form.fields}
        return _page(request, form)
    form = consolidated_report_form(request.user, request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    try:
        job = consolidated_request(actor=request.user, scope=form.scope(), fmt=form.cleaned_data["format"])
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, form, status=400)
    except QueueUnavailable as error:
        messages.error(request, error.message)
        return redirect("portfolio_reports")
    job.refresh_from_db(fields=["state", "error"])
    if job.state == ReportJob.State.DONE:
        messages.success(request, "Your consolidated report is ready to download.")
    elif job.state == ReportJob.State.FAILED:
        messages.error(request, f"The report could not be made: {job.error}")
    else:
        messages.info(request, "Your consolidated report is being made; this page shows its progress.")
    return redirect("portfolio_reports")


@require_GET
def portfolio_report_jobs(request: AuthenticatedRequest) -> HttpResponse:
    """The list of the person's consolidated reports alone, which the page polls while one is made."""
    jobs = consolidated_jobs_of(request.user)
    return render(
        request, "reports/_portfolio_jobs.html", {"jobs": jobs, "polling": any(job.is_active for job in jobs)}
    )


@require_GET
def portfolio_report_download(request: AuthenticatedRequest, job_id: UUID) -> HttpResponse:
    job = get_report_job_for_user(request.user, job_id)
    if job.review_id is not None or job.state != ReportJob.State.DONE:
        raise Http404("No such report, or it is not ready yet")
    content = ReportJob.objects.filter(pk=job.pk).values_list("content", flat=True).get()
    return _attachment(bytes(content or b""), content_type_of(job), job.filename)


def _dashboard_url(query: dict[str, str]) -> str:
    return reverse("dashboard") + (f"?{urlencode(query)}" if query else "")


@require_POST
def saved_filter_save(request: AuthenticatedRequest) -> HttpResponse:
    """Save the dashboard's current filter (sent along as hidden fields) under a name."""
    filters_form = dashboard_filter_form(request.user, request.POST)
    name_form = SavedFilterForm(request.POST)
    query = {key: request.POST[key] for key in filters_form.fields if request.POST.get(key)}
    if not filters_form.is_valid() or not name_form.is_valid():
        problems = [
            *name_form.errors.get("name", []),
            *(e for errs in filters_form.errors.values() for e in errs),
        ]
        messages.error(request, "The filter was not saved: " + " ".join(problems))
        return redirect(_dashboard_url(query))
    try:
        saved = saved_filter_create(
            user=request.user, name=name_form.cleaned_data["name"], filters=filters_form.filters()
        )
    except ValidationError as error:
        messages.error(request, "The filter was not saved: " + " ".join(error.messages))
        return redirect(_dashboard_url(query))
    messages.success(request, f"Filter “{saved.name}” saved.")
    return redirect(_dashboard_url(saved.filters))


@require_POST
def saved_filter_remove(request: AuthenticatedRequest, filter_id: UUID) -> HttpResponse:
    saved = get_saved_filter_for_user(request.user, filter_id)
    saved_filter_delete(saved=saved, actor=request.user)
    messages.success(request, f"Filter “{saved.name}” deleted.")
    return redirect("dashboard")


urlpatterns = [
    path("reports/portfolio/", portfolio_reports, name="portfolio_reports"),
    path("reports/portfolio/list/", portfolio_report_jobs, name="portfolio_report_jobs"),
    path(
        "reports/portfolio/<uuid:job_id>/download/",
        portfolio_report_download,
        name="portfolio_report_download",
    ),
    path("dashboard/filters/", saved_filter_save, name="saved_filter_save"),
    path("dashboard/filters/<uuid:filter_id>/delete/", saved_filter_remove, name="saved_filter_delete"),
]
