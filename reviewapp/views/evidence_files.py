"""Evidence files on the question page: the list of a question's files, uploading one (htmx swaps the list in
place; without JavaScript the form posts and the page comes back), downloading and removing one.

Downloads are always attachments with X-Content-Type-Options: nosniff and the content type the file's content
was checked to be, so no uploaded file is ever rendered by the browser as part of the app."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from questionnaire.models import BestPractice, Question

from ..access import Action, get_evidence_file_for_user, get_review_for_user, may
from ..forms import add_service_errors
from ..forms.evidence_files import EvidenceFileForm
from ..lib.downloads import attachment_response
from ..lib.filetypes import download_name
from ..models import Review
from ..selectors.evidence_files import evidence_files
from ..services.evidence_files import evidence_file_attach, evidence_file_delete
from ..specs import version_catalogue
from . import AuthenticatedRequest


def question_or_404(review: Review, question_code: str) -> Question:
    """The question `question_code` of the review's lens version (the question page uses it too)."""
    question = version_catalogue(review.lens_version_id).question(question_code)
    if question is None:
        raise Http404("No such question in this review's lens")
    return question


def files_context(
    request: AuthenticatedRequest,
    review: Review,
    question: Question,
    form: EvidenceFileForm | None = None,
    *,
    practices: list[BestPractice] | None = None,
) -> dict:
    """What templates/reviews/_evidence_files.html shows; the question page includes it too, passing the
    practices it has loaded already."""
    can_edit = may(request.user, review, Action.EDIT)
    if form is None and can_edit:
        form = EvidenceFileForm(practices=_practices(question, practices))
    return {
        "review": review,
        "question": question,
        "evidence_files": evidence_files(review, question_code=question.code),
        "file_form": form,
        "can_edit": can_edit,
    }


def _practices(question: Question, loaded: list[BestPractice] | None = None) -> list[tuple[str, str]]:
    practices = loaded if loaded is not None else question.best_practices.order_by("order")
    return [(bp.code, f"{bp.code} {bp.title}") for bp in practices]


def _page(review: Review, question: Question) -> str:
    url = reverse("review_question", kwargs={"review_id": review.pk, "question_code": question.code})
    return f"{url}#evidence-files"


@require_http_methods(["GET", "POST"])
def question_files(request: AuthenticatedRequest, review_id: UUID, question_code: str) -> HttpResponse:
    writing = request.method == "POST"
    review = get_review_for_user(request.user, review_id, Action.EDIT if writing else Action.VIEW)
    question = question_or_404(review, question_code)
    is_htmx = request.headers.get("HX-Request") == "true"
    if not writing:
        return render(request, "reviews/_evidence_files.html", files_context(request, review, question))
    form = EvidenceFileForm(request.POST, request.FILES, practices=_practices(question))
    if form.is_valid():
        data = form.cleaned_data
        try:
            evidence = evidence_file_attach(
                review=review,
                bp_code=data["bp_code"],
                upload=data["file"],
                valid_until=data["valid_until"],
                description=data["description"],
                actor=request.user,
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            text = f"Attached {evidence.name} to {evidence.bp_code} (SHA-256 {evidence.sha256[:12]}…)."
            if not is_htmx:
                messages.success(request, text)
                return redirect(_page(review, question))
            context = files_context(request, review, question) | {"notice": text}
            return render(request, "reviews/_evidence_files.html", context)
    context = files_context(request, review, question, form)
    # htmx swaps only a 2xx answer in; a plain form post gets the list with the errors and a 400.
    return render(request, "reviews/_evidence_files.html", context, status=200 if is_htmx else 400)


@require_GET
def file_download(request: AuthenticatedRequest, review_id: UUID, file_id: UUID) -> FileResponse:
    evidence = get_evidence_file_for_user(request.user, file_id, review_id=review_id)
    return attachment_response(
        evidence.file.open("rb"), download_name(evidence.name, evidence.kind), evidence.content_type
    )


@require_POST
def file_delete(request: AuthenticatedRequest, review_id: UUID, file_id: UUID) -> HttpResponse:
    evidence = get_evidence_file_for_user(request.user, file_id, Action.EDIT, review_id=review_id)
    review = evidence.review
    question = question_or_404(review, evidence.question_code)
    evidence_file_delete(evidence=evidence, actor=request.user)
    text = f"Removed {evidence.name} from {evidence.bp_code}; the audit trail keeps its SHA-256."
    if request.headers.get("HX-Request") == "true":
        context = files_context(request, review, question) | {"notice": text}
        return render(request, "reviews/_evidence_files.html", context)
    messages.success(request, text)
    return redirect(_page(review, question))


urlpatterns = [
    path(
        "<uuid:review_id>/questions/<str:question_code>/files/", question_files, name="review_question_files"
    ),
    path("<uuid:review_id>/files/<uuid:file_id>/", file_download, name="evidence_file_download"),
    path("<uuid:review_id>/files/<uuid:file_id>/delete/", file_delete, name="evidence_file_delete"),
]
