"""Optional OpenID Connect single sign-on, through Authlib's Django client.

Authlib does the protocol: the authorisation-code flow with PKCE, `state` and `nonce` kept in the session, the
ID token's signature checked against the provider's published keys, and its issuer, audience, expiry and
nonce validated. This module decides who the signed-in person is here:

1. an account already linked to the provider's (issuer, subject) pair;
2. else, for a verified e-mail address in OIDC_ALLOWED_DOMAINS, the one active account with that address,
   which is then linked;
3. else, if OIDC_CREATE_USERS is on, a new account with no team and no organisation role.

A person with an authenticator still passes the app's own second step; role enforcement applies as usual.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from authlib.integrations.django_client import OAuth
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ExternalIdentity, User


class SsoRefused(Exception):
    """The provider vouched for someone this app does not let in; `reason` goes to the audit trail."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def sso_enabled() -> bool:
    return bool(settings.OIDC_ISSUER)


@cache
def _client(issuer: str, client_id: str, client_secret: str, scopes: str):
    oauth = OAuth()
    return oauth.register(
        name="oidc",
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_id=client_id,
        client_secret=client_secret,
        client_kwargs={"scope": scopes, "code_challenge_method": "S256", "default_timeout": 10},
    )


def client():
    """The Authlib client for the configured provider (metadata and keys are fetched once per process)."""
    return _client(
        settings.OIDC_ISSUER, settings.OIDC_CLIENT_ID, settings.OIDC_CLIENT_SECRET, settings.OIDC_SCOPES
    )


def _domain_allowed(email: str) -> bool:
    allowed = settings.OIDC_ALLOWED_DOMAINS
    return "*" in allowed or email.rpartition("@")[2].lower() in allowed


def _new_username(claims: dict[str, Any], email: str) -> str:
    base = claims.get("preferred_username") or email.partition("@")[0] or "user"
    base = re.sub(r"[^\w.@+-]", "", str(base))[:140] or "user"
    candidate, number = base, 1
    while User.objects.filter(username__iexact=candidate).exists():
        number += 1
        candidate = f"{base}{number}"
    return candidate


@transaction.atomic
def user_for_claims(claims: dict[str, Any]) -> tuple[User, bool]:
    """The account for validated ID-token claims, and whether it was just created. Raises SsoRefused."""
    issuer, subject = str(claims.get("iss", "")), str(claims.get("sub", ""))
    if not issuer or not subject:
        raise SsoRefused("sso_claims", "The sign-on provider did not say who you are.")
    linked = ExternalIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    if linked is not None:
        if not linked.user.is_active:
            raise SsoRefused("sso_inactive", "This account is disabled. Ask an administrator.")
        linked.last_login_at = timezone.now()
        linked.save(update_fields=["last_login_at"])
        return linked.user, False

    email = str(claims.get("email") or "").strip()
    if not email or claims.get("email_verified") is not True:
        raise SsoRefused("sso_email_unverified", "Your sign-on account has no verified e-mail address.")
    if not _domain_allowed(email):
        raise SsoRefused("sso_domain", "Your e-mail domain is not allowed to sign in here.")
    matches = list(User.objects.filter(email__iexact=email)[:2])
    if len(matches) > 1:
        raise SsoRefused(
            "sso_ambiguous", "More than one account has this e-mail address. Ask an administrator."
        )
    created = False
    if matches:
        user = matches[0]
        if not user.is_active:
            raise SsoRefused("sso_inactive", "This account is disabled. Ask an administrator.")
    elif settings.OIDC_CREATE_USERS:
        user = User(
            username=_new_username(claims, email),
            email=email,
            first_name=str(claims.get("given_name") or "")[:150],
            last_name=str(claims.get("family_name") or "")[:150],
        )
        user.set_unusable_password()
        user.save()
        created = True
    else:
        raise SsoRefused("sso_no_account", "There is no account for you here yet. Ask an administrator.")
    try:
        with transaction.atomic():
            ExternalIdentity.objects.create(
                user=user, issuer=issuer, subject=subject, last_login_at=timezone.now()
            )
    except IntegrityError as exc:
        # The same person signing in twice at once: the other request linked them first.
        raise SsoRefused("sso_race", "Sign-in was interrupted. Please try again.") from exc
    return user, created
