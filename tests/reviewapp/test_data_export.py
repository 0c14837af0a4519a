"""manage.py export_data / import_data: a full round trip into an empty database, and every refusal."""

from __future__ import annotations

import io
import json
import stat
from datetime import date

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from questionnaire.models import Question
from reviewapp.audit import audit_chain_problems, audit_record
from reviewapp.models import Answer, AuditEvent, ImprovementItem, User
from reviewapp.services import answer_record, item_update, milestone_create
from reviewapp.services.data_transfer import (
    FORMAT_VERSION,
    NOT_EXPORTED,
    TABLES,
    USER_FIELDS,
    data_export_json,
    data_import,
)
from reviewapp.services.profiles import profile_update
from reviewapp.services.templates import template_apply, template_create, template_update
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def populated(review, owner, contributor):
    """A review with answers by two people, a tracked improvement item and a milestone."""
    first, second = Question.objects.filter(lens_version=review.lens_version).order_by("order")[:2]
    codes = list(first.best_practices.order_by("order").values_list("code", flat=True))
    answer_record(
        review=review,
        question=first,
        actor=owner,
        base_version=1,
        selected=codes[:1],
        notes="SSO for everyone ✓",
    )
    answer_record(
        review=review,
        question=second,
        actor=contributor,
        base_version=1,
        is_applicable=False,
        reason="OUT_OF_SCOPE",
    )
    item = (
        ImprovementItem.objects.filter(workload=review.workload, is_active=True).order_by("bp_code").first()
    )
    item_update(
        item=item,
        actor=owner,
        status="IN_PROGRESS",
        owner=contributor,
        due_date=date(2027, 1, 31),
        ticket_url="https://tickets.example.test/SEC-1",
    )
    milestone_create(review=review, actor=owner, name="Before launch")
    # Templates and profiles travel too: a template with two versions, the one the review took, a profile.
    template = template_create(
        actor=owner, lens=review.lens, team=review.workload.team, name="Landing zone", entries={"SEC3": {}}
    )
    template_apply(review=review, template=template, actor=owner)
    template_update(template=template, actor=owner, name="Landing zone", entries={"SEC3": {"notes": "v2"}})
    profile_update(workload=review.workload, actor=owner, answers={"internet_facing": True})
    return review


def empty_the_domain_tables() -> None:
    """What a new database looks like: the lens catalogue loaded, no review data. (The audit trail refuses
    DELETE, by design; TRUNCATE is how an operator starts over, and it restarts the id sequences too.)"""
    names = [connection.ops.quote_name(table.model._meta.db_table) for table in TABLES]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Run the deferred foreign-key checks of this test's inserts first: TRUNCATE refuses pending ones.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            for name in reversed(names):
                cursor.execute(f"DELETE FROM {name}")  # noqa: S608 - table names from our own models


def export_document() -> dict:
    return json.loads(data_export_json())


def test_an_export_imports_into_an_empty_database_unchanged(populated):
    before = export_document()
    assert before["format_version"] == FORMAT_VERSION
    assert len(before["answers"]) == 11 and len(before["milestones"]) == 1
    empty_the_domain_tables()
    assert not User.objects.exists()

    counts = data_import(document=json.loads(json.dumps(before)))

    assert counts == {table.key: len(before[table.key]) for table in TABLES}
    after = export_document()
    for table in TABLES:
        if table.key != "audit_events":
            assert after[table.key] == before[table.key], table.key
    # The trail comes back entry for entry, followed by the import and the second export.
    trail = before["audit_events"]
    assert after["audit_events"][: len(trail)] == trail
    assert [event["action"] for event in after["audit_events"][len(trail) :]] == [
        "data.import",
        "data.export",
    ]
    assert audit_chain_problems() == []
    # People come back, but not their passwords.
    assert not User.objects.get(username="olivia_owner").has_usable_password()
    # New rows get fresh ids after the imported ones (PostgreSQL sequences were moved past them).
    newcomer = make_user("nina_newcomer")
    assert newcomer.pk > max(user["id"] for user in before["users"])
    assert audit_record(actor=newcomer, action="test.after_import").pk > trail[-1]["id"]


def test_the_export_holds_no_password_hashes(populated, owner):
    text = data_export_json()
    document = json.loads(text)
    assert all(set(user) == set(USER_FIELDS) for user in document["users"])
    assert owner.password not in text
    assert "argon2" not in text and "pbkdf2" not in text


def test_the_export_is_recorded_in_the_audit_trail(populated):
    export_document()
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.actor_label) == ("data.export", "manage.py export_data")


def test_export_data_writes_a_file_only_its_owner_can_read(populated, tmp_path):
    target = tmp_path / "export.json"
    out = io.StringIO()
    call_command("export_data", "--output", str(target), stdout=out)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert json.loads(target.read_text())["format"] == "wa-security-reviews-data"
    assert f"Exported to {target}" in out.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["export.json"]


def test_import_data_loads_the_file_and_verifies_the_trail(populated, tmp_path):
    target = tmp_path / "export.json"
    call_command("export_data", "-o", str(target), stdout=io.StringIO())
    empty_the_domain_tables()
    out = io.StringIO()
    call_command("import_data", str(target), stdout=out, stderr=io.StringIO())
    assert "answers: 11" in out.getvalue()
    assert "Audit trail verified." in out.getvalue()
    assert "changepassword" in out.getvalue()
    assert Answer.objects.filter(review=populated).count() == 11


def test_import_refuses_a_database_that_already_holds_data(populated, tmp_path):
    target = tmp_path / "export.json"
    call_command("export_data", "-o", str(target), stdout=io.StringIO())
    users = User.objects.count()
    with pytest.raises(CommandError, match="already holds review data"):
        call_command("import_data", str(target), stdout=io.StringIO())
    assert User.objects.count() == users


def test_force_never_joins_two_audit_trails(populated, tmp_path):
    target = tmp_path / "export.json"
    call_command("export_data", "-o", str(target), stdout=io.StringIO())
    with pytest.raises(CommandError, match="already has an audit trail"):
        call_command("import_data", str(target), "--force", stdout=io.StringIO())


def test_a_bad_row_anywhere_imports_nothing(populated):
    document = export_document()
    document["audit_events"][-1]["at"] = "yesterday-ish"
    empty_the_domain_tables()
    with pytest.raises(Exception, match=r"audit_events\[\d+\]\.at"):
        data_import(document=document)
    assert not User.objects.exists() and not Answer.objects.exists()


def test_rows_from_another_version_of_the_app_are_named(populated):
    document = export_document()
    document["workloads"][0]["colour"] = "blue"
    empty_the_domain_tables()
    with pytest.raises(
        Exception, match=r"workloads\[0\] does not match this version of the app: unknown fields"
    ):
        data_import(document=document)


def test_a_missing_lens_version_is_named_with_the_fix(populated):
    document = export_document()
    document["reviews"][0]["lens_version_id"]["content_sha256"] = "f" * 64
    empty_the_domain_tables()
    with pytest.raises(Exception, match="load_lens or import_lens first") as error:
        data_import(document=document)
    assert "ffffffffffff" in str(error.value)
    assert not User.objects.exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"format": "something-else"}, "not a data export of this app"),
        ({"format_version": 99}, "format version 99"),
        ({"users": "nobody"}, "no list of users"),
    ],
)
def test_other_files_are_refused(tmp_path, change, message):
    target = tmp_path / "export.json"
    target.write_text(json.dumps({**export_document(), **change}))
    empty_the_domain_tables()
    with pytest.raises(CommandError, match=message):
        call_command("import_data", str(target), stdout=io.StringIO())


def test_unreadable_files_get_a_clear_error(tmp_path):
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(CommandError, match="is not a JSON file"):
        call_command("import_data", str(tmp_path / "broken.json"))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_data", str(tmp_path / "absent.json"))


def test_every_model_is_exported_or_deliberately_left_out():
    exported = {table.model.__name__ for table in TABLES}
    models = {model.__name__ for model in apps.get_app_config("reviewapp").get_models()}
    assert models - exported - set(NOT_EXPORTED) == set(), "add the model to TABLES or NOT_EXPORTED"
    assert not exported & set(NOT_EXPORTED)
