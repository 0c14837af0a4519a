"""TOTP (RFC 6238) codes and one-time recovery codes: pure helpers, no database access."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
import qrcode
import qrcode.image.svg

STEP_SECONDS = 30
# One step either side absorbs clock drift between the server and the phone.
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Crockford-like alphabet without look-alikes (0/O, 1/I/L): codes are typed from paper.
_RECOVERY_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
_RECOVERY_LENGTH = 12  # about 59 bits each: enough to make a stored hash useless to an attacker


def new_secret() -> str:
    """A 160-bit base32 seed, as RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The URI as a QR code: an SVG in a data: URI for an <img>, which the CSP allows (img-src data:)."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, border=2)
    svg = image.to_string(encoding="unicode")
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def normalise_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def matching_step(secret: str, code: str, *, after_step: int = 0, now: float | None = None) -> int | None:
    """The time step `code` is valid for, near now and later than `after_step` (so a used code never works
    twice); None if it matches none."""
    code = normalise_code(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    step = current_step(now)
    for candidate in range(step - DRIFT_STEPS, step + DRIFT_STEPS + 1):
        if candidate > after_step and hmac.compare_digest(totp.at(candidate * STEP_SECONDS), code):
            return candidate
    return None


def new_recovery_codes(count: int = RECOVERY_CODE_COUNT) -> list[str]:
    codes = (
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH)) for _ in range(count)
    )
    return [f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes]


def recovery_code_hash(user_id: int, code: str) -> str:
    """Codes are long and random, so a fast hash is safe; the user id keeps equal codes of two users apart."""
    return hashlib.sha256(f"{user_id}:{normalise_code(code)}".encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    code = normalise_code(code)
    return len(code) == _RECOVERY_LENGTH and all(ch in _RECOVERY_ALPHABET for ch in code)
