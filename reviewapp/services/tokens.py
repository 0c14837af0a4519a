"""Personal API tokens: a secret shown once, stored only as a keyed hash, revoked by its owner.

The stored `sha256` is HMAC-SHA256 over the token with a key derived from settings.API_TOKEN_KEY (SECRET_KEY
unless set separately). A keyed hash means a copy of the database alone is not enough to test guesses offline;
tokens carry 256 random bits, so a slow password hash would add nothing but latency to every API call.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import salted_hmac

from questionnaire.models import max_length

from ..access import token_lifetime_refusal, token_teams_refusal
from ..audit import audit_record
from ..models import ApiToken, Team, User
from .identity import mfa_required_for, mfa_verify

PREFIX_LENGTH = 8
NAME_MAX_LENGTH = max_length(ApiToken, "name")
# Enough for a handful of pipelines per person; whoever needs more should revoke the ones no longer used.
MAX_ACTIVE_TOKENS_PER_USER = 50


def token_digest(token: str) -> str:
    return salted_hmac(
        "reviewapp.api_token", token, secret=settings.API_TOKEN_KEY, algorithm="sha256"
    ).hexdigest()


def token_is_usable(token: ApiToken, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return token.revoked_at is None and token.expires_at > now


def _token_values(token: ApiToken) -> dict:
    return {
        "name": token.name,
        "prefix": token.prefix,
        "read_only": token.read_only,
        "issued_role": token.issued_role,
        "expires_at": token.expires_at,
        "revoked_at": token.revoked_at,
    }


@transaction.atomic
def api_token_create(
    *,
    user: User,
    name: str,
    expires_at: datetime,
    read_only: bool = False,
    teams: list[Team] | None = None,
    second_factor: str = "",
    via: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A new token for `user` and its secret; the secret exists only in the return value, never in storage.

    When the user's role requires two-step sign-in, a fresh code (`second_factor`) is needed: a token is a
    credential of its own, and must not be made by whoever holds only an unattended session. `teams` limits
    the token to those teams' workloads (the user must see each). `via` is the token the request came with, if
    any: the new one may not reach further than it (access.token_teams_refusal, token_lifetime_refusal)."""
    name = name.strip()
    now = timezone.now()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = ["Give the token a name that says where it is used, e.g. “CI pipeline”."]
    elif len(name) > NAME_MAX_LENGTH:
        errors["name"] = [f"Names are limited to {NAME_MAX_LENGTH} characters (you have {len(name)})."]
    max_days = settings.API_TOKEN_MAX_DAYS
    if expires_at <= now:
        errors["expires_at"] = ["The expiry must be in the future."]
    elif expires_at > now + timedelta(days=max_days):
        errors["expires_at"] = [f"Tokens may last at most {max_days} days."]
    elif outliving := token_lifetime_refusal(expires_at, via):
        errors["expires_at"] = [outliving]
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE_TOKENS_PER_USER:
        errors.setdefault("name", []).append(
            f"You already have {active} active tokens, the most allowed; revoke one you no longer use."
        )
    refusal = token_teams_refusal(user, teams or [])
    if refusal:
        errors["teams"] = [refusal]
    if mfa_required_for(user):
        if not second_factor.strip():
            errors["second_factor"] = [
                "Your role requires two-step sign-in: enter a code from your authenticator."
            ]
        elif errors:
            pass  # keep the code unspent until the rest of the form is right
        elif mfa_verify(user=user, code=second_factor.strip()) is None:
            errors["second_factor"] = [
                "That code is not valid. Enter the current code from your authenticator."
            ]
    if errors:
        raise ValidationError(errors)

    secret = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        sha256=token_digest(secret),
        read_only=read_only,
        issued_role=user.org_role,
        team_limited=bool(teams),
        expires_at=expires_at,
    )
    if teams:
        token.teams.set(teams)
    after = {**_token_values(token), "teams": sorted(team.name for team in teams or [])}
    audit_record(actor=user, action="api_token.create", obj=token, after=after)
    return token, secret


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User) -> ApiToken:
    """Revoke `token` for good; revoking it again changes nothing."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is not None:
        return token
    before = _token_values(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit_record(actor=actor, action="api_token.revoke", obj=token, before=before, after=_token_values(token))
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, actor: User | None, reason: str) -> int:
    """Revoke every usable token of `user` (role changed, second factor reset); one audit entry per token."""
    now = timezone.now()
    revoked = 0
    for token in ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        before = _token_values(token)
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit_record(
            actor=actor,
            actor_label="" if actor else "system",
            action="api_token.revoke",
            obj=token,
            before=before,
            after={**_token_values(token), "reason": reason},
        )
        revoked += 1
    return revoked


def api_token_mark_used(*, token: ApiToken, method: str, path: str) -> bool:
    """Record that `token` was used; at most once a minute per token, so automation does not flood the trail.

    The conditional UPDATE is the gate: of several concurrent requests only the one whose UPDATE changes the
    row writes the audit entry, without a lock or a cache.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < timedelta(minutes=1):
        return False
    with transaction.atomic():
        updated = (
            ApiToken.objects.filter(pk=token.pk)
            .filter(Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - timedelta(minutes=1)))
            .update(last_used_at=now)
        )
        if not updated:
            return False
        token.last_used_at = now
        audit_record(
            actor=token.user,
            action="api.token_use",
            obj=token,
            after={"method": method, "path": path[:200], "read_only": token.read_only},
        )
    return True
