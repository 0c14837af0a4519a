"""Reports of a review: ask for a PDF (rendered in the background when Redis is configured), download it, take
the plan as CSV/XLSX or the review as JSON, and import such a JSON file as a new workload.

Anyone who may VIEW a workload may make and download its reports: a report shows nothing the review pages do
not. Importing creates a workload, so it needs a team the user may create workloads in.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from ..access import get_review_for_report_request, get_review_for_user, teams_writable_by
from ..forms import add_service_errors
from ..forms.common import choice_field, model_choice_field
from ..lib.queue import QueueUnavailable
from ..models import Milestone, ReportJob, Review, Team, User
from ..reports.errors import ReportError
from ..reports.jobs import REVIEW_KIND_CHOICES, content_type_of, jobs_of, report_file, report_request
from ..reports.json_reader import FORMAT, ReviewImportError
from ..reports.review_json import import_review_json
from . import AuthenticatedRequest

DIRECT_FORMATS = ("json", "csv", "xlsx")
CURRENT = ""


def _milestones(review: Review) -> list[Milestone]:
    # Snapshots can be large and the page needs only names and dates.
    return list(
        Milestone.objects.filter(review=review).only("pk", "name", "created_at").order_by("-created_at")
    )


class ReportRequestForm(forms.Form):
    kind = forms.ChoiceField(
        choices=REVIEW_KIND_CHOICES,
        initial=ReportJob.Kind.FULL,
        widget=forms.RadioSelect,
        label="Report",
    )
    source = forms.ChoiceField(label="Answers", required=False)
    format = forms.ChoiceField(choices=ReportJob.Format.choices, initial=ReportJob.Format.PDF, required=False)

    def __init__(self, *args: Any, milestones: list[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.milestones = {str(milestone.pk): milestone for milestone in milestones}
        choice_field(self, "source").choices = source_choices(milestones)

    def milestone(self) -> Milestone | None:
        return self.milestones.get(self.cleaned_data.get("source") or CURRENT)


def source_choices(milestones: list[Milestone]) -> list[tuple[str, str]]:
    return [(CURRENT, "Current answers (marked DRAFT)")] + [
        (str(milestone.pk), f"Milestone “{milestone.name}” ({milestone.created_at:%d %b %Y})")
        for milestone in milestones
    ]


def _page(
    request: AuthenticatedRequest, review: Review, form: ReportRequestForm, status: int = 200
) -> HttpResponse:
    jobs = jobs_of(review)
    milestones = list(form.milestones.values())
    return render(
        request,
        "reports/reports.html",
        {
            "review": review,
            "workload": review.workload,
            "form": form,
            "jobs": jobs,
            "polling": any(job.is_active for job in jobs),
            "sources": source_choices(milestones),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def review_reports(request: AuthenticatedRequest, review_id: UUID) -> HttpResponse:
    if request.method == "GET":
        review = get_review_for_user(request.user, review_id)
        return _page(request, review, ReportRequestForm(milestones=_milestones(review)))
    review = get_review_for_report_request(request.user, review_id)
    milestones = _milestones(review)
    form = ReportRequestForm(request.POST, milestones=milestones)
    if not form.is_valid():
        return _page(request, review, form, status=400)
    try:
        job = report_request(
            review=review,
            actor=request.user,
            kind=form.cleaned_data["kind"],
            fmt=form.cleaned_data.get("format") or ReportJob.Format.PDF,
            milestone=form.milestone(),
        )
    except ValidationError as error:
        add_service_errors(form, error)
        return _page(request, review, form, status=400)
    except QueueUnavailable as error:
        messages.error(request, error.message)
        return redirect("review_reports", review_id=review.pk)
    job.refresh_from_db(fields=["state", "error"])
    if job.state == ReportJob.State.DONE:
        messages.success(request, f"Your {job.get_kind_display().lower()} is ready to download.")
    elif job.state == ReportJob.State.FAILED:
        messages.error(request, f"The report could not be made: {job.error}")
    else:
        messages.info(request, "Your report is being made; this page shows when it is ready.")
    return redirect("review_reports", review_id=review.pk)


@require_GET
def report_jobs(request: AuthenticatedRequest, review_id: UUID) -> HttpResponse:
    """The list of reports alone, which the page polls (htmx) while one is being made."""
    review = get_review_for_user(request.user, review_id)
    jobs = jobs_of(review)
    context = {"review": review, "jobs": jobs, "polling": any(job.is_active for job in jobs)}
    return render(request, "reports/_jobs.html", context)


def _attachment(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Reports list an organisation's weaknesses: keep them out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def report_download(request: AuthenticatedRequest, review_id: UUID, job_id: UUID) -> HttpResponse:
    review = get_review_for_user(request.user, review_id)
    job = ReportJob.objects.filter(pk=job_id, review=review, state=ReportJob.State.DONE).first()
    if job is None:
        raise Http404("No such report, or it is not ready yet")
    return _attachment(bytes(job.content or b""), content_type_of(job), job.filename)


@require_GET
def review_export(request: AuthenticatedRequest, review_id: UUID, fmt: str) -> HttpResponse:
    """The review as JSON or its plan as CSV/XLSX, now or (?milestone=<id>) at a milestone."""
    review = get_review_for_user(request.user, review_id)
    if fmt not in DIRECT_FORMATS:
        raise Http404("Exports are available as .json, .csv or .xlsx")
    milestone = None
    source = request.GET.get("milestone", CURRENT)
    if source:
        try:
            milestone = (
                Milestone.objects.select_related("lens_version")
                .filter(review=review, pk=UUID(source))
                .first()
            )
        except ValueError:
            milestone = None
        if milestone is None:
            return HttpResponse(
                "That milestone does not belong to this review.", status=400, content_type="text/plain"
            )
    try:
        file = report_file(review, fmt=fmt, milestone=milestone)
    except ReportError as error:
        messages.error(request, error.message)
        return redirect("review_reports", review_id=review.pk)
    return _attachment(file.content, file.content_type, file.filename)


class ReviewImportForm(forms.Form):
    file = forms.FileField(
        label="Review file",
        help_text=f"A JSON file exported from this application (format {FORMAT}).",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None)
    name = forms.CharField(
        required=False,
        max_length=100,
        label="Workload name",
        help_text="Leave empty to use the name in the file; a team's workload names must differ.",
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choice_field(self, "team").queryset = teams_writable_by(user).order_by("name").distinct()


@require_http_methods(["GET", "POST"])
def review_import(request: AuthenticatedRequest) -> HttpResponse:
    form = ReviewImportForm(request.POST or None, request.FILES or None, user=request.user)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = import_review_json(
                upload.read(),
                form.cleaned_data["team"],
                request.user,
                name=form.cleaned_data["name"].strip() or None,
            )
        except ReviewImportError as error:
            problems = [str(problem) for problem in error.problems]
        else:
            workload = result.workload
            messages.success(
                request,
                f"Imported {workload.name} into {workload.team.name}: {result.answers} answers and "
                f"{result.items} tracked improvement items.",
            )
            for warning in result.warnings:
                messages.warning(request, warning)
            return redirect("workload_detail", workload_id=workload.pk)
    status = 400 if request.method == "POST" else 200
    teams = model_choice_field(form, "team").queryset
    has_teams = teams is not None and teams.exists()
    return render(
        request,
        "reports/import.html",
        {"form": form, "problems": problems, "has_teams": has_teams, "format": FORMAT},
        status=status,
    )


urlpatterns = [
    path("reviews/<uuid:review_id>/reports/", review_reports, name="review_reports"),
    path("reviews/<uuid:review_id>/reports/list/", report_jobs, name="report_jobs"),
    path("reviews/<uuid:review_id>/reports/<uuid:job_id>/download/", report_download, name="report_download"),
    path("reviews/<uuid:review_id>/export.<str:fmt>", review_export, name="review_export"),
    path("workloads/import/", review_import, name="review_import"),
]
