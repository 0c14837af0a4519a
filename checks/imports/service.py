"""Writing an import: the whole file is read and checked first, then stored in one transaction with its audit
record, or nothing is stored at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from reviewapp.audit import audit_record
from reviewapp.models import User, Workload

from ..models import AwsTarget, EvidenceImport, Finding
from . import mapping
from .parsers import FORMATS, ImportFileError, ParsedFile, parse

BATCH_SIZE = 2000


class AccountNotConnected(ImportFileError):
    """The file holds findings of accounts the workload is not connected to."""

    def __init__(self, accounts: list[str], workload: Workload) -> None:
        names = ", ".join(accounts[:5]) + (f" and {len(accounts) - 5} more" if len(accounts) > 5 else "")
        noun = "account" if len(accounts) == 1 else "accounts"
        super().__init__(
            f"The file has findings for {noun} {names}, which {workload.name} is not connected to. Connect the "
            f"{noun} on the workload's Evidence page, or import a file of the workload's own accounts only."
        )
        self.accounts = accounts


@dataclass(frozen=True)
class Upload:
    """An uploaded or local file: a seekable binary stream, its name and size in bytes."""

    stream: BinaryIO
    name: str
    size: int


def _check_accounts(workload: Workload, parsed: ParsedFile) -> list[str]:
    accounts = sorted({finding.account_id for finding in parsed.findings})
    connected = set(AwsTarget.objects.filter(workload=workload).values_list("account_id", flat=True))
    unknown = [account for account in accounts if account not in connected]
    if unknown:
        raise AccountNotConnected(unknown, workload)
    return accounts


def evidence_import_create(
    *, workload: Workload, actor: User | None, upload: Upload, file_format: str | None = None
) -> EvidenceImport:
    """Import a scanner's findings as evidence for `workload`.

    Raises ImportFileError (with a JSON path or CSV line where it can) for a malformed, empty or too large
    file, and AccountNotConnected naming the accounts the workload does not have; either way nothing is
    written. A newer import of the same source and account supersedes the older one as evidence.
    """
    if workload.is_archived:
        raise ImportFileError("This workload is archived: restore it before importing evidence.")
    limit = settings.EVIDENCE_IMPORT_MAX_BYTES
    if upload.size > limit:
        raise ImportFileError(
            f"The file is {upload.size // (1024 * 1024)} MB; an import accepts {limit // (1024 * 1024)} MB at most."
        )
    if file_format is not None and file_format not in FORMATS:
        raise ImportFileError(f"Unknown format {file_format!r}; choose one of: {', '.join(FORMATS)}.")
    parsed = parse(upload.stream, max_bytes=limit, file_format=file_format)
    accounts = _check_accounts(workload, parsed)
    return _store(workload=workload, actor=actor, upload=upload, parsed=parsed, accounts=accounts)


# Copied straight into PostgreSQL: building a parameterised INSERT is most of an ORM bulk_create's time.
COPY_FIELDS = (
    "evidence_import_id", "source", "check_id", "title", "bp_codes", "status", "resource_arn", "region",
    "account_id", "message", "severity", "created_at", "collected_at", "valid_until", "first_seen_at",
    "last_seen_at", "superseded",
)  # fmt: skip


def _insert(rows: list[Finding]) -> None:
    if connection.vendor != "postgresql":
        Finding.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        return
    from psycopg.types.json import Jsonb

    table = Finding._meta.db_table
    by_attribute = {field.attname: field.column for field in Finding._meta.concrete_fields}
    columns = ", ".join(by_attribute[name] for name in COPY_FIELDS)
    # Table and column names come from our model, never from input.
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(
                [Jsonb(row.bp_codes) if name == "bp_codes" else getattr(row, name) for name in COPY_FIELDS]
            )


@transaction.atomic
def _store(
    *, workload: Workload, actor: User | None, upload: Upload, parsed: ParsedFile, accounts: list[str]
) -> EvidenceImport:
    now = timezone.now()
    lifetime = timedelta(days=settings.EVIDENCE_IMPORT_VALID_DAYS)
    source = parsed.source
    Finding.objects.filter(
        evidence_import__workload=workload, source=source, account_id__in=accounts, superseded=False
    ).update(superseded=True)
    rows = []
    mapped = 0
    for scanned in parsed.findings:
        codes = mapping.practices_for(source, scanned.check_id)
        mapped += bool(codes)
        # When the scanner last saw it; never later than now (a clock ahead would stretch the lifetime).
        seen = min(scanned.last_seen or now, now)
        rows.append(
            Finding(
                source=source,
                check_id=scanned.check_id,
                title=scanned.title[:512],
                bp_codes=codes,
                status=scanned.status,
                resource_arn=scanned.resource_arn[:2048],
                region=scanned.region,
                account_id=scanned.account_id,
                message=scanned.message,
                severity=scanned.severity,
                collected_at=seen,
                valid_until=seen + lifetime,
                first_seen_at=scanned.first_seen,
                last_seen_at=scanned.last_seen,
            )
        )
    evidence_import = EvidenceImport.objects.create(
        workload=workload,
        source=source,
        file_format=parsed.file_format,
        file_name=upload.name[:255],
        file_size=upload.size,
        accounts=accounts,
        imported_by=actor,
        total=parsed.total,
        mapped=mapped,
        unmapped=len(rows) - mapped,
        skipped=dict(parsed.skipped),
    )
    for row in rows:
        row.evidence_import = evidence_import
        row.created_at = now
    _insert(rows)
    audit_record(
        actor=actor,
        actor_label="" if actor else "command line",
        action="evidence_import.create",
        obj=evidence_import,
        object_repr=f"{evidence_import.get_source_display()} findings for {workload.name}",
        workload_id=workload.pk,
        after={
            "source": source,
            "format": parsed.file_format,
            "file": evidence_import.file_name,
            "accounts": accounts,
            "findings": len(rows),
            "mapped": mapped,
            "unmapped": len(rows) - mapped,
            "skipped": dict(parsed.skipped),
        },
    )
    return evidence_import
