"""Importing a custom lens from the browser: upload, preview everything it would import, then confirm.

The upload is held server-side under its SHA-256 (services.lenses.lens_upload_hold), so the confirmation
needs no second upload, and the import writes exactly the content that was previewed.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Max
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_http_methods

from questionnaire.lensformat import MAX_FILE_CHARS, LensFormatError
from questionnaire.models import Lens

from ..access import may_manage_catalogue
from ..services.lenses import (
    UPLOAD_HOLD_SECONDS,
    LensConfirmMismatch,
    lens_import,
    lens_import_preview,
    lens_upload_held,
    lens_upload_hold,
    lens_upload_release,
)
from . import AuthenticatedRequest

# A lens is at most 500,000 characters; UTF-8 needs at most four bytes for each.
MAX_UPLOAD_BYTES = MAX_FILE_CHARS * 4
SHA256 = r"^[0-9a-f]{64}$"


class LensUploadForm(forms.Form):
    file = forms.FileField(
        label="Custom lens file",
        help_text="AWS custom-lens JSON (schemaVersion 2021-11-01), at most 500 KB.",
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
    )
    slug = forms.SlugField(
        required=False,
        max_length=100,
        label="Import into lens (slug)",
        help_text="Leave empty to derive it from the lens name; the same slug again adds a version.",
    )
    strict = forms.BooleanField(
        required=False, label="Refuse the file if anything in it needed repairing (strict)"
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(f"The file is {upload.size:,} bytes; a lens is at most 500 KB.")
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(f"The file is not UTF-8 text ({exc.reason} at byte {exc.start}).") from exc


class LensConfirmForm(forms.Form):
    upload_sha256 = forms.RegexField(SHA256, widget=forms.HiddenInput)
    content_sha256 = forms.RegexField(SHA256, widget=forms.HiddenInput)
    slug = forms.SlugField(required=False, max_length=100, widget=forms.HiddenInput)
    strict = forms.BooleanField(required=False, widget=forms.HiddenInput)


def _lenses():
    return Lens.objects.annotate(version_count=Count("versions"), current=Max("versions__number")).order_by(
        "name", "pk"
    )


def _page(request: AuthenticatedRequest, status: int = 200, **context) -> HttpResponse:
    context.setdefault("form", LensUploadForm())
    context["lenses"] = _lenses()
    context["hold_minutes"] = UPLOAD_HOLD_SECONDS // 60
    return render(request, "lenses/import.html", context, status=status)


def _preview(request: AuthenticatedRequest) -> HttpResponse:
    form = LensUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, 400, form=form)
    text, slug, strict = (
        form.cleaned_data["file"],
        form.cleaned_data["slug"] or None,
        form.cleaned_data["strict"],
    )
    try:
        preview = lens_import_preview(text=text, slug=slug, strict=strict)
    except LensFormatError as exc:
        return _page(request, 400, form=form, problems=[str(problem) for problem in exc.problems])
    except ValidationError as exc:
        return _page(request, 400, form=form, problems=exc.messages)
    confirm = LensConfirmForm(
        initial={
            "upload_sha256": lens_upload_hold(user=request.user, text=text),
            "content_sha256": preview["content_sha256"],
            "slug": slug or "",
            "strict": strict,
        }
    )
    return _page(request, form=form, preview=preview, confirm=confirm)


def _confirm(request: AuthenticatedRequest) -> HttpResponse:
    confirm = LensConfirmForm(request.POST)
    if not confirm.is_valid():
        return _page(request, 400, problems=["The confirmation was incomplete; upload the file again."])
    data = confirm.cleaned_data
    text = lens_upload_held(user=request.user, upload_sha256=data["upload_sha256"])
    if text is None:
        return _page(
            request,
            400,
            problems=[
                f"The upload is no longer held (uploads wait {UPLOAD_HOLD_SECONDS // 60} minutes for a "
                "confirmation); upload the file again."
            ],
        )
    try:
        version, created = lens_import(
            text=text,
            actor=request.user,
            slug=data["slug"] or None,
            confirm=data["content_sha256"],
            strict=data["strict"],
        )
    except (LensFormatError, LensConfirmMismatch, ValidationError) as exc:
        # The held file was previewed, so this only happens if the catalogue changed meanwhile.
        detail = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        return _page(request, 409, problems=detail)
    lens_upload_release(user=request.user, upload_sha256=data["upload_sha256"])
    if created:
        messages.success(
            request, f"Imported {version.name} as version {version.number} of the lens {version.lens.slug}."
        )
    else:
        messages.info(
            request,
            f"Nothing changed: this content is already version {version.number} of {version.lens.slug}.",
        )
    return redirect("lens_import")


@require_http_methods(["GET", "POST"])
def lens_import_page(request: AuthenticatedRequest) -> HttpResponse:
    if not may_manage_catalogue(request.user):
        raise PermissionDenied("Only organisation administrators may import lenses.")
    if request.method == "GET":
        return _page(request)
    if "upload_sha256" in request.POST:
        return _confirm(request)
    return _preview(request)


urlpatterns = [
    path("lenses/import/", lens_import_page, name="lens_import"),
]
