"""Two-step sign-in: enrolment, the code step after the password, recovery codes, enforcement, admin reset,
and seeds encrypted at rest."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse

from reviewapp.identity import crypto, totp
from reviewapp.models import AuditEvent, MfaDevice, RecoveryCode
from reviewapp.services import mfa_enrol
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def enrol(user) -> tuple[str, list[str]]:
    """Give `user` an authenticator the way the enrolment page does; returns the seed and recovery codes."""
    secret = totp.new_secret()
    codes = mfa_enrol(user=user, secret=secret, code=pyotp.TOTP(secret).now())
    return secret, codes


def next_code(user, secret: str) -> str:
    """A code the server has not accepted yet: the step after the last used one (within the drift window)."""
    step = MfaDevice.objects.get(user=user).last_used_step + 1
    return pyotp.TOTP(secret).at(step * totp.STEP_SECONDS)


def password_step(client, user, next_url: str = ""):
    data = {"username": user.username, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("login"), data)


def is_signed_in(client) -> bool:
    return client.get(reverse("account")).status_code == 200


def test_it_shows_a_qr_code_and_the_key_on_the_enrolment_page(client, owner):
    client.force_login(owner)
    response = client.get(reverse("mfa_enrol"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    secret = crypto.decrypt(client.session["mfa_enrol_seed"])
    assert secret[:4] in html
    # The seed waits in the session encrypted, never in clear.
    assert secret not in client.session["mfa_enrol_seed"]


def test_it_keeps_the_same_seed_when_the_enrolment_page_is_reloaded(client, owner):
    client.force_login(owner)
    client.get(reverse("mfa_enrol"))
    first = crypto.decrypt(client.session["mfa_enrol_seed"])
    client.get(reverse("mfa_enrol"))
    assert crypto.decrypt(client.session["mfa_enrol_seed"]) == first


def test_it_enrols_with_a_code_from_the_app_and_shows_ten_recovery_codes_once(client, owner):
    client.force_login(owner)
    client.get(reverse("mfa_enrol"))
    secret = crypto.decrypt(client.session["mfa_enrol_seed"])

    response = client.post(reverse("mfa_enrol"), {"code": pyotp.TOTP(secret).now()})

    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", response.content.decode())
    assert len(codes) == 10 and len(set(codes)) == 10
    device = MfaDevice.objects.get(user=owner)
    assert secret not in device.encrypted_secret and crypto.decrypt(device.encrypted_secret) == secret
    stored = set(RecoveryCode.objects.filter(user=owner).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert "mfa_enrol_seed" not in client.session
    event = AuditEvent.objects.filter(action="auth.mfa_enrol").get()
    assert event.actor == owner and secret not in str(event.after)
    # Afterwards the page shows the status, never the codes again.
    page = client.get(reverse("mfa_enrol")).content.decode()
    assert "Two-step sign-in is on" in page and codes[0] not in page


def test_it_refuses_a_wrong_code_at_enrolment(client, owner):
    client.force_login(owner)
    client.get(reverse("mfa_enrol"))
    secret = crypto.decrypt(client.session["mfa_enrol_seed"])
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"

    response = client.post(reverse("mfa_enrol"), {"code": wrong})

    assert response.status_code == 400
    assert "That code does not match" in response.content.decode()
    assert not MfaDevice.objects.filter(user=owner).exists()
    # Same seed still pending, so the user can simply try the next code.
    assert crypto.decrypt(client.session["mfa_enrol_seed"]) == secret


def test_it_asks_for_the_code_after_a_correct_password_and_signs_in_only_then(client, owner, workload):
    secret, _ = enrol(owner)

    response = password_step(client, owner, next_url=reverse("workload_detail", args=[workload.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("login_mfa")
    assert not is_signed_in(client)
    assert client.get(reverse("login_mfa")).status_code == 200

    response = client.post(reverse("login_mfa"), {"code": next_code(owner, secret)})

    assert response.status_code == 302
    assert response["Location"] == reverse("workload_detail", args=[workload.pk])
    assert is_signed_in(client)
    login = AuditEvent.objects.filter(action="auth.login").get()
    assert login.actor == owner and login.after == {"method": "password", "second_factor": "totp"}


def test_it_refuses_a_wrong_code_and_keeps_the_user_signed_out(client, owner):
    secret, _ = enrol(owner)
    password_step(client, owner)
    wrong = "123456" if next_code(owner, secret) != "123456" else "654321"

    response = client.post(reverse("login_mfa"), {"code": wrong})

    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    assert not is_signed_in(client)
    assert AuditEvent.objects.filter(action="auth.mfa_failed", actor=owner).count() == 1
    assert not AuditEvent.objects.filter(action="auth.login").exists()


def test_a_code_works_only_once(client, owner):
    secret, _ = enrol(owner)
    code = next_code(owner, secret)
    password_step(client, owner)
    client.post(reverse("login_mfa"), {"code": code})
    assert is_signed_in(client)
    client.post(reverse("logout"))

    password_step(client, owner)
    response = client.post(reverse("login_mfa"), {"code": code})

    assert response.status_code == 400
    assert not is_signed_in(client)


def test_a_recovery_code_signs_in_once(client, owner):
    _, codes = enrol(owner)
    password_step(client, owner)

    response = client.post(reverse("login_mfa"), {"code": codes[3].upper()})

    assert response.status_code == 302 and is_signed_in(client)
    login = AuditEvent.objects.filter(action="auth.login").get()
    assert login.after["second_factor"] == "recovery_code" and login.after["recovery_codes_left"] == 9
    client.post(reverse("logout"))
    password_step(client, owner)
    assert client.post(reverse("login_mfa"), {"code": codes[3]}).status_code == 400
    assert not is_signed_in(client)


def test_the_code_step_expires(client, owner):
    secret, _ = enrol(owner)
    password_step(client, owner)
    session = client.session
    session["signin_pending"]["at"] = time.time() - 301
    session.save()

    response = client.post(reverse("login_mfa"), {"code": next_code(owner, secret)})

    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert not is_signed_in(client)


def test_new_recovery_codes_replace_the_old_ones(client, owner):
    _, old_codes = enrol(owner)
    client.force_login(owner)

    response = client.post(reverse("mfa_recovery_codes"))

    new_codes = re.findall(r"<code>([a-z0-9-]{14})</code>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert RecoveryCode.objects.filter(user=owner).count() == 10
    assert AuditEvent.objects.filter(action="auth.mfa_recovery_codes", actor=owner).exists()


@pytest.fixture
def enforced(settings):
    settings.MFA_REQUIRED_ROLES = ["ADMIN", "SECURITY_LEAD"]


def test_required_roles_are_sent_to_enrolment_after_signing_in(client, lead, enforced):
    response = password_step(client, lead, next_url=reverse("workload_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_enrol") + "?next=")
    # Signed in, but every other page sends them to enrolment, and the API refuses the session.
    response = client.get(reverse("workload_list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("mfa_enrol"))
    assert client.get(reverse("account")).status_code == 302
    assert client.get("/api/v1/workloads/", HTTP_ACCEPT="application/json").status_code == 403
    assert client.get(reverse("mfa_enrol")).status_code == 200

    secret = crypto.decrypt(client.session["mfa_enrol_seed"])
    client.post(reverse("mfa_enrol"), {"code": pyotp.TOTP(secret).now()})

    assert client.get(reverse("workload_list")).status_code == 200


def test_members_are_not_forced_unless_the_setting_says_so(client, owner, settings, enforced):
    password_step(client, owner)
    assert client.get(reverse("account")).status_code == 200

    settings.MFA_REQUIRED_ROLES = ["MEMBER"]
    assert client.get(reverse("account")).status_code == 302


def test_an_enrolled_lead_signs_in_with_the_code_and_uses_the_app(client, lead, enforced):
    secret, _ = enrol(lead)
    password_step(client, lead)
    client.post(reverse("login_mfa"), {"code": next_code(lead, secret)})
    assert client.get(reverse("workload_list")).status_code == 200


def test_an_admin_resets_a_lost_authenticator(client, admin_user, lead, enforced):
    enrol(admin_user)
    enrol(lead)
    client.force_login(admin_user)
    page = client.get(reverse("mfa_admin"))
    assert page.status_code == 200 and lead.username in page.content.decode()

    response = client.post(reverse("mfa_reset", args=[lead.pk]))

    assert response.status_code == 302
    assert not MfaDevice.objects.filter(user=lead).exists()
    assert not RecoveryCode.objects.filter(user=lead).exists()
    event = AuditEvent.objects.filter(action="auth.mfa_reset").get()
    assert event.actor == admin_user and event.object_id == str(lead.pk)
    # At the next sign-in the lead goes straight to enrolment.
    client.logout()
    response = password_step(client, lead)
    assert response["Location"].startswith(reverse("mfa_enrol"))


def test_only_admins_reset_two_step_sign_in(client, lead, owner):
    enrol(owner)
    client.force_login(lead)
    assert client.get(reverse("mfa_admin")).status_code == 403
    assert client.post(reverse("mfa_reset", args=[owner.pk])).status_code == 403
    assert MfaDevice.objects.filter(user=owner).exists()


def test_the_people_page_costs_the_same_queries_for_more_people(
    client, admin_user, django_assert_num_queries
):
    from tests.conftest import make_user

    client.force_login(admin_user)
    client.get(reverse("mfa_admin"))
    with django_assert_num_queries(4):
        client.get(reverse("mfa_admin"))
    for index in range(15):
        enrol(make_user(f"person{index}"))
    with django_assert_num_queries(4):
        assert client.get(reverse("mfa_admin")).status_code == 200


def test_seeds_need_a_key_in_production_and_use_a_derived_one_in_debug(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    settings.DEBUG = False
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("seed")
    settings.DEBUG = True
    assert crypto.decrypt(crypto.encrypt("seed")) == "seed"


def test_keys_rotate_first_encrypts_all_decrypt(settings, owner):
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    secret, _ = enrol(owner)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]
    assert crypto.decrypt(MfaDevice.objects.get(user=owner).encrypted_secret) == secret

    call_command("rotate_field_encryption", stdout=open("/dev/null", "w"))  # noqa: SIM115

    settings.FIELD_ENCRYPTION_KEYS = [new_key]
    assert crypto.decrypt(MfaDevice.objects.get(user=owner).encrypted_secret) == secret
    settings.FIELD_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(MfaDevice.objects.get(user=owner).encrypted_secret)


def test_the_admin_sites_own_sign_in_form_sends_people_to_ours(client, owner):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/login/?next=/admin/"
    client.force_login(owner)
    assert client.get("/admin/login/").status_code == 403  # signed in, but not staff
