"""Sign-in throttling: too many failures for one username, or from one IP address, pause sign-in a while.

Attempts are rows in the database (LoginAttempt), so the limits hold across processes and without Redis.
A lock starts at the failure that reaches the limit within the window and lasts LOGIN_LOCKOUT_SECONDS.
Attempts made while locked are refused without checking the password and are not counted, so the lock
ends on time. A successful sign-in clears a username's count; an IP address's count only ages out (one
good account must not let an attacker reset the count for the address).

The same rules apply to any username typed, existing or not, and the message never says which it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from .models import LoginAttempt

LOCKED_MESSAGE = (
    "Too many failed sign-in attempts. For your protection, signing in is paused for this account name or "
    "network address. Try again in {minutes} minutes, or ask an administrator for help."
)


@dataclass(frozen=True)
class Lock:
    reason: str  # "user" or "ip": for the audit entry only, never shown to the person signing in.
    until: datetime

    def message(self, now: datetime | None = None) -> str:
        seconds = max(0.0, (self.until - (now or timezone.now())).total_seconds())
        return LOCKED_MESSAGE.format(minutes=max(1, int(seconds // 60) + (1 if seconds % 60 else 0)))


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:150]


def _window() -> timedelta:
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)


def _lockout() -> timedelta:
    return timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def _lock_from(failures: list[datetime], limit: int, now: datetime) -> datetime | None:
    """`failures` newest first: locked if the latest `limit` fell within one window, until lockout ends."""
    if len(failures) < limit:
        return None
    newest, oldest = failures[0], failures[limit - 1]
    if newest - oldest > _window():
        return None
    until = newest + _lockout()
    return until if until > now else None


def current_lock(username: str, ip: str | None, now: datetime | None = None) -> Lock | None:
    """The lock in force for this username or address, if any."""
    now = now or timezone.now()
    since = now - _window() - _lockout()
    name = normalise_username(username)
    user_limit = settings.LOGIN_FAILURE_LIMIT_USER
    if name:
        last_success = LoginAttempt.objects.filter(username=name, succeeded=True, at__gte=since).aggregate(
            last=Max("at")
        )["last"]
        failures = LoginAttempt.objects.filter(username=name, succeeded=False, at__gte=last_success or since)
        times = list(failures.order_by("-at").values_list("at", flat=True)[:user_limit])
        until = _lock_from(times, user_limit, now)
        if until:
            return Lock("user", until)
    if ip:
        ip_limit = settings.LOGIN_FAILURE_LIMIT_IP
        failures = LoginAttempt.objects.filter(ip=ip, succeeded=False, at__gte=since)
        times = list(failures.order_by("-at").values_list("at", flat=True)[:ip_limit])
        until = _lock_from(times, ip_limit, now)
        if until:
            return Lock("ip", until)
    return None


def record_attempt(username: str, ip: str | None, *, succeeded: bool) -> Lock | None:
    """Store one attempt; after a failure, the lock it started (if this failure reached a limit)."""
    now = timezone.now()
    LoginAttempt.objects.create(at=now, username=normalise_username(username), ip=ip, succeeded=succeeded)
    if succeeded:
        return None
    return current_lock(username, ip, now)


def prune_attempts(older_than: timedelta = timedelta(days=30)) -> int:
    """Old attempts matter to no lock; the audit trail keeps the history."""
    deleted, _ = LoginAttempt.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
