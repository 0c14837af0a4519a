"""The audit trail: sign-in events recorded, the chain verifier catches an edited row, append-only in code and
(on PostgreSQL) in the database, the audit page and its exports with who-sees-what."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from reviewapp.audit import audit_record
from reviewapp.models import AuditEvent, Team
from reviewapp.services import workload_create
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def sign_in(client, user, password: str = PASSWORD):
    return client.post(reverse("login"), {"username": user.username, "password": password})


@pytest.fixture
def elsewhere_workload(outsider):
    return workload_create(
        team=Team.objects.get(name="Elsewhere"),
        actor=outsider,
        name="Secret radar",
        description="The outsider team's own system.",
        environment="PRODUCTION",
        review_owner="oscar@example.test",
        aws_regions=["eu-west-1"],
    )


# --- Sign-in events ---


def test_sign_in_sign_out_and_failures_are_recorded(client, owner):
    start = AuditEvent.objects.count()
    sign_in(client, owner, "not the password")
    sign_in(client, owner)
    client.post(reverse("logout"))

    recorded = actions()[start:]
    assert recorded == ["auth.login_failed", "auth.login", "auth.logout"]
    login = AuditEvent.objects.get(action="auth.login")
    assert login.actor == owner and login.ip == "127.0.0.1" and login.request_id


def test_ending_other_sessions_and_changing_the_password_are_recorded(client, owner):
    other = client.__class__()
    sign_in(other, owner)
    sign_in(client, owner)

    client.post(reverse("sessions_revoke"))

    event = AuditEvent.objects.filter(action="auth.sessions_revoked").get()
    assert event.after == {"sessions_ended": 1}
    assert other.get(reverse("account")).status_code == 302  # that session is gone
    assert client.get(reverse("account")).status_code == 200

    sign_in(other, owner)
    new_password = "a much longer passphrase 42"
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new_password, "new_password2": new_password},
    )
    assert response.status_code == 302
    assert client.get(reverse("account")).status_code == 200  # this session survives the change
    assert other.get(reverse("account")).status_code == 302
    change = AuditEvent.objects.filter(action="auth.password_change").get()
    assert change.after == {"other_sessions_ended": 1} and new_password not in str(change.after)


def test_the_account_page_lists_sessions_and_the_current_one(client, owner):
    sign_in(client, owner)
    page = client.get(reverse("account"), HTTP_USER_AGENT="TestBrowser/1.0").content.decode()
    assert "this session" in page and "Sign out of other sessions" in page


def test_a_weak_new_password_is_refused_with_a_reason(client, owner):
    sign_in(client, owner)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert not AuditEvent.objects.filter(action="auth.password_change").exists()


# --- The chain ---


def test_the_verifier_passes_on_an_intact_trail(workload):
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out)
    assert "Audit trail intact" in out.getvalue()


def test_the_verifier_detects_an_edited_row(workload):
    event = AuditEvent.objects.filter(action="workload.create").get()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    sql = f"UPDATE {table} SET object_repr = %s WHERE id = %s"  # noqa: S608 (table name from the model)

    if connection.vendor == "postgresql":
        # The database itself refuses: the trigger from migration 0004 rejects every UPDATE.
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cur,
        ):
            cur.execute(sql, ["Tampered", event.pk])
        return

    with connection.cursor() as cursor:
        cursor.execute(sql, ["Tampered", event.pk])
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("verify_audit_chain", stderr=err)
    assert f"entry {event.pk}: content does not match its hash" in err.getvalue()


def test_the_database_refuses_deleting_audit_rows_on_postgresql(workload, postgres):
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608
    assert AuditEvent.objects.exists()


def test_the_verifier_detects_a_removed_row_on_sqlite(workload, owner):
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL refuses the DELETE (see the test above)")
    audit_record(actor=owner, action="note.test", object_repr="later entry")
    first = AuditEvent.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [first.pk])  # noqa: S608
    with pytest.raises(CommandError):
        call_command("verify_audit_chain", stderr=io.StringIO())


def test_audit_entries_cannot_be_changed_or_deleted_through_the_orm(workload):
    event = AuditEvent.objects.first()
    event.object_repr = "Tampered"
    with pytest.raises(ValueError, match="append-only"):
        event.save()
    with pytest.raises(ValueError, match="append-only"):
        event.delete()


def test_deleting_a_user_keeps_the_chain_intact(client):
    person = make_user("short_lived")
    audit_record(actor=person, action="note.test", object_repr="something they did")
    person.delete()
    event = AuditEvent.objects.get(action="note.test")
    assert event.actor_id is not None and event.actor_label == "short_lived"
    call_command("verify_audit_chain", stdout=io.StringIO())


# --- The audit page: who sees what ---


def test_a_security_lead_sees_every_entry(client, lead, workload, elsewhere_workload):
    client.force_login(lead)
    page = client.get(reverse("audit_list")).content.decode()
    assert "Checkout API" in page and "Secret radar" in page


def test_a_team_owner_sees_only_their_teams_workloads(client, owner, workload, elsewhere_workload):
    client.force_login(owner)
    response = client.get(reverse("audit_list"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Checkout API" in page and "Secret radar" not in page
    # Asking for the other team's workload by id shows nothing either.
    page = client.get(reverse("audit_list"), {"workload": str(elsewhere_workload.pk)}).content.decode()
    assert "Secret radar" not in page and "No entries" in page


def test_an_outsider_sees_nothing_of_another_team(client, outsider, workload):
    client.force_login(outsider)
    page = client.get(reverse("audit_list")).content.decode()
    assert "Checkout API" not in page
    rows = json.loads(b"".join(client.get(reverse("audit_export"), {"format": "json"}).streaming_content))
    assert all(row["workload_id"] != str(workload.pk) for row in rows)


def test_people_who_own_no_team_are_refused(client, viewer, workload):
    client.force_login(viewer)
    assert client.get(reverse("audit_list")).status_code == 403
    assert client.get(reverse("audit_export")).status_code == 403


def test_it_filters_by_actor_action_object_type_workload_and_dates(client, lead, owner, workload, review):
    client.force_login(lead)
    url = reverse("audit_list")

    def rows(**params) -> int:
        return client.get(url, params).context["page"].paginator.count

    total = rows()
    assert rows(actor=owner.username) == AuditEvent.objects.filter(actor_label=owner.username).count()
    assert rows(action="workload") == AuditEvent.objects.filter(action__startswith="workload.").count() > 0
    assert rows(action="workload.create") == 1
    assert rows(object_type="workload") == AuditEvent.objects.filter(object_type="Workload").count()
    assert 0 < rows(workload=str(workload.pk)) < total
    today = timezone.localdate()
    assert rows(since=str(today), until=str(today)) == total
    assert rows(until=str(today - timedelta(days=1))) == 0


def test_bad_filters_get_a_clear_error(client, lead):
    client.force_login(lead)
    response = client.get(reverse("audit_list"), {"since": "2026-05-02", "until": "2026-05-01"})
    assert response.status_code == 400
    assert "The end date is before the start date." in response.content.decode()
    assert client.get(reverse("audit_list"), {"workload": "not-a-uuid"}).status_code == 400
    assert client.get(reverse("audit_export"), {"format": "xml"}).status_code == 400


def test_the_page_costs_the_same_queries_for_more_entries(
    client, lead, owner, workload, django_assert_num_queries
):
    client.force_login(lead)
    client.get(reverse("audit_list"))
    # Session, user, count, the page of entries, workload names, the workload filter's choices.
    with django_assert_num_queries(6):
        client.get(reverse("audit_list"))
    for index in range(70):
        audit_record(actor=owner, action="note.test", object_repr=f"entry {index}", workload_id=workload.pk)
    with django_assert_num_queries(6):
        response = client.get(reverse("audit_list"), {"page": "2"})
    assert response.status_code == 200 and response.context["page"].number == 2


# --- Exports ---


def test_the_csv_export_cannot_start_a_formula(client, lead, owner, workload):
    audit_record(actor=owner, action="note.test", object_repr='=HYPERLINK("http://evil.example","x")')
    audit_record(actor=owner, action="note.test", object_repr="+cmd|' /C calc'!A0")
    client.force_login(lead)

    response = client.get(reverse("audit_export"), {"format": "csv", "action": "note.test"})

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="audit-')
    table = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    objects = sorted(row["object"] for row in table)
    assert objects == ["'+cmd|' /C calc'!A0", '\'=HYPERLINK("http://evil.example","x")']
    assert all(row["hash"] and row["prev_hash"] for row in table)


def test_the_json_export_has_every_field_and_respects_filters(client, owner, workload, elsewhere_workload):
    client.force_login(owner)

    response = client.get(reverse("audit_export"), {"format": "json", "action": "workload"})

    assert response["Content-Type"] == "application/json"
    rows = json.loads(b"".join(response.streaming_content))
    assert [row["object"] for row in rows] == ["Checkout API"]
    assert rows[0]["after"]["name"] == "Checkout API" and rows[0]["workload_id"] == str(workload.pk)
    assert set(rows[0]) >= {"id", "at", "actor", "action", "before", "after", "ip", "request_id", "hash"}


def test_an_export_is_itself_recorded(client, lead):
    client.force_login(lead)
    b"".join(client.get(reverse("audit_export"), {"format": "csv", "action": "auth"}).streaming_content)
    event = AuditEvent.objects.filter(action="audit.export").get()
    assert event.actor == lead and event.after == {"format": "csv", "scope": "all", "action": "auth"}
