"""Signed checkpoints of the audit chain's head: its length and newest fingerprint, signed with the audit key.

`audit_checkpoint_write` runs on a schedule (beat). Each checkpoint goes to the database, to the log as one JSON
line, and, when configured, to a file (one JSON line appended per checkpoint) and to an S3-compatible bucket (one
object per checkpoint, named so that the newest sorts last). `latest_checkpoints` reads the newest of each back
for `verify_audit_chain`: a copy kept outside the database still stands when someone removes the newest entries
together with the checkpoint rows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .keys import fingerprint, fingerprint_matches, key_known
from .models import AuditCheckpoint

logger = logging.getLogger("reviewapp.audit.checkpoint")


@dataclass(frozen=True)
class Checkpoint:
    at: str
    entry_count: int
    head_id: int
    head_hash: str
    key_id: str
    signature: str
    source: str = "database"

    def message(self) -> bytes:
        return f"audit-checkpoint/1|{self.at}|{self.entry_count}|{self.head_id}|{self.head_hash}".encode()

    def record(self) -> dict[str, Any]:
        body = asdict(self)
        body.pop("source")
        return body


def _from_record(record: Any, source: str) -> Checkpoint:
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    return Checkpoint(
        at=str(record["at"]),
        entry_count=int(record["entry_count"]),
        head_id=int(record["head_id"]),
        head_hash=str(record["head_hash"]),
        key_id=str(record["key_id"]),
        signature=str(record["signature"]),
        source=source,
    )


def _s3_client() -> Any:
    endpoint = settings.AUDIT_CHECKPOINT_S3_ENDPOINT_URL or settings.AWS_ENDPOINT_URL or None
    return boto3.client("s3", endpoint_url=endpoint)


def _s3_key(checkpoint: Checkpoint) -> str:
    # Zero-padded count first: the listing's last key is the newest checkpoint.
    return f"{settings.AUDIT_CHECKPOINT_S3_PREFIX}{checkpoint.entry_count:015d}-{checkpoint.head_id}.json"


def audit_checkpoint_write() -> Checkpoint:
    """Sign the chain's current head and store it everywhere configured."""
    from ..audit import GENESIS, lock_chain
    from ..models import AuditEvent

    with transaction.atomic():
        lock_chain()  # no entry may be appended between the count and the head
        count = AuditEvent.objects.count()
        head = AuditEvent.objects.order_by("-id").only("hash").first()
        unsigned = Checkpoint(
            at=timezone.now().isoformat(),
            entry_count=count,
            head_id=head.pk if head else 0,
            head_hash=head.hash if head else GENESIS,
            key_id="",
            signature="",
        )
        key_id, signature = fingerprint(unsigned.message())
        checkpoint = Checkpoint(**{**unsigned.record(), "key_id": key_id, "signature": signature})
        AuditCheckpoint(**checkpoint.record()).save()
    logger.info("audit checkpoint", extra={"audit_checkpoint": checkpoint.record()})
    line = json.dumps(checkpoint.record(), sort_keys=True)
    if settings.AUDIT_CHECKPOINT_FILE:
        with Path(settings.AUDIT_CHECKPOINT_FILE).open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
    if settings.AUDIT_CHECKPOINT_S3_BUCKET:
        _s3_client().put_object(
            Bucket=settings.AUDIT_CHECKPOINT_S3_BUCKET,
            Key=_s3_key(checkpoint),
            Body=line.encode(),
            ContentType="application/json",
        )
    return checkpoint


def _database_latest() -> list[Checkpoint]:
    row = AuditCheckpoint.objects.order_by("-entry_count", "-id").first()
    if row is None:
        return []
    return [_from_record({**row.__dict__, "at": row.at.isoformat()}, "database")]


def _file_latest() -> list[Checkpoint]:
    path = Path(settings.AUDIT_CHECKPOINT_FILE)
    if not path.exists():
        return []
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    records = [_from_record(json.loads(line), "file") for line in lines]
    return [max(records, key=lambda checkpoint: checkpoint.entry_count)] if records else []


def _s3_latest() -> list[Checkpoint]:
    client = _s3_client()
    newest = ""
    pages = client.get_paginator("list_objects_v2").paginate(
        Bucket=settings.AUDIT_CHECKPOINT_S3_BUCKET, Prefix=settings.AUDIT_CHECKPOINT_S3_PREFIX
    )
    for page in pages:
        for item in page.get("Contents", []):
            newest = max(newest, item["Key"])
    if not newest:
        return []
    body = client.get_object(Bucket=settings.AUDIT_CHECKPOINT_S3_BUCKET, Key=newest)["Body"].read()
    return [_from_record(json.loads(body), "S3")]


def latest_checkpoints() -> tuple[list[Checkpoint], list[str]]:
    """The newest checkpoint of each place they are kept, and the problems found reading them (an unreadable
    store or a bad signature is a problem: a forged checkpoint must not vouch for a forged chain)."""
    readers = [("database", _database_latest)]
    if settings.AUDIT_CHECKPOINT_FILE:
        readers.append(("file", _file_latest))
    if settings.AUDIT_CHECKPOINT_S3_BUCKET:
        readers.append(("S3", _s3_latest))
    checkpoints: list[Checkpoint] = []
    problems: list[str] = []
    for source, read in readers:
        try:
            found = read()
        except Exception as exc:  # any failure to read a store means the chain cannot be vouched for
            problems.append(f"the {source} checkpoints cannot be read: {type(exc).__name__}: {exc}")
            continue
        for checkpoint in found:
            if not key_known(checkpoint.key_id):
                problems.append(
                    f"the {source} checkpoint of {checkpoint.at} is signed with key {checkpoint.key_id!r}, "
                    "which AUDIT_HMAC_KEY does not hold"
                )
            elif not fingerprint_matches(checkpoint.message(), checkpoint.key_id, checkpoint.signature):
                problems.append(
                    f"the {source} checkpoint of {checkpoint.at} has a bad signature (it was forged)"
                )
            else:
                checkpoints.append(checkpoint)
    return checkpoints, problems
