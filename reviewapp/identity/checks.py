"""Deployment checks of the sign-in area, run by `manage.py check --deploy`."""

from __future__ import annotations

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def field_encryption_key_check(app_configs, **kwargs) -> list[Error]:
    if settings.FIELD_ENCRYPTION_KEYS:
        bad = []
        for position, key in enumerate(settings.FIELD_ENCRYPTION_KEYS, start=1):
            try:
                Fernet(key.encode())
            except ValueError:
                bad.append(position)
        if not bad:
            return []
        return [
            Error(
                f"FIELD_ENCRYPTION_KEY: key number {', '.join(map(str, bad))} is not a Fernet key.",
                hint="A Fernet key is 32 random bytes in url-safe base64 (44 characters).",
                id="reviewapp.E102",
            )
        ]
    return [
        Error(
            "FIELD_ENCRYPTION_KEY is not set.",
            hint="It encrypts the TOTP seeds of two-step sign-in. Generate one with "
            '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.',
            id="reviewapp.E101",
        )
    ]
