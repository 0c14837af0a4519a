"""Importing scanner findings (Prowler, Security Hub CSPM) as evidence, and what each import brought.

Objects come through reviewapp.access (an import through its workload); the write is one service call whose
refusal (malformed file, unknown account, too large) is shown on the form with where it is, never a 500.
"""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from reviewapp.access import Action, get_evidence_import_for_user, get_workload_for_user, may
from reviewapp.views import AuthenticatedRequest

from . import selectors
from .forms import EvidenceImportForm
from .imports import mapping
from .imports.parsers import ImportFileError
from .imports.service import Upload, evidence_import_create

FINDINGS_PAGE_SIZE = 50


@require_http_methods(["GET", "POST"])
def evidence_import(request: AuthenticatedRequest, workload_id: UUID) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
    form = EvidenceImportForm(request.POST or None, request.FILES or None)
    problem: ImportFileError | None = None
    if request.method == "POST" and form.is_valid():
        file = form.cleaned_data["file"]
        try:
            result = evidence_import_create(
                workload=workload,
                actor=request.user,
                upload=Upload(file, file.name, file.size),
                file_format=form.cleaned_data["file_format"] or None,
            )
        except ImportFileError as error:
            problem = error
        else:
            messages.success(
                request,
                f"Imported {result.total} {result.get_source_display()} findings: {result.mapped} evidence best "
                f"practices, {result.unmapped} map to none.",
            )
            return redirect("evidence_import_detail", import_id=result.pk)
    status = 400 if request.method == "POST" else 200
    context = {"workload": workload, "form": form, "problem": problem}
    return render(request, "checks/import.html", context, status=status)


@require_GET
def evidence_import_detail(request: AuthenticatedRequest, import_id: UUID) -> HttpResponse:
    evidence_import = get_evidence_import_for_user(request.user, import_id)
    unmapped_only = request.GET.get("unmapped") == "1"
    findings = selectors.import_findings(evidence_import, unmapped=True if unmapped_only else None)
    page = Paginator(findings, FINDINGS_PAGE_SIZE).get_page(request.GET.get("page"))
    unmapped_checks = (
        selectors.import_findings(evidence_import, unmapped=True)
        .values("check_id")
        .annotate(n=Count("id"))
        .order_by("-n", "check_id")[:100]
    )
    return render(
        request,
        "checks/import_detail.html",
        {
            "workload": evidence_import.workload,
            "evidence_import": evidence_import,
            "page": page,
            "unmapped_only": unmapped_only,
            "unmapped_checks": list(unmapped_checks),
            "mapping_source": mapping.source_note(evidence_import.source),
            "can_edit": may(request.user, evidence_import.workload, Action.EDIT),
        },
    )
