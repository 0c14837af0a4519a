"""The sign-in steps that write: attempts for throttling, the audit trail, and the start of a session.

Views in reviewapp/views/signin.py decide what to show; these functions record what happened.
"""

from __future__ import annotations

from django.contrib.auth import login
from django.http import HttpRequest

from ..audit import audit_record
from ..identity import throttle
from ..identity.throttle import Lock
from ..models import User
from .identity import recovery_codes_left, session_record


def client_ip(request: HttpRequest) -> str | None:
    # REMOTE_ADDR is the peer; behind a proxy, set it from the proxy's header in the WSGI server, not here.
    return request.META.get("REMOTE_ADDR") or None


def _lockout_audit(lock: Lock, username: str, user: User | None = None) -> None:
    audit_record(
        actor=user,
        actor_label=throttle.normalise_username(username),
        action="auth.lockout",
        object_type="User" if user else "",
        object_id=str(user.pk) if user else "",
        object_repr=user.get_username() if user else "",
        after={"locked_by": lock.reason, "until": lock.until.isoformat()},
    )


def sign_in_refused_while_locked(*, request: HttpRequest, username: str, lock: Lock) -> None:
    """An attempt during a lock: refused unchecked and not counted, but on the record."""
    audit_record(
        actor=None,
        actor_label=throttle.normalise_username(username),
        action="auth.login_failed",
        after={"reason": "locked", "locked_by": lock.reason},
    )


def password_failed(*, request: HttpRequest, username: str) -> Lock | None:
    """A wrong username or password; returns the lock this failure started, if any."""
    lock = throttle.record_attempt(username, client_ip(request), succeeded=False)
    audit_record(
        actor=None,
        actor_label=throttle.normalise_username(username),
        action="auth.login_failed",
        after={"reason": "bad_credentials"},
    )
    if lock:
        _lockout_audit(lock, username)
    return lock


def second_factor_failed(*, request: HttpRequest, user: User) -> Lock | None:
    """A wrong second-factor code after a correct password: counts like a wrong password."""
    lock = throttle.record_attempt(user.get_username(), client_ip(request), succeeded=False)
    audit_record(actor=user, action="auth.mfa_failed", obj=user)
    if lock:
        _lockout_audit(lock, user.get_username(), user)
    return lock


def sign_in(
    *, request: HttpRequest, user: User, backend: str, method: str, second_factor: str | None
) -> None:
    """Start the session (a new session key: no fixation), clear the username's failure count, audit it."""
    login(request, user, backend=backend)
    session_record(request=request, user=user)
    throttle.record_attempt(user.get_username(), client_ip(request), succeeded=True)
    after: dict = {"method": method, "second_factor": second_factor}
    if second_factor == "recovery_code":
        after["recovery_codes_left"] = recovery_codes_left(user)
    audit_record(actor=user, action="auth.login", obj=user, after=after)
