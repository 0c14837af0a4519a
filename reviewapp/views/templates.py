"""Review templates: list, create and edit them, start a review from one, and apply one to a review after a
per-question preview of what it would change."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from questionnaire.models import Lens, Question

from ..access import (
    Action,
    get_review_for_user,
    get_template_for_user,
    may,
    template_teams_for,
    templates_visible_to,
    workloads_visible_to,
)
from ..forms.common import add_service_errors
from ..forms.templates import ORGANISATION, REASONS, TemplateForm, entries_from_post, entry_rows
from ..models import Review, ReviewTemplate
from ..selectors.templates import (
    Change,
    reviews_behind,
    template_preview,
    template_version,
    templates_for_review,
)
from ..services import AnswerConflict
from ..services.templates import lens_mismatch, template_apply, template_create, template_update
from . import AuthenticatedRequest


def template_list(request: AuthenticatedRequest) -> HttpResponse:
    templates = templates_visible_to(request.user).select_related("team", "lens").order_by("name")
    teams, organisation = template_teams_for(request.user)
    context = {"templates": templates, "can_create": organisation or teams.exists()}
    return render(request, "review_templates/list.html", context)


def _questions(lens: Lens) -> list[Question]:
    version = lens.current_version()
    if version is None:
        raise Http404("This lens has no version loaded")
    return list(Question.objects.filter(lens_version=version).prefetch_related("best_practices"))


def _editor(request, form, lens, questions, entries, errors, template=None, behind=()) -> HttpResponse:
    context = {
        "form": form,
        "lens": lens,
        "lenses": Lens.objects.order_by("name"),
        "rows": entry_rows(questions, entries),
        "reasons": REASONS,
        "entry_errors": errors,
        "template": template,
        "behind": behind,
        "can_edit": template is None or may_edit(request, template),
    }
    return render(request, "review_templates/edit.html", context)


def may_edit(request: AuthenticatedRequest, template: ReviewTemplate) -> bool:
    return template.grant is not None and template.grant.allows(Action.EDIT)


@require_http_methods(["GET", "POST"])
def template_new(request: AuthenticatedRequest) -> HttpResponse:
    teams, organisation = template_teams_for(request.user)
    if not organisation and not teams.exists():
        raise PermissionDenied("Team owners and contributors, and administrators, keep templates.")
    lens = Lens.objects.filter(slug=request.GET.get("lens") or settings.DEFAULT_LENS_SLUG).first()
    if lens is None:
        raise Http404("No such lens")
    questions = _questions(lens)
    form = TemplateForm(request.POST or None, teams=teams, organisation=organisation)
    entries: dict = {}
    errors: list[str] = []
    if request.method == "POST":
        entries = entries_from_post(request.POST, questions)
        if form.is_valid():
            keeper = form.cleaned_data["keeper"]
            team = None if keeper == ORGANISATION else teams.get(pk=keeper)
            try:
                template = template_create(
                    actor=request.user,
                    lens=lens,
                    team=team,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    entries=entries,
                )
            except ValidationError as error:
                errors = _entry_errors(form, error)
            else:
                messages.success(request, f"Template {template.name} saved as version 1.")
                return redirect("template_detail", template_id=template.pk)
    return _editor(request, form, lens, questions, entries, errors)


def _entry_errors(form: TemplateForm, error: ValidationError) -> list[str]:
    """Name and description errors go on their fields; the answers' errors are listed above the questions."""
    if hasattr(error, "error_dict"):
        add_service_errors(form, error)
        return []
    return list(error.messages)


@require_http_methods(["GET", "POST"])
def template_detail(request: AuthenticatedRequest, template_id) -> HttpResponse:
    template = get_template_for_user(
        request.user, template_id, Action.EDIT if request.method == "POST" else Action.VIEW
    )
    questions = _questions(template.lens)
    entries = template_version(template).entries
    initial = {"name": template.name, "description": template.description}
    form = TemplateForm(request.POST or None, initial=initial)
    errors: list[str] = []
    if request.method == "POST":
        entries = entries_from_post(request.POST, questions)
        if form.is_valid():
            try:
                updated = template_update(
                    template=template,
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"],
                    entries=entries,
                )
            except ValidationError as error:
                errors = _entry_errors(form, error)
            else:
                messages.success(
                    request, f"Template {updated.name} saved; it is at version {updated.version}."
                )
                return redirect("template_detail", template_id=template.pk)
    behind = reviews_behind(template, Review.objects.filter(workload__in=workloads_visible_to(request.user)))
    return _editor(request, form, template.lens, questions, entries, errors, template, behind)


@require_http_methods(["GET", "POST"])
def review_template_apply(request: AuthenticatedRequest, review_id) -> HttpResponse:
    """Choose a template, see per question what it would change, tick the answers to replace, apply."""
    review = get_review_for_user(request.user, review_id, Action.EDIT)
    choices = templates_for_review(templates_visible_to(request.user), review)
    chosen_id = request.POST.get("template") or request.GET.get("template")
    template = get_template_for_user(request.user, chosen_id) if chosen_id else None
    mismatch = lens_mismatch(review, template) if template is not None else ""
    error = mismatch
    if template is not None and not mismatch and request.method == "POST":
        try:
            applied = template_apply(
                review=review,
                template=template,
                actor=request.user,
                overwrite=request.POST.getlist("replace"),
            )
        except AnswerConflict as conflict:
            error = (
                f"Someone saved {conflict.current.question.code} while you were looking: "
                "the preview below is up to date, check it and apply again."
            )
        except ValidationError as refused:
            error = " ".join(refused.messages)
        else:
            messages.success(
                request,
                f"Applied {template.name} version {applied.version}: {len(applied.filled)} question(s) filled, "
                f"{len(applied.replaced)} replaced, {len(applied.kept)} kept as answered.",
            )
            return redirect("review_overview", review_id=review.pk)
    rows = template_preview(review, template_version(template)) if template and not mismatch else []
    context = {
        "review": review,
        "workload": review.workload,
        "choices": choices,
        "template": template,
        "rows": rows,
        "error": error,
        "Change": {change.name: change.value for change in Change},
        "can_edit": may(request.user, review, Action.EDIT),
    }
    status = 400 if error and request.method == "POST" else 200
    return render(request, "review_templates/apply.html", context, status=status)


urlpatterns = [
    path("templates/", template_list, name="template_list"),
    path("templates/new/", template_new, name="template_new"),
    path("templates/<uuid:template_id>/", template_detail, name="template_detail"),
    path("reviews/<uuid:review_id>/template/", review_template_apply, name="review_template_apply"),
]
