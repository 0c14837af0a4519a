"""Two-step sign-in: setting up an authenticator app, recovery codes, and resets by an administrator."""

from __future__ import annotations

from typing import Literal, overload

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import require_administrator
from ..identity import crypto, totp
from ..lib.display import with_display
from ..models import MfaDevice, User
from ..services.identity import mfa_enrol, mfa_recovery_codes_regenerate, mfa_required_for, mfa_reset
from . import AuthenticatedRequest
from .signin import safe_next_url

# The session key under which the seed being set up waits (encrypted).
ENROL_SESSION_KEY = "mfa_enrol_seed"
PEOPLE_PAGE_SIZE = 50


class EnrolForm(forms.Form):
    code = forms.CharField(
        label="Code from the app",
        max_length=16,
        error_messages={"required": "Enter the 6-digit code your authenticator app shows for this account."},
    )


@overload
def _pending_secret(request: AuthenticatedRequest, *, create: Literal[True]) -> str: ...
@overload
def _pending_secret(request: AuthenticatedRequest, *, create: Literal[False]) -> str | None: ...


def _pending_secret(request: AuthenticatedRequest, *, create: bool) -> str | None:
    """The seed being set up, kept encrypted in the session until the user proves their app has it."""
    stored = request.session.get(ENROL_SESSION_KEY)
    if stored:
        try:
            return crypto.decrypt(stored)
        except crypto.DecryptionError:
            request.session.pop(ENROL_SESSION_KEY, None)
    if not create:
        return None
    secret = totp.new_secret()
    request.session[ENROL_SESSION_KEY] = crypto.encrypt(secret)
    return secret


def _enrol_context(request: AuthenticatedRequest, secret: str, form: EnrolForm) -> dict:
    uri = totp.provisioning_uri(secret, request.user.get_username(), settings.MFA_ISSUER)
    return {
        "form": form,
        "secret_groups": [secret[i : i + 4] for i in range(0, len(secret), 4)],
        "qr_code": totp.qr_code_data_uri(uri),
        "next": request.GET.get(REDIRECT_FIELD_NAME) or request.POST.get(REDIRECT_FIELD_NAME, ""),
        "required": mfa_required_for(request.user),
    }


@sensitive_post_parameters("code")
@require_http_methods(["GET", "POST"])
def mfa_enrol_view(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    device = MfaDevice.objects.filter(user=user).first()
    replacing = request.GET.get("replace") == "1" or request.POST.get("replace") == "1"
    if device is not None and not replacing and request.method == "GET":
        context = {
            "device": device,
            "codes_left": user.recovery_codes.filter(used_at__isnull=True).count(),
            "required": mfa_required_for(user),
        }
        return render(request, "accounts/mfa_status.html", context)

    if request.method == "GET":
        secret = _pending_secret(request, create=True)
        return render(
            request,
            "accounts/mfa_enrol.html",
            _enrol_context(request, secret, EnrolForm()) | {"replacing": replacing},
        )

    pending = _pending_secret(request, create=False)
    if pending is None:
        messages.error(request, "That set-up page had expired. Scan the new code below.")
        return redirect("mfa_enrol")
    form = EnrolForm(request.POST)
    if form.is_valid():
        try:
            codes = mfa_enrol(user=user, secret=pending, code=form.cleaned_data["code"])
        except ValidationError as exc:
            for message in exc.message_dict.get("code", exc.messages):
                form.add_error("code", message)
        else:
            request.session.pop(ENROL_SESSION_KEY, None)
            # Shown in this response only: never stored in clear, never shown again.
            context = {
                "codes": codes,
                "next": safe_next_url(request, request.POST.get(REDIRECT_FIELD_NAME)),
                "new": True,
            }
            return render(request, "accounts/recovery_codes.html", context)
    context = _enrol_context(request, pending, form) | {"replacing": replacing}
    return render(request, "accounts/mfa_enrol.html", context, status=400)


@require_POST
def mfa_recovery_codes(request: AuthenticatedRequest) -> HttpResponse:
    try:
        codes = mfa_recovery_codes_regenerate(user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("mfa_enrol")
    context = {"codes": codes, "next": safe_next_url(request, None), "new": False}
    return render(request, "accounts/recovery_codes.html", context)


MFA_ADMIN_ONLY = "Only administrators manage other people's two-step sign-in."


@require_GET
def mfa_admin(request: AuthenticatedRequest) -> HttpResponse:
    """Who has two-step sign-in, who must, and a reset for a lost phone."""
    require_administrator(request.user, MFA_ADMIN_ONLY)
    query = request.GET.get("q", "").strip()[:150]
    people = User.objects.annotate(
        has_device=Exists(MfaDevice.objects.filter(user=OuterRef("pk"))),
        codes_left=Count("recovery_codes", filter=Q(recovery_codes__used_at__isnull=True)),
    ).order_by("username")
    if query:
        people = people.filter(
            Q(username__icontains=query)
            | Q(first_name__icontains=query)
            | Q(last_name__icontains=query)
            | Q(email__icontains=query)
        )
    page = Paginator(people, PEOPLE_PAGE_SIZE).get_page(request.GET.get("page"))
    for person in page:
        with_display(person, mfa_required=mfa_required_for(person))
    return render(request, "accounts/mfa_admin.html", {"page": page, "q": query})


@require_POST
def mfa_reset_view(request: AuthenticatedRequest, user_id: int) -> HttpResponse:
    actor = require_administrator(request.user, MFA_ADMIN_ONLY)
    person = get_object_or_404(User, pk=user_id)
    mfa_reset(actor=actor, user=person)
    messages.success(
        request,
        f"Two-step sign-in of {person.get_username()} was reset. They set up a new authenticator at their "
        "next sign-in"
        + (" (their role requires one)." if mfa_required_for(person) else ", if they want one."),
    )
    return redirect("mfa_admin")
