"""Writes of the sign-in area: second-factor enrolment and reset, recovery codes, sessions, password changes.

Every change is audited. Secrets never reach the audit trail or a log: not passwords, TOTP seeds or codes.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from ..access import require_administrator
from ..audit import audit_record
from ..identity import crypto, totp
from ..models import MfaDevice, RecoveryCode, User, UserSession


def mfa_required_for(user: User) -> bool:
    """Whether the organisation requires this user to sign in with a second factor (MFA_REQUIRED_ROLES)."""
    role = user.org_role or "MEMBER"
    return role in settings.MFA_REQUIRED_ROLES


def _store_recovery_codes(user: User) -> list[str]:
    RecoveryCode.objects.filter(user=user).delete()
    codes = totp.new_recovery_codes()
    RecoveryCode.objects.bulk_create(
        RecoveryCode(user=user, code_hash=totp.recovery_code_hash(user.pk, code)) for code in codes
    )
    return codes


@transaction.atomic
def mfa_enrol(*, user: User, secret: str, code: str) -> list[str]:
    """Confirm a new authenticator with a code it shows; returns ten new recovery codes, to be shown once.

    Replaces any earlier authenticator and recovery codes of the user."""
    step = totp.matching_step(secret, code)
    if step is None:
        raise ValidationError(
            {"code": ["That code does not match. Check the phone's clock and enter the 6 digits shown now."]}
        )
    replaced, _ = MfaDevice.objects.filter(user=user).delete()
    MfaDevice.objects.create(
        user=user,
        encrypted_secret=crypto.encrypt(secret),
        last_used_step=step,
        confirmed_at=timezone.now(),
        last_used_at=timezone.now(),
    )
    codes = _store_recovery_codes(user)
    audit_record(
        actor=user,
        action="auth.mfa_enrol",
        obj=user,
        after={"replaced_earlier": bool(replaced), "recovery_codes": 10},
    )
    return codes


@transaction.atomic
def mfa_recovery_codes_regenerate(*, user: User) -> list[str]:
    if not MfaDevice.objects.filter(user=user).exists():
        raise ValidationError("Set up an authenticator app first; recovery codes come with it.")
    codes = _store_recovery_codes(user)
    audit_record(actor=user, action="auth.mfa_recovery_codes", obj=user, after={"recovery_codes": len(codes)})
    return codes


def mfa_verify(*, user: User, code: str) -> str | None:
    """Check a second-factor code: "totp" or "recovery_code" when it is good (and now used up), else None.

    Locks the device row so two requests cannot both spend the same code."""
    with transaction.atomic():
        device = MfaDevice.objects.select_for_update().filter(user=user).first()
        if device is None:
            return None
        step = totp.matching_step(
            crypto.decrypt(device.encrypted_secret), code, after_step=device.last_used_step
        )
        if step is not None:
            device.last_used_step = step
            device.last_used_at = timezone.now()
            device.save(update_fields=["last_used_step", "last_used_at"])
            return "totp"
        if totp.looks_like_recovery_code(code):
            used = RecoveryCode.objects.filter(
                user=user, code_hash=totp.recovery_code_hash(user.pk, code), used_at__isnull=True
            ).update(used_at=timezone.now())
            if used:
                return "recovery_code"
    return None


def recovery_codes_left(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()


@transaction.atomic
def mfa_reset(*, actor: User, user: User) -> None:
    """An administrator clears a user's authenticator and recovery codes (lost phone). The user must enrol
    again at their next sign-in if their role requires a second factor."""
    require_administrator(actor, "Only administrators can reset another person's sign-in codes.")
    from .tokens import api_tokens_revoke_all

    had_device, _ = MfaDevice.objects.filter(user=user).delete()
    RecoveryCode.objects.filter(user=user).delete()
    audit_record(
        actor=actor,
        action="auth.mfa_reset",
        obj=user,
        before={"authenticator": bool(had_device)},
        after={"authenticator": False},
    )
    # Tokens were made with the factor just reset; whoever has the lost phone may have them too.
    api_tokens_revoke_all(user=user, actor=actor, reason="second factor reset")


def session_record(*, request: HttpRequest, user: User) -> None:
    """Remember a new signed-in session, so its owner can see it and end it from another one."""
    key = request.session.session_key
    if not key:
        return
    UserSession.objects.update_or_create(
        session_key=key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "ip": request.META.get("REMOTE_ADDR") or None,
            "user_agent": request.headers.get("User-Agent", "")[:200],
        },
    )


def session_forget(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def sessions_revoke_others(*, user: User, keep_session_key: str | None, audit: bool = True) -> int:
    """End every other signed-in session of `user`; returns how many were ended."""
    others = UserSession.objects.filter(user=user).exclude(session_key=keep_session_key or "")
    keys = list(others.values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    others.delete()
    if audit:
        audit_record(
            actor=user, action="auth.sessions_revoked", obj=user, after={"sessions_ended": len(keys)}
        )
    return len(keys)


@transaction.atomic
def user_password_change(*, user: User, new_password: str, keep_session_key: str | None) -> None:
    """Set a new password (checked by the configured validators) and end the user's other sessions."""
    validate_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    ended = sessions_revoke_others(user=user, keep_session_key=keep_session_key, audit=False)
    audit_record(actor=user, action="auth.password_change", obj=user, after={"other_sessions_ended": ended})


def session_rekey(*, old_key: str | None, new_key: str | None) -> None:
    """Follow a session whose key Django rotated (password change), so it stays listed and revocable."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)
