"""Reading scanner output as a stream: Prowler's OCSF JSON (`-M json-ocsf`, its default) and CSV, and AWS
Security Hub CSPM findings in ASFF (what `aws securityhub get-findings` prints).

Files are read through a byte counter that stops at the size limit, JSON with ijson (one finding in memory at
a time) and CSV with the csv module, so a large or endless upload cannot exhaust memory. Anything malformed
raises ImportFileError with where it is: a JSON path such as `$[12].cloud.account.uid` or `$.Findings[3]`, or a
CSV line. Nothing here touches the database.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO

import ijson

from ..models import FindingSource, FindingStatus

PROWLER_OCSF = "prowler-ocsf"
PROWLER_CSV = "prowler-csv"
ASFF = "asff"
FORMATS = {
    PROWLER_OCSF: ("Prowler OCSF JSON (json-ocsf)", FindingSource.PROWLER),
    PROWLER_CSV: ("Prowler CSV", FindingSource.PROWLER),
    ASFF: ("Security Hub CSPM findings (ASFF JSON)", FindingSource.SECURITY_HUB),
}
# The format names clients pass (API, command line), in a list the OpenAPI schema names as one enum.
FORMAT_IDS = list(FORMATS)
ACCOUNT_ID = re.compile(r"^\d{12}$")
# A Security Hub control id at the end of a standards GeneratorId, e.g. ".../v/1.0.0/IAM.6".
CONTROL_ID = re.compile(r"([A-Za-z0-9]+\.\d+)$")
CSV_REQUIRED = ("ACCOUNT_UID", "CHECK_ID", "STATUS", "RESOURCE_UID", "REGION", "TIMESTAMP")
SEVERITIES = {"critical": "HIGH", "high": "HIGH", "medium": "MEDIUM", "low": "LOW", "informational": "LOW"}
MAX_CHECK_ID = 128
MAX_REGION = 32

# Prowler's CSV puts resource details in one field; allow big ones (bounded by the file size limit anyway).
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))


class ImportFileError(Exception):
    """The file cannot be imported; `location` says where (a JSON path or a CSV line), if anywhere."""

    def __init__(self, message: str, location: str = "") -> None:
        super().__init__(f"{message} (at {location})" if location else message)
        self.message = message
        self.location = location


class FileTooLarge(ImportFileError):
    pass


@dataclass(frozen=True)
class ScannedFinding:
    """One scanner finding, checked and normalised; the service maps it to practices and stores it."""

    check_id: str
    title: str
    status: str
    account_id: str
    region: str
    resource_arn: str
    message: str
    severity: str
    first_seen: datetime | None
    last_seen: datetime | None


@dataclass
class ParsedFile:
    file_format: str
    findings: list[ScannedFinding] = field(default_factory=list)
    # Findings read but not evidence, by reason (archived, suppressed, muted, resolved).
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def source(self) -> str:
        return FORMATS[self.file_format][1]

    @property
    def total(self) -> int:
        return len(self.findings) + sum(self.skipped.values())


class _LimitedReader(io.RawIOBase):
    """Counts the bytes read and refuses to read past the limit."""

    def __init__(self, stream: BinaryIO, limit: int) -> None:
        super().__init__()
        self.stream = stream
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise FileTooLarge(
                f"The file is larger than the {self.limit // (1024 * 1024)} MB an import accepts."
            )
        buffer[: len(data)] = data
        return len(data)


def detect(head: bytes) -> str:
    """The format of a file from its first bytes."""
    text = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        return ASFF
    if text.startswith("["):
        return ASFF if '"AwsAccountId"' in text and '"event_code"' not in text else PROWLER_OCSF
    first_line = text.split("\n", 1)[0]
    if "CHECK_ID" in first_line and ";" in first_line:
        return PROWLER_CSV
    raise ImportFileError(
        "This is not a file the import reads: expected Prowler OCSF JSON, Prowler CSV (semicolon-separated) "
        "or Security Hub ASFF JSON.",
        "the start of the file",
    )


def parse(stream: BinaryIO, *, max_bytes: int, file_format: str | None = None) -> ParsedFile:
    """Read a whole file (seekable) into checked findings, or raise ImportFileError."""
    head = stream.read(64 * 1024)
    stream.seek(0)
    chosen = file_format or detect(head)
    if chosen not in FORMATS:
        raise ImportFileError(f"Unknown format {chosen!r}; choose one of: {', '.join(FORMATS)}.")
    reader = _LimitedReader(stream, max_bytes)
    parsed = ParsedFile(chosen)
    records = {PROWLER_OCSF: _ocsf_records, PROWLER_CSV: _csv_records, ASFF: _asff_records}[chosen](
        reader, head
    )
    for record in records:
        if isinstance(record, str):
            parsed.skipped[record] += 1
        else:
            parsed.findings.append(record)
    if not parsed.total:
        raise ImportFileError("The file holds no findings.", "$" if chosen != PROWLER_CSV else "line 2")
    return parsed


# --- Small readers shared by the formats ----------------------------------------------------------------------


def _dig(record: Any, path: tuple[Any, ...]) -> Any:
    value = record
    for key in path:
        if isinstance(key, int):
            value = value[key] if isinstance(value, list) and len(value) > key else None
        else:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _path(base: str, path: tuple[Any, ...]) -> str:
    return base + "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)


def _text(record: Any, path: tuple[Any, ...], where: str, what: str, *, required: bool = True) -> str:
    value = _dig(record, path)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ImportFileError(f"The {what} is missing.", _path(where, path))
        return ""
    if not isinstance(value, str | int | float):
        raise ImportFileError(f"The {what} should be text, not {type(value).__name__}.", _path(where, path))
    return str(value).strip()


def _account(value: str, location: str) -> str:
    if not ACCOUNT_ID.match(value):
        raise ImportFileError(f"{value!r} is not a 12-digit AWS account id.", location)
    return value


def _check_id(value: str, location: str) -> str:
    if len(value) > MAX_CHECK_ID:
        raise ImportFileError(f"The check id is longer than {MAX_CHECK_ID} characters.", location)
    return value


def _region(value: str, location: str) -> str:
    value = value or "global"
    if len(value) > MAX_REGION:
        raise ImportFileError(f"{value[:40]!r} is not an AWS region.", location)
    return value


def when(value: Any, location: str = "") -> datetime | None:
    """A timestamp as AWS and Prowler write them: ISO 8601 text or epoch seconds (or milliseconds)."""
    if value in (None, ""):
        return None
    try:
        if isinstance(value, int | float) or (isinstance(value, str) and value.strip().isdigit()):
            seconds = float(value)
            return datetime.fromtimestamp(seconds / 1000 if seconds > 1e11 else seconds, tz=UTC)
        moment = datetime.fromisoformat(str(value).strip().replace(" ", "T", 1))
    except (ValueError, OverflowError, OSError):
        raise ImportFileError(f"{str(value)[:40]!r} is not a date and time.", location) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _json_items(reader: _LimitedReader, prefix: str, base: str) -> Iterator[tuple[str, Any]]:
    done = 0  # items read whole: a syntax error is in the next one
    try:
        for item in ijson.items(reader, prefix, use_float=True):
            yield f"{base}[{done}]", item
            done += 1
    except ijson.JSONError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ImportFileError(
            f"The file is not valid JSON ({reason}); the error is near byte {reader.count}.",
            f"{base}[{done}]",
        ) from None


# --- Prowler OCSF ---------------------------------------------------------------------------------------------

OCSF_STATUS = {"PASS": FindingStatus.PASS, "FAIL": FindingStatus.FAIL, "MANUAL": FindingStatus.NOT_APPLICABLE}


def _ocsf_records(reader: _LimitedReader, head: bytes) -> Iterator[ScannedFinding | str]:
    if not head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n").startswith("["):
        raise ImportFileError("Prowler's OCSF output is a JSON array of findings.", "$")
    for where, record in _json_items(reader, "item", "$"):
        yield _ocsf_finding(record, where)


def _ocsf_finding(record: Any, where: str) -> ScannedFinding | str:
    if not isinstance(record, dict):
        raise ImportFileError("Each finding should be a JSON object.", where)
    product = _text(record, ("metadata", "product", "name"), where, "product name", required=False)
    if product and product.lower() != "prowler":
        raise ImportFileError(
            f"This finding comes from {product}, not Prowler.", f"{where}.metadata.product.name"
        )
    provider = _text(record, ("cloud", "provider"), where, "cloud provider", required=False)
    if provider and provider.lower() != "aws":
        raise ImportFileError(
            f"This is a {provider} finding; only AWS findings are evidence here.", f"{where}.cloud.provider"
        )
    status_code = _text(record, ("status_code",), where, "status code").upper()
    if status_code not in OCSF_STATUS:
        raise ImportFileError(
            f"Unknown status {status_code!r} (PASS, FAIL or MANUAL).", f"{where}.status_code"
        )
    if _text(record, ("status",), where, "status", required=False).lower() == "suppressed":
        return "muted in Prowler"
    check_id = _check_id(
        _text(record, ("metadata", "event_code"), where, "Prowler check id"), f"{where}.metadata.event_code"
    )
    account = _account(
        _text(record, ("cloud", "account", "uid"), where, "account id"), f"{where}.cloud.account.uid"
    )
    region = _text(record, ("cloud", "region"), where, "region", required=False) or _text(
        record, ("resources", 0, "region"), where, "region", required=False
    )
    seen = when(record.get("time_dt") or record.get("time"), f"{where}.time")
    first = _dig(record, ("finding_info", "first_seen_time_dt")) or _dig(
        record, ("finding_info", "created_time_dt")
    )
    return ScannedFinding(
        check_id=check_id,
        title=_text(record, ("finding_info", "title"), where, "title", required=False),
        status=OCSF_STATUS[status_code],
        account_id=account,
        region=_region(region, f"{where}.cloud.region"),
        resource_arn=_text(record, ("resources", 0, "uid"), where, "resource id", required=False)
        or f"account:{account}",
        message=_text(record, ("status_detail",), where, "status detail", required=False)
        or _text(record, ("message",), where, "message", required=False),
        severity=SEVERITIES.get(
            _text(record, ("severity",), where, "severity", required=False).lower(), "MEDIUM"
        ),
        first_seen=when(first, f"{where}.finding_info.created_time_dt") or seen,
        last_seen=seen,
    )


# --- Prowler CSV ----------------------------------------------------------------------------------------------

CSV_STATUS = {"PASS": FindingStatus.PASS, "FAIL": FindingStatus.FAIL, "MANUAL": FindingStatus.NOT_APPLICABLE}


def _csv_records(reader: _LimitedReader, head: bytes) -> Iterator[ScannedFinding | str]:
    text = io.TextIOWrapper(io.BufferedReader(reader), encoding="utf-8-sig", newline="")
    rows = csv.DictReader(text, delimiter=";")
    try:
        columns = set(rows.fieldnames or ())
        missing = [column for column in CSV_REQUIRED if column not in columns]
        if missing:
            raise ImportFileError(f"The header lacks Prowler's columns {', '.join(missing)}.", "line 1")
        for row in rows:
            where = f"line {rows.line_num}"
            if None in row:
                raise ImportFileError("The line has more fields than the header.", where)
            yield _csv_finding(row, where)
    except UnicodeDecodeError:
        raise ImportFileError("The file is not UTF-8 text.", f"line {rows.line_num + 1}") from None
    except csv.Error as exc:
        raise ImportFileError(f"The CSV is malformed ({exc}).", f"line {rows.line_num}") from None


def _csv_finding(row: dict[str, str], where: str) -> ScannedFinding | str:
    def cell(column: str, required: bool = True) -> str:
        value = (row.get(column) or "").strip()
        if required and not value:
            raise ImportFileError(f"{column} is empty.", where)
        return value

    status = cell("STATUS").upper()
    if status not in CSV_STATUS:
        raise ImportFileError(f"Unknown STATUS {status!r} (PASS, FAIL or MANUAL).", where)
    if cell("MUTED", required=False).lower() == "true":
        return "muted in Prowler"
    provider = cell("PROVIDER", required=False).lower()
    if provider and provider != "aws":
        raise ImportFileError(f"This is a {provider} finding; only AWS findings are evidence here.", where)
    seen = when(cell("TIMESTAMP"), where)
    return ScannedFinding(
        check_id=_check_id(cell("CHECK_ID"), where),
        title=cell("CHECK_TITLE", required=False),
        status=CSV_STATUS[status],
        account_id=_account(cell("ACCOUNT_UID"), where),
        region=_region(cell("REGION"), where),
        resource_arn=cell("RESOURCE_UID"),
        message=cell("STATUS_EXTENDED", required=False),
        severity=SEVERITIES.get(cell("SEVERITY", required=False).lower(), "MEDIUM"),
        first_seen=seen,
        last_seen=seen,
    )


# --- Security Hub ASFF ----------------------------------------------------------------------------------------

ASFF_STATUS = {
    "PASSED": FindingStatus.PASS,
    "FAILED": FindingStatus.FAIL,
    # Security Hub could not determine the control's state, or the check could not run: never support.
    "WARNING": FindingStatus.ERROR,
    "NOT_AVAILABLE": FindingStatus.ERROR,
}


def _asff_records(reader: _LimitedReader, head: bytes) -> Iterator[ScannedFinding | str]:
    bare_list = head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n").startswith("[")
    prefix, base = ("item", "$") if bare_list else ("Findings.item", "$.Findings")
    for where, record in _json_items(reader, prefix, base):
        yield _asff_finding(record, where)


def control_id(record: dict[str, Any]) -> str:
    """The Security Hub CSPM control a finding is about (e.g. "IAM.6"), else the generator that raised it."""
    explicit = _dig(record, ("Compliance", "SecurityControlId")) or _dig(
        record, ("ProductFields", "ControlId")
    )
    if explicit:
        return str(explicit)
    generator = str(record.get("GeneratorId") or "")
    match = CONTROL_ID.search(generator) if "/v/" in generator else None
    return match.group(1) if match else generator


def _asff_finding(record: Any, where: str) -> ScannedFinding | str:
    if not isinstance(record, dict):
        raise ImportFileError("Each finding should be a JSON object.", where)
    _text(record, ("SchemaVersion",), where, "ASFF SchemaVersion")
    if str(record.get("RecordState", "ACTIVE")).upper() == "ARCHIVED":
        return "archived in Security Hub"
    workflow = str(_dig(record, ("Workflow", "Status")) or record.get("WorkflowState") or "").upper()
    if workflow == "SUPPRESSED":
        return "suppressed in Security Hub"
    compliance = str(_dig(record, ("Compliance", "Status")) or "").upper()
    if compliance:
        if compliance not in ASFF_STATUS:
            raise ImportFileError(f"Unknown compliance status {compliance!r}.", f"{where}.Compliance.Status")
        status = ASFF_STATUS[compliance]
    elif workflow == "RESOLVED":
        return "resolved in Security Hub"
    else:
        # A threat or vulnerability finding (GuardDuty, Inspector...) that is still open.
        status = FindingStatus.FAIL
    check = _check_id(control_id(record), f"{where}.Compliance.SecurityControlId")
    if not check:
        raise ImportFileError(
            "Neither a control id nor a GeneratorId names what was checked.", f"{where}.GeneratorId"
        )
    account = _account(_text(record, ("AwsAccountId",), where, "account id"), f"{where}.AwsAccountId")
    product_region = str(record.get("ProductArn", "")).split(":")[3:4]
    region = (
        _text(record, ("Region",), where, "region", required=False)
        or _text(record, ("Resources", 0, "Region"), where, "region", required=False)
        or (product_region[0] if product_region else "")
    )
    last_key = "LastObservedAt" if record.get("LastObservedAt") else "UpdatedAt"
    first_key = "FirstObservedAt" if record.get("FirstObservedAt") else "CreatedAt"
    seen = when(record.get(last_key), f"{where}.{last_key}")
    first = when(record.get(first_key), f"{where}.{first_key}")
    reasons = _dig(record, ("Compliance", "StatusReasons", 0, "Description"))
    return ScannedFinding(
        check_id=check,
        title=_text(record, ("Title",), where, "title", required=False),
        status=status,
        account_id=account,
        region=_region(region, f"{where}.Region"),
        resource_arn=_text(record, ("Resources", 0, "Id"), where, "resource id"),
        message=str(reasons or record.get("Description") or record.get("Title") or ""),
        severity=SEVERITIES.get(str(_dig(record, ("Severity", "Label")) or "").lower(), "MEDIUM"),
        first_seen=first or seen,
        last_seen=seen,
    )
