"""The audit chain under concurrency and against an intruder with the database's rights but not the audit key:
concurrent writers never fork it; removing the newest entries or rewriting the newest one is caught through the
signed checkpoints (in the database, a file, or S3) and the keyed fingerprints."""

from __future__ import annotations

import io
import json
import threading

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from moto import mock_aws

from reviewapp.audit import audit_chain_problems, audit_record, entry_hash
from reviewapp.integrity.checkpoints import audit_checkpoint_write
from reviewapp.models import AuditCheckpoint, AuditEvent
from tests.tampering import disable_append_only

AUDIT_TABLES = ("reviewapp_auditevent", "reviewapp_auditcheckpoint")
postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL's triggers/locks"
)


def verify() -> str:
    out = io.StringIO()
    call_command("verify_audit_chain", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def verify_fails() -> str:
    err = io.StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_audit_chain", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def write_entries(count: int) -> None:
    for number in range(count):
        audit_record(actor=None, action="test.entry", object_type="Note", object_id=str(number))


def remove_newest(count: int) -> None:
    newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[:count]
    AuditEvent.objects.filter(id__in=list(newest))._raw_delete(connection.alias)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_200_concurrent_writers_leave_a_chain_that_verifies():
    writers, per_writer = 20, 10  # 200 entries from 20 connections at once (the server allows ~100 in all)
    start = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write() -> None:
        try:
            start.wait()
            for number in range(per_writer):
                audit_record(actor=None, action="auth.login_failed", actor_label=f"user{number}")
        except BaseException as exc:  # reported below, with the thread's own error
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert AuditEvent.objects.count() == 200
    # No fork: every entry has its own predecessor.
    assert AuditEvent.objects.values("prev_hash").distinct().count() == 200
    audit_checkpoint_write()
    assert "200 entries verified" in verify()


@pytest.mark.django_db
def test_removing_the_newest_three_entries_is_caught_by_the_checkpoint():
    write_entries(6)
    audit_checkpoint_write()
    assert audit_chain_problems() == []
    disable_append_only(*AUDIT_TABLES)
    remove_newest(3)

    report = verify_fails()
    assert "the newest were removed" in report and "covers 6 entries" in report


@pytest.mark.django_db
def test_removing_the_newest_entries_and_the_database_checkpoints_is_caught_by_the_file(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_FILE = str(tmp_path / "checkpoints.jsonl")
    write_entries(5)
    written = audit_checkpoint_write()
    assert json.loads((tmp_path / "checkpoints.jsonl").read_text())["entry_count"] == written.entry_count == 5
    disable_append_only(*AUDIT_TABLES)
    remove_newest(3)
    AuditCheckpoint.objects.all()._raw_delete(connection.alias)

    assert "the file checkpoint" in verify_fails()


@pytest.mark.django_db
@mock_aws
def test_removing_the_newest_entries_and_the_database_checkpoints_is_caught_by_s3(settings, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    settings.AWS_ENDPOINT_URL = ""
    settings.AUDIT_CHECKPOINT_S3_BUCKET = "audit-anchor"
    boto3.client("s3", region_name="eu-west-1").create_bucket(
        Bucket="audit-anchor", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    write_entries(4)
    audit_checkpoint_write()
    write_entries(2)
    audit_checkpoint_write()  # the newest object is the one verify reads
    assert verify()
    disable_append_only(*AUDIT_TABLES)
    remove_newest(3)
    AuditCheckpoint.objects.all()._raw_delete(connection.alias)

    assert "the S3 checkpoint" in verify_fails()


@pytest.mark.django_db
def test_editing_and_rehashing_the_newest_entry_is_caught():
    write_entries(3)
    audit_checkpoint_write()
    newest = AuditEvent.objects.order_by("-id").first()
    assert newest is not None
    disable_append_only(*AUDIT_TABLES)
    # Without the key, the intruder can only recompute the old unkeyed SHA-256 over the new content.
    newest.action = "test.harmless"
    AuditEvent.objects.filter(pk=newest.pk).update(action="test.harmless", key_id="", hash=entry_hash(newest))

    report = verify_fails()
    assert f"entry {newest.pk}: unkeyed after keyed entries" in report
    assert "it was rewritten" in report


@pytest.mark.django_db
def test_a_forged_checkpoint_is_refused(settings, tmp_path):
    checkpoints = tmp_path / "checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = str(checkpoints)
    write_entries(2)
    record = audit_checkpoint_write().record()
    checkpoints.write_text(json.dumps({**record, "entry_count": 1}) + "\n")

    assert "has a bad signature" in verify_fails()


@pytest.mark.django_db
def test_old_entries_still_verify_after_the_key_is_rotated(settings):
    settings.AUDIT_HMAC_KEYS = {"k1": "first secret " * 4}
    write_entries(2)
    settings.AUDIT_HMAC_KEYS = {"k2": "second secret " * 4, "k1": "first secret " * 4}
    write_entries(1)
    audit_checkpoint_write()
    assert list(AuditEvent.objects.order_by("id").values_list("key_id", flat=True)) == ["k1", "k1", "k2"]
    assert "3 entries verified" in verify()

    settings.AUDIT_HMAC_KEYS = {"k2": "second secret " * 4}
    assert "which AUDIT_HMAC_KEY does not hold" in verify_fails()


@postgres_only
@pytest.mark.django_db
def test_the_database_refuses_to_change_a_checkpoint():
    audit_checkpoint_write()
    with pytest.raises(Exception, match="append-only"):
        AuditCheckpoint.objects.update(entry_count=99)
