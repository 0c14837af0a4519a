"""The signed-in user's own account: sessions, password, two-step sign-in status."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ..access import may_see_audit
from ..lib.display import with_display
from ..models import MfaDevice
from ..services.identity import (
    mfa_required_for,
    session_rekey,
    sessions_revoke_others,
    user_password_change,
)
from . import AuthenticatedRequest


@require_GET
def account(request: AuthenticatedRequest) -> HttpResponse:
    user = request.user
    current = request.session.session_key
    sessions = list(user.tracked_sessions.all()[:50])
    for session in sessions:
        with_display(session, is_current=session.session_key == current)
    context = {
        "device": MfaDevice.objects.filter(user=user).first(),
        "codes_left": user.recovery_codes.filter(used_at__isnull=True).count(),
        "mfa_required": mfa_required_for(user),
        "sessions": sessions,
        "other_sessions": sum(1 for session in sessions if session.session_key != current),
        "sees_audit": may_see_audit(user),
        "session_hours": round(settings.SESSION_COOKIE_AGE / 3600, 1),
    }
    return render(request, "accounts/account.html", context)


@require_POST
def sessions_revoke(request: AuthenticatedRequest) -> HttpResponse:
    ended = sessions_revoke_others(user=request.user, keep_session_key=request.session.session_key)
    if ended:
        messages.success(request, f"Signed out of {ended} other session{'s' if ended != 1 else ''}.")
    else:
        messages.info(request, "There were no other sessions to sign out of.")
    return redirect("account")


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
def password_change(request: AuthenticatedRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        old_key = request.session.session_key
        try:
            user_password_change(
                user=request.user, new_password=form.cleaned_data["new_password1"], keep_session_key=old_key
            )
        except ValidationError as exc:
            form.add_error("new_password1", exc)
        else:
            # Keeps this session signed in under a new key; every other session is already ended.
            update_session_auth_hash(request, request.user)
            session_rekey(old_key=old_key, new_key=request.session.session_key)
            messages.success(request, "Your password was changed. Other sessions were signed out.")
            return redirect("account")
    status = 400 if form.errors else 200
    return render(request, "accounts/password_change.html", {"form": form}, status=status)
