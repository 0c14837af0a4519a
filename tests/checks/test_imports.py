"""Importing Prowler (OCSF JSON, CSV) and Security Hub CSPM (ASFF) findings as evidence: parsing, mapping,
refusals that name their reason and place, and nothing written on error."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import timedelta

import pytest
from django.utils import timezone

from checks.imports import mapping
from checks.imports.parsers import (
    ASFF,
    PROWLER_CSV,
    PROWLER_OCSF,
    FileTooLarge,
    ImportFileError,
    detect,
    parse,
)
from checks.imports.samples import Sample, asff_file, asff_finding, csv_file, ocsf_file, ocsf_finding
from checks.imports.service import AccountNotConnected, Upload, evidence_import_create
from checks.models import EvidenceImport, Finding, FindingSource
from checks.selectors import Verdict, evidence_by_bp
from reviewapp.models import AuditEvent

from .factories import target_for

ACCOUNT = "111122223333"
OTHER = "444455556666"
LIMIT = 50 * 1024 * 1024

PROWLER = [
    Sample(
        "iam_root_mfa_enabled",
        "PASS",
        ACCOUNT,
        "us-east-1",
        title="Ensure MFA is enabled for the root account",
    ),
    Sample("s3_bucket_secure_transport_policy", "FAIL", ACCOUNT, resource="arn:aws:s3:::shop-assets"),
    Sample("ec2_instance_imdsv2_enabled", "MANUAL", ACCOUNT),
    Sample("s3_bucket_no_mfa_delete", "FAIL", ACCOUNT, resource="arn:aws:s3:::shop-assets"),
    Sample("guardduty_is_enabled", "FAIL", ACCOUNT, muted=True),
]
HUB = [
    Sample("IAM.6", "PASSED", ACCOUNT),
    Sample("S3.8", "FAILED", ACCOUNT, resource="arn:aws:s3:::shop-assets"),
    Sample("EC2.8", "WARNING", ACCOUNT, resource=f"arn:aws:ec2:eu-west-1:{ACCOUNT}:instance/i-1"),
    Sample("Macie.99", "FAILED", ACCOUNT),
    Sample("GuardDuty.1", "FAILED", ACCOUNT, muted=True),
]
FILES = {
    PROWLER_OCSF: (ocsf_file, PROWLER, FindingSource.PROWLER),
    PROWLER_CSV: (csv_file, PROWLER, FindingSource.PROWLER),
    ASFF: (asff_file, HUB, FindingSource.SECURITY_HUB),
}


def upload(content: bytes, name: str = "scan.json") -> Upload:
    return Upload(io.BytesIO(content), name, len(content))


def parsed(content: bytes, **kwargs):
    return parse(io.BytesIO(content), max_bytes=kwargs.pop("max_bytes", LIMIT), **kwargs)


# --- Parsing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("file_format", sorted(FILES))
def test_each_format_is_recognised_and_read(file_format):
    build, samples, source = FILES[file_format]
    result = parsed(build(samples))
    assert (result.file_format, result.source) == (file_format, source)
    assert len(result.findings) == 4 and result.total == 5
    assert sum(result.skipped.values()) == 1
    first = result.findings[0]
    assert first.account_id == ACCOUNT and first.last_seen.isoformat().startswith("2026-11-30T08:15")


def test_prowler_statuses_map_to_ours_and_muted_findings_are_counted_not_kept():
    result = parsed(ocsf_file(PROWLER))
    assert [f.status for f in result.findings] == ["PASS", "FAIL", "NOT_APPLICABLE", "FAIL"]
    assert result.findings[0].region == "us-east-1" and result.findings[0].title.startswith("Ensure MFA")
    assert result.findings[1].resource_arn == "arn:aws:s3:::shop-assets"
    assert dict(result.skipped) == {"muted in Prowler": 1}


def test_security_hub_warnings_are_errors_never_support_and_suppressed_ones_are_skipped():
    result = parsed(asff_file(HUB))
    assert [(f.check_id, f.status) for f in result.findings] == [
        ("IAM.6", "PASS"),
        ("S3.8", "FAIL"),
        ("EC2.8", "ERROR"),
        ("Macie.99", "FAIL"),
    ]
    assert dict(result.skipped) == {"suppressed in Security Hub": 1}


def test_older_security_hub_findings_name_their_control_in_the_generator_id():
    from checks.imports.parsers import control_id

    legacy = {"GeneratorId": "aws-foundational-security-best-practices/v/1.0.0/IAM.6", "ProductFields": {}}
    assert control_id(legacy) == "IAM.6"
    assert control_id({"GeneratorId": "arn:aws:guardduty:eu-west-1:1:detector/abc"}).startswith(
        "arn:aws:guardduty"
    )


def test_a_bare_list_of_asff_findings_is_read_too():
    content = json.dumps([asff_finding(HUB[0])]).encode()
    assert detect(content) == ASFF
    assert parsed(content).findings[0].check_id == "IAM.6"


@pytest.mark.parametrize(
    "content, location, message",
    [
        (json.dumps([ocsf_finding(PROWLER[0]), {**ocsf_finding(PROWLER[1]), "cloud": {"provider": "aws"}}]),
         "$[1].cloud.account.uid", "account id is missing"),
        (json.dumps([{**ocsf_finding(PROWLER[0]), "status_code": "MAYBE"}]), "$[0].status_code", "Unknown status"),
        (json.dumps([{**ocsf_finding(PROWLER[0]), "cloud": {"provider": "azure"}}]), "$[0].cloud.provider", "azure"),
        (json.dumps([ocsf_finding(PROWLER[0])])[:-1] + ', {"status_code": ', "$[1]", "not valid JSON"),
        (json.dumps({"Findings": [asff_finding(HUB[0]), {**asff_finding(HUB[1]), "AwsAccountId": "12345"}]}),
         "$.Findings[1].AwsAccountId", "not a 12-digit AWS account id"),
        (json.dumps({"Findings": [{**asff_finding(HUB[0]), "LastObservedAt": "yesterday"}]}),
         "$.Findings[0].LastObservedAt",
         "not a date"),
        (json.dumps({"Findings": []}), "$", "no findings"),
    ],
)  # fmt: skip
def test_malformed_json_names_the_json_path(content, location, message):
    with pytest.raises(ImportFileError) as error:
        parsed(content.encode())
    assert error.value.location == location
    assert message in error.value.message


def test_malformed_csv_names_the_line():
    lines = csv_file(PROWLER).decode().splitlines()
    lines[3] = lines[3].replace(f";{ACCOUNT};", ";not-an-account;", 1)
    with pytest.raises(ImportFileError) as error:
        parsed("\n".join(lines).encode())
    assert error.value.location == "line 4" and "not a 12-digit" in error.value.message
    with pytest.raises(ImportFileError) as error:
        parsed(b"CHECK_ID;STATUS\ns3_x;PASS\n", file_format=PROWLER_CSV)
    assert error.value.location == "line 1" and "ACCOUNT_UID" in error.value.message


def test_a_file_over_the_size_limit_is_refused_while_streaming():
    content = ocsf_file(PROWLER * 40)
    with pytest.raises(FileTooLarge, match="larger than"):
        parsed(content, max_bytes=len(content) // 2)


def test_files_that_are_no_scanner_output_are_refused():
    with pytest.raises(ImportFileError, match="not a file the import reads"):
        parsed(b"hello,world\n1,2\n")


def test_every_mapping_table_line_names_real_practices_and_notes_its_source(db):
    from questionnaire.models import BestPractice

    codes = set(BestPractice.objects.values_list("code", flat=True))
    for source in (FindingSource.PROWLER, FindingSource.SECURITY_HUB):
        table = mapping.table(source)
        assert len(table) > 100
        assert {code for codes_ in table.values() for code in codes_} <= codes
        assert "http" in mapping.source_note(source) or "prowler" in mapping.source_note(source).lower()
    assert mapping.practices_for(FindingSource.SECURITY_HUB, "IAM.6") == ["SEC01-BP02", "SEC02-BP01"]
    assert mapping.practices_for(FindingSource.SECURITY_HUB, "S3.8") == ["SEC08-BP04"]


# --- Storing ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("file_format", sorted(FILES))
def test_an_import_stores_findings_with_their_source_account_region_resource_and_times(
    workload, owner, file_format
):
    target_for(workload, ACCOUNT)
    build, samples, source = FILES[file_format]
    result = evidence_import_create(workload=workload, actor=owner, upload=upload(build(samples), "scan.out"))
    assert (result.source, result.file_format, result.accounts) == (source, file_format, [ACCOUNT])
    assert (result.total, result.mapped, result.unmapped) == (5, 3, 1)
    assert sum(result.skipped.values()) == 1
    stored = Finding.objects.filter(evidence_import=result).order_by("check_id")
    assert stored.count() == 4 and {f.source for f in stored} == {source}
    unmapped = stored.get(bp_codes=[])
    assert unmapped.check_id in ("s3_bucket_no_mfa_delete", "Macie.99")
    first = stored.first()
    assert first.account_id == ACCOUNT and first.last_seen_at is not None and first.first_seen_at is not None
    assert first.valid_until - first.collected_at == timedelta(days=30)
    event = AuditEvent.objects.get(action="evidence_import.create")
    assert event.after["unmapped"] == 1 and event.actor == owner


@pytest.mark.django_db
def test_imported_findings_feed_the_same_verdicts_as_our_checks(workload, owner):
    target_for(workload, ACCOUNT)
    evidence_import_create(workload=workload, actor=owner, upload=upload(asff_file(HUB)))
    evidence = evidence_by_bp(workload)
    assert evidence["SEC01-BP02"].verdict == Verdict.SUPPORTS  # IAM.6 passed
    assert evidence["SEC08-BP04"].verdict == Verdict.CONTRADICTS  # S3.8 failed
    # EC2.8 came back WARNING: Security Hub could not tell, so the practice is not supported.
    assert evidence["SEC06-BP02"].verdict == Verdict.INCONCLUSIVE
    assert evidence["SEC06-BP02"].gaps[0].what == "EC2.8"
    assert evidence["SEC01-BP02"].sources == (FindingSource.SECURITY_HUB,)


@pytest.mark.django_db
def test_a_file_for_an_account_the_workload_is_not_connected_to_is_refused_naming_it(workload, owner):
    target_for(workload, ACCOUNT)
    samples = [*PROWLER, replace(PROWLER[0], account_id=OTHER)]
    with pytest.raises(AccountNotConnected) as error:
        evidence_import_create(workload=workload, actor=owner, upload=upload(ocsf_file(samples)))
    assert OTHER in error.value.message and ACCOUNT not in error.value.message
    assert not EvidenceImport.objects.exists() and not Finding.objects.exists()
    assert not AuditEvent.objects.filter(action="evidence_import.create").exists()


@pytest.mark.django_db
def test_a_malformed_file_writes_nothing_even_after_many_good_findings(workload, owner):
    target_for(workload, ACCOUNT)
    good = [ocsf_finding(PROWLER[0], i) for i in range(300)]
    content = json.dumps([*good, {**ocsf_finding(PROWLER[1]), "status_code": None}]).encode()
    with pytest.raises(ImportFileError) as error:
        evidence_import_create(workload=workload, actor=owner, upload=upload(content))
    assert error.value.location == "$[300].status_code"
    assert not EvidenceImport.objects.exists() and not Finding.objects.exists()


@pytest.mark.django_db
def test_a_failure_while_storing_rolls_everything_back(workload, owner, monkeypatch):
    target_for(workload, ACCOUNT)
    evidence_import_create(workload=workload, actor=owner, upload=upload(ocsf_file(PROWLER)))

    def broken_audit(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr("checks.imports.service.audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        evidence_import_create(workload=workload, actor=owner, upload=upload(ocsf_file(PROWLER)))
    assert EvidenceImport.objects.count() == 1
    # The first import is still the evidence: the failed one superseded nothing.
    assert not Finding.objects.filter(superseded=True).exists()


@pytest.mark.django_db
def test_a_newer_import_of_the_same_source_and_account_supersedes_the_older(workload, owner):
    target_for(workload, ACCOUNT)
    first = evidence_import_create(workload=workload, actor=owner, upload=upload(ocsf_file(PROWLER)))
    fixed = [replace(PROWLER[1], status="PASS")]
    second = evidence_import_create(workload=workload, actor=owner, upload=upload(ocsf_file(fixed)))
    assert set(Finding.objects.filter(evidence_import=first).values_list("superseded", flat=True)) == {True}
    assert set(Finding.objects.filter(evidence_import=second).values_list("superseded", flat=True)) == {False}
    assert evidence_by_bp(workload)["SEC09-BP02"].verdict == Verdict.SUPPORTS
    # Another source is other evidence: a Security Hub import leaves the Prowler one current.
    evidence_import_create(workload=workload, actor=owner, upload=upload(asff_file(HUB)))
    assert not Finding.objects.filter(evidence_import=second, superseded=True).exists()


@pytest.mark.django_db
def test_old_scans_import_as_stale_evidence(workload, owner):
    target_for(workload, ACCOUNT)
    old = [replace(PROWLER[0], seen=timezone.now() - timedelta(days=45))]
    evidence_import_create(workload=workload, actor=owner, upload=upload(ocsf_file(old)))
    summary = evidence_by_bp(workload)["SEC01-BP02"]
    assert summary.expired and summary.stale == 1


@pytest.mark.django_db
def test_the_declared_size_is_checked_before_reading(workload, owner, settings):
    target_for(workload, ACCOUNT)
    settings.EVIDENCE_IMPORT_MAX_BYTES = 10_000
    with pytest.raises(ImportFileError, match="accepts 0 MB at most|MB at most"):
        evidence_import_create(
            workload=workload, actor=owner, upload=Upload(io.BytesIO(b"[]"), "huge.json", 20_000)
        )


@pytest.mark.parametrize(
    "name, file_format",
    [
        ("prowler-demo.ocsf.json", PROWLER_OCSF),
        ("prowler-demo.csv", PROWLER_CSV),
        ("securityhub-demo.asff.json", ASFF),
    ],
)
def test_the_demo_sample_files_import_for_the_demo_account(name, file_format):
    from pathlib import Path

    from checks.demo import DEMO_ACCOUNT

    path = Path(__file__).resolve().parents[2] / "docs" / "samples" / name
    result = parsed(path.read_bytes())
    assert result.file_format == file_format
    assert {finding.account_id for finding in result.findings} == {DEMO_ACCOUNT}
    assert any(not mapping.practices_for(result.source, f.check_id) for f in result.findings)  # one unmapped
