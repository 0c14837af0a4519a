"""Workloads: the searchable list, create and edit forms, the workload page, archiving.

Every object comes through access.py; every write goes through one service, whose ValidationErrors land on the
form fields they concern, so a refused form comes back with everything the user typed.
"""

from __future__ import annotations

from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import Action, get_workload_for_user, may, teams_writable_by, templates_visible_to
from ..forms import WorkloadFilterForm, WorkloadForm, add_service_errors
from ..lib.aws_regions import region_label
from ..lib.display import with_display
from ..models import AuditEvent
from ..selectors import review_rows, team_choices, workload_rows
from ..services import workload_create as create_workload
from ..services import workload_set_archived, workload_update
from . import AuthenticatedRequest

PAGE_SIZE = 50
RECENT_ACTIVITY = 8
# How the workload page words the audit actions; an action missing here reads as "made a change", never as a code.
ACTIVITY_LABELS = {
    "workload.create": "created the workload",
    "workload.update": "edited the details",
    "workload.archive": "archived the workload",
    "workload.unarchive": "unarchived the workload",
    "review.start": "started a review",
    "review.import": "imported a review from a file",
    "review.upgrade": "upgraded the review to a new lens version",
    "answer.update": "answered",
    "milestone.create": "saved a milestone",
    "item.open": "added an improvement item",
    "item.reopen": "reopened an improvement item",
    "item.resolve": "resolved an improvement item",
    "item.withdraw": "took an improvement item off the plan",
    "item.update": "updated an improvement item",
    "item.bulk_update": "updated improvement items together",
    "item.accept_risk": "accepted a risk",
    "item.acceptance_expired": "saw an accepted risk expire",
    "plan.reminder_sent": "sent a due-date reminder",
    "aws_target.create": "connected an AWS account",
    "aws_target.delete": "disconnected an AWS account",
    "evidence_run.start": "started evidence collection",
    "evidence_run.cancel": "cancelled evidence collection",
    "evidence_run.fail": "saw evidence collection fail",
    "evidence_schedule.set": "changed the evidence schedule",
    "evidence.suggestions_apply": "applied evidence suggestions",
    "report.request": "asked for a report",
    "watool.import": "imported answers from the Well-Architected Tool",
    "watool.export": "exported answers to the Well-Architected Tool",
}


@require_GET
def workload_list(request: AuthenticatedRequest) -> HttpResponse:
    teams = team_choices(request.user)
    form = WorkloadFilterForm(request.GET or None, teams=[(pk, name) for pk, name, _ in teams])
    filters = form.filters() if form.is_bound else {}
    page = Paginator(workload_rows(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    can_create = any(writable for *_, writable in teams)
    narrowed = any(key in filters for key in ("q", "team", "environment", "risk"))
    return render(
        request,
        "workloads/list.html",
        {"form": form, "page": page, "can_create": can_create, "narrowed": narrowed, "filters": filters},
    )


def _form_response(request: AuthenticatedRequest, form: WorkloadForm, *, status: int = 200) -> HttpResponse:
    if form.errors:
        status = 400
    return render(request, "workloads/form.html", {"form": form, "workload": form.workload}, status=status)


@require_http_methods(["GET", "POST"])
def workload_create(request: AuthenticatedRequest) -> HttpResponse:
    if not teams_writable_by(request.user).exists():
        return render(request, "workloads/no_team.html", status=403)
    # A team page links here with ?team=<id> to preselect it; an id the user cannot use selects nothing.
    initial = {"team": request.GET["team"]} if request.GET.get("team") else {}
    form = WorkloadForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            workload = create_workload(
                team=form.cleaned_data["team"], actor=request.user, **form.service_fields()
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, f"Workload “{workload.name}” created. Start its review when you are ready."
            )
            return redirect("workload_detail", workload_id=workload.pk)
    return _form_response(request, form)


@require_http_methods(["GET", "POST"])
def workload_edit(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
    form = WorkloadForm(request.POST or None, user=request.user, workload=workload)
    if request.method == "POST" and form.is_valid():
        try:
            workload_update(workload=workload, actor=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, f"Saved the changes to “{workload.name}”.")
            return redirect("workload_detail", workload_id=workload.pk)
    return _form_response(request, form)


@require_GET
def workload_detail(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    reviews = list(review_rows(workload))
    has_default_review = any(review.lens.slug == settings.DEFAULT_LENS_SLUG for review in reviews)
    activity = list(AuditEvent.objects.filter(workload_id=workload.pk).order_by("-id")[:RECENT_ACTIVITY])
    for event in activity:
        with_display(event, label=ACTIVITY_LABELS.get(event.action, "made a change"))
    return render(
        request,
        "workloads/detail.html",
        {
            "workload": workload,
            "reviews": reviews,
            "regions": [region_label(code) for code in workload.aws_regions],
            "can_edit": may(request.user, workload, Action.EDIT),
            "can_administer": may(request.user, workload, Action.ADMINISTER),
            "can_start_review": not has_default_review and not workload.is_archived,
            # Templates to start the review from: only looked up when a review may be started.
            "start_templates": (
                templates_visible_to(request.user)
                .filter(lens__slug=settings.DEFAULT_LENS_SLUG)
                .order_by("name")
                if not has_default_review
                and not workload.is_archived
                and may(request.user, workload, Action.EDIT)
                else []
            ),
            "activity": activity,
        },
    )


def _set_archived(request: AuthenticatedRequest, workload_id: UUID, archived: bool) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.ADMINISTER)
    was = workload.is_archived
    workload_set_archived(workload=workload, actor=request.user, archived=archived)
    if was == archived:
        messages.info(request, f"“{workload.name}” was already {'archived' if archived else 'active'}.")
    elif archived:
        messages.success(
            request, f"Archived “{workload.name}”. It is hidden from lists until you unarchive it."
        )
    else:
        messages.success(request, f"“{workload.name}” is active again.")
    return redirect("workload_detail", workload_id=workload.pk)


@require_POST
def workload_archive(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    return _set_archived(request, workload_id, True)


@require_POST
def workload_unarchive(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    return _set_archived(request, workload_id, False)


urlpatterns = [
    path("", workload_list, name="workload_list"),
    path("new/", workload_create, name="workload_create"),
    path("<uuid:workload_id>/", workload_detail, name="workload_detail"),
    path("<uuid:workload_id>/edit/", workload_edit, name="workload_edit"),
    path("<uuid:workload_id>/archive/", workload_archive, name="workload_archive"),
    path("<uuid:workload_id>/unarchive/", workload_unarchive, name="workload_unarchive"),
]
