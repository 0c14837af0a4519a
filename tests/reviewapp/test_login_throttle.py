"""Sign-in throttling: lockout after repeated failures by username and by IP address, a message that does not
reveal whether the account exists, attempts kept in the database, and every step on the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from django.urls import reverse

from reviewapp.identity import totp
from reviewapp.models import AuditEvent, LoginAttempt
from reviewapp.services import mfa_enrol
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


def attempt(client, username: str, password: str, ip: str = "192.0.2.10"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def is_signed_in(client) -> bool:
    return client.get(reverse("account")).status_code == 200


def age_attempts(minutes: int) -> None:
    """Move every stored attempt into the past, as if the clock had run on."""
    for row in LoginAttempt.objects.all():
        LoginAttempt.objects.filter(pk=row.pk).update(at=row.at - timedelta(minutes=minutes))


def test_it_locks_a_username_after_five_failures(client, owner):
    for _ in range(4):
        response = attempt(client, owner.username, "wrong password")
        assert response.status_code == 400 and LOCKED not in response.content.decode()

    fifth = attempt(client, owner.username, "wrong password")

    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()
    # Even the right password is refused now, without being checked.
    response = attempt(client, owner.username, PASSWORD)
    assert response.status_code == 429 and not is_signed_in(client)


def test_the_message_is_the_same_whether_or_not_the_account_exists(client, owner):
    for _ in range(5):
        real = attempt(client, owner.username, "wrong password", ip="192.0.2.1")
        ghost = attempt(client, "nobody-by-this-name", "wrong password", ip="192.0.2.2")
    assert real.status_code == ghost.status_code == 429
    real_message = real.content.decode().split('role="alert">')[1].split("<")[0]
    ghost_message = ghost.content.decode().split('role="alert">')[1].split("<")[0]
    assert real_message == ghost_message
    assert "15 minutes" in real_message and owner.username not in real_message


def test_the_lock_ends_after_the_lockout_period(client, owner):
    for _ in range(5):
        attempt(client, owner.username, "wrong password")
    assert attempt(client, owner.username, PASSWORD).status_code == 429

    age_attempts(16)

    assert attempt(client, owner.username, PASSWORD).status_code == 302
    assert is_signed_in(client)


def test_failures_spread_over_more_than_the_window_do_not_lock(client, owner):
    for _ in range(4):
        attempt(client, owner.username, "wrong password")
    age_attempts(16)
    assert attempt(client, owner.username, "wrong password").status_code == 400
    assert attempt(client, owner.username, PASSWORD).status_code == 302


def test_a_successful_sign_in_clears_the_count_for_the_username(client, owner):
    for _ in range(4):
        attempt(client, owner.username, "wrong password")
    attempt(client, owner.username, PASSWORD)
    client.post(reverse("logout"))
    for _ in range(4):
        assert attempt(client, owner.username, "wrong password").status_code == 400
    assert attempt(client, owner.username, PASSWORD).status_code == 302


def test_it_locks_an_address_after_twenty_failures_across_usernames(client, owner):
    for index in range(19):
        assert attempt(client, f"guess{index}", "wrong password", ip="198.51.100.7").status_code == 400
    assert attempt(client, "guess19", "wrong password", ip="198.51.100.7").status_code == 429

    # The owner's correct password from that address is refused; from elsewhere it works.
    assert attempt(client, owner.username, PASSWORD, ip="198.51.100.7").status_code == 429
    assert attempt(client, owner.username, PASSWORD, ip="203.0.113.5").status_code == 302


def test_wrong_second_factor_codes_count_towards_the_lock(client, owner):
    secret = totp.new_secret()
    mfa_enrol(user=owner, secret=secret, code=pyotp.TOTP(secret).now())
    valid = {
        pyotp.TOTP(secret).at(step * 30) for step in range(totp.current_step() - 2, totp.current_step() + 3)
    }
    wrong = next(code for code in ("111111", "222222", "333333") if code not in valid)
    attempt(client, owner.username, PASSWORD)
    for _ in range(4):
        assert client.post(reverse("login_mfa"), {"code": wrong}, REMOTE_ADDR="192.0.2.10").status_code == 400

    response = client.post(reverse("login_mfa"), {"code": wrong}, REMOTE_ADDR="192.0.2.10")

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert LOCKED in client.get(reverse("login")).content.decode()
    assert attempt(client, owner.username, PASSWORD).status_code == 429


def test_every_step_is_on_the_audit_trail(client, owner):
    for _ in range(5):
        attempt(client, owner.username, "wrong password")
    attempt(client, owner.username, PASSWORD)

    failed = AuditEvent.objects.filter(action="auth.login_failed")
    assert failed.filter(after__reason="bad_credentials").count() == 5
    assert failed.filter(after__reason="locked").count() == 1
    assert all(event.actor_label == owner.username and event.ip == "192.0.2.10" for event in failed)
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.after["locked_by"] == "user"
    # No password, right or wrong, reaches the trail.
    for event in AuditEvent.objects.all():
        assert PASSWORD not in str(event.after) and "wrong password" not in str(event.after)


def test_attempts_are_stored_by_lower_cased_username_and_address(client, owner):
    attempt(client, "Olivia_Owner ", "wrong password", ip="192.0.2.44")
    stored = LoginAttempt.objects.get()
    assert (stored.username, stored.ip, stored.succeeded) == ("olivia_owner", "192.0.2.44", False)


def test_old_attempts_are_pruned_by_the_daily_command(client, owner):
    from io import StringIO

    from django.core.management import call_command

    attempt(client, owner.username, "wrong password")
    age_attempts(31 * 24 * 60)
    attempt(client, owner.username, "wrong password")
    out = StringIO()
    call_command("prune_login_attempts", stdout=out)
    assert "Deleted 1 sign-in attempt" in out.getvalue()
    assert LoginAttempt.objects.count() == 1
