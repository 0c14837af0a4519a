"""Sign in (password, then the second factor when the user has one) and sign out.

Nobody is signed in until every step has passed: after a correct password, a user with an authenticator only
gets a short-lived "pending" marker in the session, and the session is started by `services.signin.sign_in`
once the code checks out. Failed passwords and codes both count towards the lockout.
"""

from __future__ import annotations

import logging
import time
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client.errors import OAuthError
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from joserfc.errors import JoseError

from ..audit import audit_record
from ..identity import oidc, throttle
from ..models import MfaDevice, User
from ..services.identity import mfa_required_for, mfa_verify, session_forget
from ..services.signin import (
    client_ip,
    password_failed,
    second_factor_failed,
    sign_in,
    sign_in_refused_while_locked,
)

logger = logging.getLogger(__name__)

PENDING_KEY = "signin_pending"
# Time allowed between a correct password and the code; after it the password must be typed again.
PENDING_SECONDS = 300


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        strip=True,
        error_messages={
            "required": "Enter the 6-digit code from your authenticator app, or a recovery code."
        },
    )


def safe_next_url(request: HttpRequest, candidate: str | None) -> str:
    """Where to go after signing in: `next` if it stays on this site, else the home page."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _pending(request: HttpRequest) -> tuple[User, dict] | None:
    data = request.session.get(PENDING_KEY)
    if not isinstance(data, dict) or time.time() - data.get("at", 0) > PENDING_SECONDS:
        request.session.pop(PENDING_KEY, None)
        return None
    uid = data.get("uid")
    user = User.objects.filter(pk=uid, is_active=True).first() if isinstance(uid, int) else None
    return (user, data) if user else None


def _login_context(form: AuthenticationForm, next_url: str) -> dict:
    return {
        "form": form,
        "next": next_url,
        "sso_enabled": oidc.sso_enabled(),
        "sso_name": settings.OIDC_PROVIDER_NAME,
    }


def _locked_response(request: HttpRequest, form: AuthenticationForm, lock: throttle.Lock) -> HttpResponse:
    form.errors.clear()
    context = _login_context(form, request.POST.get(REDIRECT_FIELD_NAME, "")) | {
        "locked_message": lock.message()
    }
    return render(request, "registration/login.html", context, status=429)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    next_url = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME, "")
    if request.method != "POST":
        form = AuthenticationForm(request)
        return render(request, "registration/login.html", _login_context(form, next_url))

    form = AuthenticationForm(request, data=request.POST)
    username = request.POST.get("username", "")
    lock = throttle.current_lock(username, client_ip(request))
    if lock:
        # Refused before the password is even checked, so guessing during a lock learns nothing.
        sign_in_refused_while_locked(request=request, username=username, lock=lock)
        return _locked_response(request, form, lock)
    if not form.is_valid():
        lock = password_failed(request=request, username=username)
        if lock:
            return _locked_response(request, form, lock)
        return render(request, "registration/login.html", _login_context(form, next_url), status=400)

    user = form.get_user()
    # authenticate() records on the user which backend accepted the password; login() needs it back.
    backend = vars(user)["backend"]
    return after_first_factor(request, user, backend=backend, method="password", next_url=next_url)


def after_first_factor(
    request: HttpRequest, user: User, *, backend: str, method: str, next_url: str
) -> HttpResponse:
    """A password (or the sign-on provider) vouched for `user`: ask for the code if they have an
    authenticator, else start the session; a role that requires one then goes to set it up."""
    if MfaDevice.objects.filter(user=user).exists():
        # A new session key between the steps: nothing learnt before the password carries over.
        request.session.cycle_key()
        request.session[PENDING_KEY] = {
            "uid": user.pk,
            "backend": backend,
            "method": method,
            "at": time.time(),
            "next": next_url,
        }
        return redirect("login_mfa")
    sign_in(request=request, user=user, backend=backend, method=method, second_factor=None)
    if mfa_required_for(user):
        messages.warning(
            request, "Your role requires two-step sign-in. Set up an authenticator app to continue."
        )
        query = urlencode({REDIRECT_FIELD_NAME: safe_next_url(request, next_url)})
        return HttpResponseRedirect(f"{resolve_url('mfa_enrol')}?{query}")
    return redirect(safe_next_url(request, next_url))


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_not_required
@require_http_methods(["GET", "POST"])
def login_mfa(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        if request.method == "POST":
            messages.error(request, "That sign-in took too long. Enter your password again.")
        return redirect("login")
    user, data = pending
    if request.method != "POST":
        return render(request, "registration/login_mfa.html", {"form": CodeForm()})

    form = CodeForm(request.POST)
    lock = throttle.current_lock(user.get_username(), client_ip(request))
    if lock:
        request.session.pop(PENDING_KEY, None)
        sign_in_refused_while_locked(request=request, username=user.get_username(), lock=lock)
        messages.error(request, lock.message())
        return redirect("login")
    second_factor = mfa_verify(user=user, code=form.cleaned_data["code"]) if form.is_valid() else None
    if second_factor is None:
        lock = second_factor_failed(request=request, user=user)
        if lock:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, lock.message())
            return redirect("login")
        if form.is_valid():
            form.add_error("code", "That code is not valid, or it has been used already. Try the next one.")
        return render(request, "registration/login_mfa.html", {"form": form}, status=400)

    request.session.pop(PENDING_KEY, None)
    method = data.get("method", "password")
    sign_in(request=request, user=user, backend=data["backend"], method=method, second_factor=second_factor)
    if second_factor == "recovery_code":
        messages.warning(
            request,
            "You signed in with a recovery code; it cannot be used again. If your phone is lost, set up a "
            "new authenticator on your account page.",
        )
    return redirect(safe_next_url(request, data.get("next")))


@login_not_required
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(actor=request.user, action="auth.logout", obj=request.user)
        session_forget(session_key=request.session.session_key)
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)


SSO_NEXT_KEY = "sso_next"


@never_cache
@login_not_required
@require_GET
def oidc_login(request: HttpRequest) -> HttpResponse:
    """Send the browser to the sign-on provider (404 when single sign-on is not configured)."""
    if not oidc.sso_enabled():
        raise Http404("Single sign-on is not configured")
    request.session[SSO_NEXT_KEY] = request.GET.get(REDIRECT_FIELD_NAME, "")
    try:
        return oidc.client().authorize_redirect(request, request.build_absolute_uri(reverse("oidc_callback")))
    except (OAuthError, requests.RequestException, ValueError) as exc:
        logger.warning("single sign-on: cannot reach the provider: %s", type(exc).__name__)
        messages.error(
            request, "Single sign-on is not available right now. Sign in with your password instead."
        )
        return redirect("login")


@never_cache
@login_not_required
@require_GET
def oidc_callback(request: HttpRequest) -> HttpResponse:
    """The provider sends the browser back here with a code; Authlib checks state, swaps the code for tokens
    and validates the ID token before we look at who it names."""
    if not oidc.sso_enabled():
        raise Http404("Single sign-on is not configured")
    next_url = request.session.pop(SSO_NEXT_KEY, "")
    try:
        token = oidc.client().authorize_access_token(request)
        claims = dict(token.get("userinfo") or {})
        if not claims:
            raise oidc.SsoRefused("sso_claims", "The sign-on provider did not send an ID token.")
        user, created = oidc.user_for_claims(claims)
    except oidc.SsoRefused as refused:
        audit_record(
            actor=None, action="auth.login_failed", after={"reason": refused.reason, "method": "oidc"}
        )
        messages.error(request, refused.message)
        return redirect("login")
    except (OAuthError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        # The reason class is logged; tokens, codes and claims never are.
        logger.warning("single sign-on failed: %s", type(exc).__name__)
        audit_record(actor=None, action="auth.login_failed", after={"reason": "sso_error", "method": "oidc"})
        messages.error(request, "Single sign-on did not complete. Please try again.")
        return redirect("login")
    if created:
        audit_record(actor=user, action="auth.sso_account_create", obj=user, after={"email": user.email})
    backend = settings.AUTHENTICATION_BACKENDS[0]
    return after_first_factor(request, user, backend=backend, method="oidc", next_url=next_url)
