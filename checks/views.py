"""Evidence pages: connected accounts and their setup, collection runs with live progress, findings, per-BP
drill-downs and the coverage of the check library.

Objects come through reviewapp.access (targets and runs through their workload); every write is one service
call whose refusal becomes a message or a form error, never a 500.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questionnaire.models import BestPractice
from reviewapp.access import Action, get_run_for_user, get_target_for_user, get_workload_for_user, may
from reviewapp.forms import add_service_errors
from reviewapp.lib.queue import QueueUnavailable
from reviewapp.models import Workload
from reviewapp.views import AuthenticatedRequest

from . import aws, selectors, services
from .cloudformation import role_name, template_for
from .forms import FindingFilterForm, ScheduleForm, TargetForm
from .models import ACTIVE_STATES, AwsTarget, EvidenceRun, EvidenceSchedule, Schedule, TaskState
from .registry import all_checks

FINDINGS_PAGE_SIZE = 50


def _bp_titles(codes: list[str]) -> dict[str, BestPractice]:
    """The built-in lens's BPs for these codes, newest lens version first. One query."""
    if not codes:
        return {}
    practices = (
        BestPractice.objects.filter(
            question__lens_version__lens__slug=settings.DEFAULT_LENS_SLUG, code__in=codes
        )
        .select_related("question")
        .order_by("-question__lens_version__number")
    )
    found: dict[str, BestPractice] = {}
    for bp in practices:
        found.setdefault(bp.code, bp)
    return found


def _evidence_context(request: AuthenticatedRequest, workload: Workload) -> dict:
    evidence = selectors.evidence_by_bp(workload)
    titles = _bp_titles(sorted(evidence))
    schedule = EvidenceSchedule.objects.filter(workload=workload).first()
    runs = list(selectors.runs_of(workload))
    targets = list(AwsTarget.objects.filter(workload=workload).order_by("account_id"))
    return {
        "workload": workload,
        "targets": targets,
        "runs": runs,
        "active_run": next((run for run in runs if run.state in ACTIVE_STATES), None),
        "evidence": [
            (titles.get(code), summary)
            for code, summary in sorted(evidence.items(), key=lambda item: _catalogue_key(titles, item[0]))
        ],
        "can_edit": may(request.user, workload, Action.EDIT),
        "can_administer": may(request.user, workload, Action.ADMINISTER),
        "schedule_form": ScheduleForm(
            initial={"frequency": schedule.frequency if schedule else Schedule.NONE}
        ),
        "schedule": schedule,
        "principal": settings.AWS_APP_PRINCIPAL_ARN,
        "imports": list(selectors.imports_of(workload)),
    }


def _catalogue_key(titles: dict[str, BestPractice], code: str) -> tuple:
    bp = titles.get(code)
    return (0, bp.question.order, bp.order) if bp else (1, 0, 0)


@require_GET
def evidence_home(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    return render(request, "checks/evidence.html", _evidence_context(request, workload))


@require_http_methods(["GET", "POST"])
def target_add(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.ADMINISTER)
    form = TargetForm(request.POST or None, initial={"regions": workload.aws_regions})
    if request.method == "POST" and form.is_valid():
        try:
            target = services.target_create(workload=workload, actor=request.user, **form.service_fields())
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Account {target.account_id} added. Create its read-only role with the template below, "
                f"then test the connection.",
            )
            return redirect("target_detail", workload_id=workload.pk, target_id=target.pk)
    status = 400 if form.errors else 200
    return render(request, "checks/target_add.html", {"workload": workload, "form": form}, status=status)


@require_GET
def target_detail(request: AuthenticatedRequest, workload_id: UUID, target_id: UUID) -> HttpResponse:
    target = get_target_for_user(request.user, target_id, Action.ADMINISTER, workload_id=workload_id)
    return render(
        request,
        "checks/target_detail.html",
        {
            "workload": target.workload,
            "target": target,
            "template": template_for(target),
            "role_name": role_name(target),
            "principal": settings.AWS_APP_PRINCIPAL_ARN,
        },
    )


@require_GET
def target_template(request: AuthenticatedRequest, workload_id: UUID, target_id: UUID) -> HttpResponse:
    target = get_target_for_user(request.user, target_id, Action.ADMINISTER, workload_id=workload_id)
    response = HttpResponse(template_for(target), content_type="application/x-yaml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="wa-evidence-role-{target.account_id}.yaml"'
    return response


@require_POST
def target_test(request: AuthenticatedRequest, workload_id: UUID, target_id: UUID) -> HttpResponse:
    target = get_target_for_user(request.user, target_id, Action.ADMINISTER, workload_id=workload_id)
    result = aws.test_connection(target)
    if result.ok:
        messages.success(request, result.message)
    else:
        messages.error(request, result.message)
    return redirect("target_detail", workload_id=target.workload_id, target_id=target.pk)


@require_POST
def target_remove(request: AuthenticatedRequest, workload_id: UUID, target_id: UUID) -> HttpResponse:
    target = get_target_for_user(request.user, target_id, Action.ADMINISTER, workload_id=workload_id)
    try:
        services.target_delete(target=target, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Account {target.account_id} is no longer connected. Delete its role in AWS if nothing else "
            f"uses it.",
        )
    return redirect("evidence_home", workload_id=workload_id)


@require_POST
def evidence_schedule(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.ADMINISTER)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose how often to collect evidence: never, daily or weekly.")
        return redirect("evidence_home", workload_id=workload.pk)
    schedule = services.schedule_set(
        workload=workload, actor=request.user, frequency=form.cleaned_data["frequency"]
    )
    messages.success(request, f"Evidence collection: {schedule.get_frequency_display().lower()}.")
    return redirect("evidence_home", workload_id=workload.pk)


@require_POST
def run_start(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
    try:
        run = services.run_start(workload=workload, actor=request.user)
    except QueueUnavailable as error:
        messages.error(request, error.message)
    except services.RunAlreadyActive as error:
        messages.warning(request, " ".join(error.messages))
        return redirect("run_detail", run_id=error.run.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        return redirect("run_detail", run_id=run.pk)
    return redirect("evidence_home", workload_id=workload.pk)


@require_POST
def run_cancel(request: AuthenticatedRequest, run_id: UUID) -> HttpResponse:
    run = get_run_for_user(request.user, run_id, Action.EDIT)
    try:
        services.run_cancel(run=run, actor=request.user)
    except ValidationError as error:
        messages.info(request, " ".join(error.messages))
    else:
        messages.success(
            request, "Collection cancelled. Findings of the tasks that were still running are discarded."
        )
    return redirect("run_detail", run_id=run.pk)


def _progress_context(request: AuthenticatedRequest, run: EvidenceRun) -> dict[str, Any]:
    return {
        "run": run,
        "counts": selectors.status_counts(run),
        "can_edit": may(request.user, run.workload, Action.EDIT),
    }


@require_GET
def run_detail(request: AuthenticatedRequest, run_id: UUID) -> HttpResponse:
    run = get_run_for_user(request.user, run_id)
    context = _progress_context(request, run)
    form = FindingFilterForm(request.GET or None, choices=selectors.filter_choices(run))
    filters = form.filters() if form.is_bound else {}
    findings = selectors.findings_of(run, selectors.FindingFilters(**filters))
    page = Paginator(findings, FINDINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    checks = {item.id: item for item in all_checks()}
    rows = [(finding, checks.get(finding.check_id)) for finding in page.object_list]
    failed_tasks = (
        run.tasks.filter(state=TaskState.FAILED).exclude(error="").order_by("account_id", "group", "region")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context.update(
        {
            "workload": run.workload,
            "form": form,
            "page": page,
            "rows": rows,
            "failed_tasks": list(failed_tasks[:50]),
            "filtered": bool(filters),
            "query": query.urlencode(),
        }
    )
    return render(request, "checks/run_detail.html", context)


@require_GET
def run_progress(request: AuthenticatedRequest, run_id: UUID) -> HttpResponse:
    """The progress box alone, polled by htmx while the run is active."""
    run = get_run_for_user(request.user, run_id)
    response = render(request, "checks/_run_progress.html", _progress_context(request, run))
    if not run.is_active and request.headers.get("HX-Request") and request.GET.get("polling"):
        # It just finished: reload the page so the findings table appears.
        response["HX-Refresh"] = "true"
    return response


@require_GET
def evidence_bp(request: AuthenticatedRequest, workload_id: UUID, bp_code: str) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id)
    drilldown = selectors.bp_drilldown(workload, bp_code)
    if drilldown.bp is None and not drilldown.checks:
        raise Http404("No such best practice")
    return render(
        request, "checks/evidence_bp.html", {"workload": workload, "bp_code": bp_code, "d": drilldown}
    )


@require_GET
def evidence_coverage(request: AuthenticatedRequest) -> HttpResponse:
    rows = selectors.coverage()
    automated = sum(1 for row in rows if row.automated)
    checks = all_checks()
    return render(
        request,
        "checks/coverage.html",
        {
            "rows": rows,
            "automated": automated,
            "manual": len(rows) - automated,
            "check_count": len(checks),
            "service_count": len({item.service for item in checks}),
        },
    )
