"""Encryption of secrets the app must read back (TOTP seeds, Jira API tokens), with keys from the environment.

FIELD_ENCRYPTION_KEY holds one or more Fernet keys, comma-separated. The first encrypts; every key decrypts,
so a key is rotated by putting a new one first, running `manage.py rotate_field_encryption`, then dropping
the old one (docs/security.md). With DEBUG on and no key, a key is derived from SECRET_KEY so a first run
works; that is logged, and refused in production.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class DecryptionError(Exception):
    """The stored value was made with a key that is no longer configured (or was tampered with)."""


def _derived_development_key(secret_key: str) -> bytes:
    digest = hashlib.sha256(f"field-encryption:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest)


@cache
def _fernet(keys: tuple[str, ...], debug: bool, secret_key: str) -> MultiFernet:
    if not keys:
        if not debug:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be set when DEBUG is off: it encrypts TOTP seeds. Make one with "
                '`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.'
            )
        logger.warning(
            "FIELD_ENCRYPTION_KEY is not set: deriving a development key from SECRET_KEY (DEBUG only). "
            "Secrets stored now cannot be read once a real key is configured."
        )
        return MultiFernet([Fernet(_derived_development_key(secret_key))])
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY holds a value that is not a Fernet key (32 url-safe base64-encoded bytes)"
        ) from exc


def fernet() -> MultiFernet:
    # Keyed on the settings so tests that override them get a matching instance.
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS), settings.DEBUG, settings.SECRET_KEY)


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured FIELD_ENCRYPTION_KEY decrypts this value") from exc


def reencrypt(token: str) -> str:
    """The same secret under the first (current) key; what key rotation does to each stored value."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError("no configured FIELD_ENCRYPTION_KEY decrypts this value") from exc


def is_configured() -> bool:
    return bool(settings.FIELD_ENCRYPTION_KEYS)
