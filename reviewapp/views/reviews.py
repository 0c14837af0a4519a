"""The guided review: one question per screen, saved as you go, with live risk and safe concurrent editing.

Every page works as plain HTML forms; htmx only makes saving automatic and swaps in the new risk badges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from checks.selectors import evidence_by_bp, has_evidence, suggested_practices
from checks.services import suggestions_apply
from questionnaire.models import Question

from ..access import Action, get_review_for_user, get_template_for_user, get_workload_for_user, may
from ..lib.charts import area_risk_chart
from ..lib.display import with_display
from ..models import Answer, NotApplicableReason, Review
from ..selectors import lens_upgrade_available, question_neighbours, review_summary
from ..selectors.profiles import question_priorities
from ..selectors.reviews import ReviewSummary
from ..selectors.templates import template_updates
from ..services import AnswerConflict, answer_record, review_start
from ..services.answers import CHOICE_NOTE_MAX_LENGTH
from ..services.templates import review_start_from_template
from ..specs import version_catalogue, version_specs
from . import AuthenticatedRequest
from .evidence_files import files_context, question_or_404


@dataclass
class Draft:
    """What the form shows: the stored answer, or what the user just submitted (so nothing typed is lost)."""

    base_version: int
    selected: set[str] = field(default_factory=set)
    none_of_these: bool = False
    not_applicable: bool = False
    reason: str = ""
    choices_na: dict[str, str] = field(default_factory=dict)
    choice_notes: dict[str, str] = field(default_factory=dict)
    notes: str = ""

    @classmethod
    def of(cls, answer: Answer) -> Draft:
        return cls(
            base_version=answer.version,
            selected=set(answer.selected),
            none_of_these=answer.none_of_these,
            not_applicable=not answer.is_applicable,
            reason=answer.reason,
            choices_na=dict(answer.choices_not_applicable),
            choice_notes=dict(answer.choice_notes),
            notes=answer.notes,
        )

    @classmethod
    def parse(cls, data, codes: list[str]) -> Draft:
        try:
            base_version = int(data.get("keep_mine") or data.get("base_version", ""))
        except ValueError:
            base_version = -1  # Unknown base: the save will be refused as a conflict rather than guessed at.
        return cls(
            base_version=base_version,
            selected=set(data.getlist("selected")),
            none_of_these=data.get("none_of_these") == "on",
            not_applicable=data.get("not_applicable") == "on",
            reason=data.get("reason", ""),
            choices_na={code: data[f"na_{code}"] for code in codes if data.get(f"na_{code}")},
            choice_notes={code: data[f"note_{code}"] for code in codes if data.get(f"note_{code}")},
            notes=data.get("notes", "").replace("\r\n", "\n"),
        )


@require_POST
def start(request: AuthenticatedRequest, workload_id) -> HttpResponse:
    workload = get_workload_for_user(request.user, workload_id, Action.EDIT)
    template_id = request.POST.get("template")
    try:
        if template_id:
            template = get_template_for_user(request.user, template_id)
            review, applied = review_start_from_template(
                workload=workload, actor=request.user, template=template
            )
            messages.success(
                request,
                f"Started from {template.name} version {applied.version}: {len(applied.filled)} answered.",
            )
            return redirect("review_overview", review_id=review.pk)
        review = review_start(workload=workload, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("workload_detail", workload_id=workload.pk)
    first = review.lens_version.questions.order_by("order").values_list("code", flat=True).first()
    return redirect("review_question", review_id=review.pk, question_code=first)


@require_GET
def overview(request: AuthenticatedRequest, review_id) -> HttpResponse:
    review = get_review_for_user(request.user, review_id)
    summary = review_summary(review, with_missing=True)
    chart = area_risk_chart([(area.name, area.counts.as_dict()) for area in summary.areas])
    # The workload profile's priorities come first (sorted is stable: catalogue order within each level).
    priorities = question_priorities(review)
    for row in summary.rows:
        with_display(row, priority=priorities.get(row.code))
    summary.rows.sort(key=lambda row: -(priorities[row.code].priority if row.code in priorities else 0))
    first_open = next((row.code for row in summary.rows if not row.answered), None)
    context = {
        "review": review,
        "workload": review.workload,
        "summary": summary,
        # Built from escaped parts in lib/charts.py.
        "chart": mark_safe(chart),  # noqa: S308  # nosec B308 B703
        "first_open": first_open,
        "can_edit": may(request.user, review, Action.EDIT),
        "newer_version": lens_upgrade_available(review),
        "template_updates": template_updates(review),
    }
    return render(request, "reviews/overview.html", context)


def _locked(draft: Draft, errors: dict | None) -> str:
    """Why the practices cannot be ticked now ("none" or "question"), or "" when they can.

    After a refused save the form shows what the person sent as it is, so they can untangle it themselves.
    """
    if errors:
        return ""
    if draft.not_applicable:
        return "question"
    return "none" if draft.none_of_these else ""


def _in_order(codes: list[str], values) -> list:
    """Codes (or code: value pairs) in catalogue order, so a comparison reads the same on both sides."""
    if isinstance(values, dict):
        return [(code, values[code]) for code in codes if code in values]
    return [code for code in codes if code in values]


def _question_context(
    request: AuthenticatedRequest,
    review,
    question: Question,
    draft: Draft,
    *,
    full: bool = True,
    summary: ReviewSummary | None = None,
    **extra,
) -> dict:
    """Everything the question page shows; `full=False` for the htmx save response, which only swaps the
    status, the risk badge and the question list (no best practices or evidence to load). A caller that
    has the review's summary already passes it in."""
    summary = summary or review_summary(review)
    previous, following = question_neighbours(summary.rows, question.code)
    row = next(row for row in summary.rows if row.code == question.code)
    # Every question's link differs only by its code: reverse once (a reverse per row costs more than the
    # rest of the row).
    placeholder = "QUESTION-CODE"
    link = reverse("review_question", kwargs={"review_id": review.pk, "question_code": placeholder})
    areas: dict[str, list] = {}
    for item in summary.rows:
        item.url = link.replace(placeholder, quote(item.code, safe=""))
        areas.setdefault(item.area, []).append(item)
    # Most workloads have no evidence: the review query said so (has_evidence), and the two queries are saved.
    evidence = evidence_by_bp(review.workload) if full and getattr(review, "has_evidence", True) else {}
    reasons = dict(NotApplicableReason.choices)
    codes = [
        choice.code for choice in version_specs(review.lens_version_id).by_question_id[question.pk].choices
    ]
    theirs = extra.get("theirs")
    best_practices = (
        list(version_catalogue(review.lens_version_id).practices.get(question.pk, ())) if full else []
    )
    practices: list[dict[str, Any]] = [
        {
            "bp": bp,
            "selected": bp.code in draft.selected,
            "na": draft.choices_na.get(bp.code, ""),
            "na_label": reasons.get(draft.choices_na.get(bp.code, ""), ""),
            "note": draft.choice_notes.get(bp.code, ""),
            "evidence": evidence.get(bp.code),
        }
        for bp in best_practices
    ]
    files = files_context(request, review, question, practices=best_practices) if full else {}
    return {
        **files,
        "review": review,
        "workload": review.workload,
        "question": question,
        "practices": practices,
        "draft": draft,
        "draft_selected": _in_order(codes, draft.selected),
        "draft_na": _in_order(codes, draft.choices_na),
        "theirs_selected": _in_order(codes, theirs.selected) if theirs else [],
        "theirs_na": _in_order(codes, theirs.choices_na) if theirs else [],
        "locked": _locked(draft, extra.get("errors")),
        "row": row,
        "summary": summary,
        "areas": areas,
        "previous": previous,
        "following": following,
        "reasons": NotApplicableReason.choices,
        "notes_max": settings.ANSWER_NOTES_MAX_LENGTH,
        "choice_note_max": CHOICE_NOTE_MAX_LENGTH,
        "can_edit": may(request.user, review, Action.EDIT),
        # Only this question's practices, and only where evidence supports them (never an inconclusive one).
        "has_suggestions": any(
            item["evidence"] is not None and item["evidence"].verdict == "SUPPORTS" and not item["selected"]
            for item in practices
        ),
        **extra,
    }


@require_http_methods(["GET", "POST"])
def question_page(request: AuthenticatedRequest, review_id, question_code: str) -> HttpResponse:
    action = Action.EDIT if request.method == "POST" else Action.VIEW
    reviews = Review.objects.annotate(has_evidence=has_evidence("workload_id"))
    review = get_review_for_user(request.user, review_id, action, queryset=reviews)
    question = question_or_404(review, question_code)
    if request.method == "GET":
        summary = review_summary(review)
        # A question added by a lens upgrade has no row until its first save, which creates version 1.
        answer = summary.answers.get(question.code) or Answer(review=review, question=question, version=1)
        context = _question_context(request, review, question, Draft.of(answer), summary=summary)
        return render(request, "reviews/question.html", context)

    codes = [
        choice.code for choice in version_specs(review.lens_version_id).by_question_id[question.pk].choices
    ]
    draft = Draft.parse(request.POST, codes)
    is_htmx = request.headers.get("HX-Request") == "true"
    try:
        saved = answer_record(
            review=review,
            question=question,
            actor=request.user,
            base_version=draft.base_version,
            selected=draft.selected,
            none_of_these=draft.none_of_these,
            is_applicable=not draft.not_applicable,
            reason=draft.reason,
            choices_not_applicable=draft.choices_na,
            choice_notes=draft.choice_notes,
            notes=draft.notes,
        )
    except AnswerConflict as conflict:
        theirs = conflict.current
        context = _question_context(
            request, review, question, draft, conflict=theirs, theirs=Draft.of(theirs), oob=is_htmx
        )
        template = "reviews/_save_status.html" if is_htmx else "reviews/question.html"
        return render(request, template, context, status=200 if is_htmx else 409)
    except ValidationError as error:
        context = _question_context(request, review, question, draft, errors=error.message_dict, oob=is_htmx)
        template = "reviews/_save_status.html" if is_htmx else "reviews/question.html"
        return render(request, template, context, status=200 if is_htmx else 400)

    go = request.POST.get("go")
    target = None
    if go in ("next", "previous"):
        previous, following = question_neighbours(review_summary(review).rows, question.code)
        target = following if go == "next" else previous
    if go == "overview":
        url = reverse("review_overview", kwargs={"review_id": review.pk})
    elif target:
        url = reverse("review_question", kwargs={"review_id": review.pk, "question_code": target})
    else:
        url = None
    if is_htmx:
        if url:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = url
        else:
            context = _question_context(
                request, review, question, Draft.of(saved), full=False, saved=True, oob=True
            )
            response = render(request, "reviews/_save_status.html", context)
        # app.js reads this to know that everything it sent is stored (no "unsaved changes" warning).
        response["X-Answer-Saved"] = str(saved.version)
        return response
    messages.success(request, f"{question.code} saved.")
    return redirect(
        url or reverse("review_question", kwargs={"review_id": review.pk, "question_code": question.code})
    )


@require_http_methods(["GET", "POST"])
def suggestions(request: AuthenticatedRequest, review_id, question_code: str) -> HttpResponse:
    """Evidence suggests, a person decides: GET shows what would be ticked, POST (the confirmation) saves."""
    review = get_review_for_user(request.user, review_id, Action.EDIT)
    question = question_or_404(review, question_code)
    page = reverse("review_question", kwargs={"review_id": review.pk, "question_code": question.code})
    if request.method == "GET":
        answer = Answer.objects.get(review=review, question=question)
        supported = suggested_practices(review, question).codes
        new = question.best_practices.filter(code__in=supported).exclude(code__in=answer.selected)
        context = {
            "review": review,
            "workload": review.workload,
            "question": question,
            "answer": answer,
            "new": list(new.order_by("order")),
        }
        return render(request, "reviews/suggestions.html", context)
    try:
        base_version = int(request.POST.get("base_version", ""))
    except ValueError:
        base_version = -1  # Unknown base: refused as a conflict rather than guessed at.
    try:
        codes = suggestions_apply(
            review=review, question=question, actor=request.user, base_version=base_version
        )
    except AnswerConflict:
        messages.error(request, "The answer changed while you were looking; review the suggestions again.")
        return redirect(request.path)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(page)
    messages.success(
        request, f"Selected {len(codes)} best practice(s) supported by evidence. Check them below."
    )
    return redirect(page)


urlpatterns = [
    path("start/<uuid:workload_id>/", start, name="review_start"),
    path("<uuid:review_id>/", overview, name="review_overview"),
    path("<uuid:review_id>/questions/<str:question_code>/", question_page, name="review_question"),
    path(
        "<uuid:review_id>/questions/<str:question_code>/suggestions/", suggestions, name="review_suggestions"
    ),
]
