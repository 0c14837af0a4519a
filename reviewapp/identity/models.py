"""Models of the sign-in area. Imported by reviewapp/models.py, so their app is `reviewapp`."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class MfaDevice(models.Model):
    """A user's TOTP authenticator. The seed is stored encrypted (see identity/crypto.py), never in clear."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mfa_device")
    encrypted_secret = models.TextField()
    # The last 30-second time step a code was accepted for: a code is good once, never replayed.
    last_used_step = models.BigIntegerField(default=0)
    confirmed_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "reviewapp"

    def __str__(self) -> str:
        return f"TOTP authenticator of user {self.user_id}"


class RecoveryCode(models.Model):
    """A one-time code for when the authenticator is lost. Only a hash is kept; the code is shown once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "reviewapp"
        constraints = [models.UniqueConstraint(fields=["user", "code_hash"], name="recovery_code_unique")]

    def __str__(self) -> str:
        return f"recovery code {self.pk} of user {self.user_id}"


class LoginAttempt(models.Model):
    """One password or second-factor attempt. Kept in the database so throttling holds across processes."""

    at = models.DateTimeField()
    # As typed (lower-cased), whether or not such a user exists: the lockout must not reveal that.
    username = models.CharField(max_length=150)
    ip = models.GenericIPAddressField(null=True, blank=True)
    succeeded = models.BooleanField()

    class Meta:
        app_label = "reviewapp"
        indexes = [
            models.Index(fields=["username", "at"], name="loginattempt_user_at"),
            models.Index(fields=["ip", "at"], name="loginattempt_ip_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {'ok' if self.succeeded else 'failed'}"


class UserSession(models.Model):
    """A signed-in session, recorded at sign-in so a user can see their sessions and end the others."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="tracked_sessions"
    )
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField()
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=200, blank=True)

    class Meta:
        app_label = "reviewapp"
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=~Q(session_key=""), name="usersession_key_set")]

    def __str__(self) -> str:
        return f"session of user {self.user_id} since {self.created_at:%Y-%m-%d %H:%M}"


class ExternalIdentity(models.Model):
    """A user's account at the single sign-on provider: matched by (issuer, subject), never again by e-mail,
    so a reassigned e-mail address at the provider cannot take over someone else's account here."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    last_login_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "reviewapp"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="external_identity_unique")]

    def __str__(self) -> str:
        return f"{self.issuer} {self.subject}"
