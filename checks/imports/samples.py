"""Scanner output written from the formats' published field definitions, for tests, the benchmark and the
demo: a Prowler OCSF Detection Finding (class 2004), a row of Prowler's semicolon-separated CSV, and an ASFF
finding as `aws securityhub get-findings` prints it. Values are made up; shapes follow the schemas.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

PROWLER_VERSION = "5.12.0"
CSV_COLUMNS = [
    "AUTH_METHOD", "TIMESTAMP", "ACCOUNT_UID", "ACCOUNT_NAME", "ACCOUNT_EMAIL", "ACCOUNT_ORGANIZATION_UID",
    "ACCOUNT_ORGANIZATION_NAME", "ACCOUNT_TAGS", "FINDING_UID", "PROVIDER", "CHECK_ID", "CHECK_TITLE",
    "CHECK_TYPE", "STATUS", "STATUS_EXTENDED", "MUTED", "SERVICE_NAME", "SUBSERVICE_NAME", "SEVERITY",
    "RESOURCE_TYPE", "RESOURCE_UID", "RESOURCE_NAME", "RESOURCE_DETAILS", "RESOURCE_TAGS", "PARTITION", "REGION",
    "DESCRIPTION", "RISK", "RELATED_URL", "REMEDIATION_RECOMMENDATION_TEXT", "REMEDIATION_RECOMMENDATION_URL",
    "REMEDIATION_CODE_NATIVEIAC", "REMEDIATION_CODE_TERRAFORM", "REMEDIATION_CODE_CLI", "REMEDIATION_CODE_OTHER",
    "COMPLIANCE", "CATEGORIES", "DEPENDS_ON", "RELATED_TO", "NOTES", "PROWLER_VERSION",
]  # fmt: skip


@dataclass(frozen=True)
class Sample:
    """What one scanner finding says, before it is written in a format."""

    check_id: str
    status: str  # PASS / FAIL / MANUAL (Prowler); PASSED / FAILED / WARNING / NOT_AVAILABLE (Security Hub)
    account_id: str
    region: str = "eu-west-1"
    resource: str = ""
    title: str = ""
    severity: str = "high"
    muted: bool = False
    seen: datetime = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)

    @property
    def resource_id(self) -> str:
        return self.resource or f"arn:aws:iam::{self.account_id}:root"


def ocsf_finding(sample: Sample, index: int = 0) -> dict[str, Any]:
    """A Prowler finding as OCSF 1.x Detection Finding (class_uid 2004), the fields Prowler fills."""
    epoch = int(sample.seen.timestamp())
    return {
        "message": f"{sample.check_id} reported {sample.status} for {sample.resource_id}.",
        "metadata": {
            "event_code": sample.check_id,
            "product": {
                "name": "Prowler",
                "uid": "prowler",
                "vendor_name": "Prowler",
                "version": PROWLER_VERSION,
            },
            "profiles": ["cloud", "datetime"],
            "tenant_uid": "o-exampleorg",
            "version": "1.4.0",
        },
        "severity_id": {"critical": 5, "high": 4, "medium": 3, "low": 2}.get(sample.severity, 1),
        "severity": sample.severity.capitalize(),
        "status": "Suppressed" if sample.muted else "New",
        "status_code": sample.status,
        "status_detail": f"{sample.check_id}: {sample.status.lower()} on {sample.resource_id}.",
        "status_id": 3 if sample.muted else 1,
        "unmapped": {"related_url": "", "categories": ["secrets"], "compliance": {"CIS-3.0": ["1.5"]}},
        "activity_name": "Create",
        "activity_id": 1,
        "finding_info": {
            "created_time": epoch,
            "created_time_dt": sample.seen.isoformat(),
            "desc": "What the check looks at, in Prowler's words.",
            "title": sample.title or f"Check {sample.check_id}",
            "types": ["Software and Configuration Checks"],
            "uid": f"prowler-aws-{sample.check_id}-{sample.account_id}-{sample.region}-{index}",
        },
        "resources": [
            {
                "cloud_partition": "aws",
                "region": sample.region,
                "data": {"details": "", "metadata": {}},
                "group": {"name": sample.check_id.split("_", 1)[0]},
                "labels": [],
                "name": sample.resource_id.rsplit("/", 1)[-1],
                "type": "Other",
                "uid": sample.resource_id,
            }
        ],
        "category_name": "Findings",
        "category_uid": 2,
        "class_name": "Detection Finding",
        "class_uid": 2004,
        "cloud": {
            "account": {
                "name": "workload",
                "type": "AWS Account",
                "type_id": 10,
                "uid": sample.account_id,
                "labels": [],
            },
            "org": {"name": "example", "uid": "o-exampleorg"},
            "provider": "aws",
            "region": sample.region,
        },
        "remediation": {"desc": "How Prowler suggests fixing it.", "references": []},
        "risk_details": "Why it matters, in Prowler's words.",
        "time": epoch,
        "time_dt": sample.seen.isoformat(),
        "type_uid": 200401,
        "type_name": "Detection Finding: Create",
    }


def ocsf_file(samples: list[Sample]) -> bytes:
    return json.dumps([ocsf_finding(sample, i) for i, sample in enumerate(samples)], indent=2).encode()


def csv_file(samples: list[Sample]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, delimiter=";")
    writer.writeheader()
    for i, sample in enumerate(samples):
        writer.writerow(
            dict.fromkeys(CSV_COLUMNS, "")
            | {
                "AUTH_METHOD": "profile: default",
                "TIMESTAMP": sample.seen.strftime("%Y-%m-%d %H:%M:%S.%f"),
                "ACCOUNT_UID": sample.account_id,
                "FINDING_UID": f"prowler-aws-{sample.check_id}-{i}",
                "PROVIDER": "aws",
                "CHECK_ID": sample.check_id,
                "CHECK_TITLE": sample.title or f"Check {sample.check_id}",
                "STATUS": sample.status,
                "STATUS_EXTENDED": f"{sample.check_id}: {sample.status.lower()} on {sample.resource_id}.",
                "MUTED": str(sample.muted),
                "SERVICE_NAME": sample.check_id.split("_", 1)[0],
                "SEVERITY": sample.severity,
                "RESOURCE_UID": sample.resource_id,
                "RESOURCE_DETAILS": "details; with a semicolon inside",
                "PARTITION": "aws",
                "REGION": sample.region,
                "PROWLER_VERSION": PROWLER_VERSION,
            }
        )
    return out.getvalue().encode()


def asff_finding(sample: Sample, index: int = 0) -> dict[str, Any]:
    """A Security Hub CSPM control finding in ASFF (SchemaVersion 2018-10-08), consolidated control findings."""
    stamp = sample.seen.isoformat().replace("+00:00", "Z")
    product = f"arn:aws:securityhub:{sample.region}::product/aws/securityhub"
    hub = f"arn:aws:securityhub:{sample.region}:{sample.account_id}"
    return {
        "SchemaVersion": "2018-10-08",
        "Id": f"{hub}:security-control/{sample.check_id}/finding/{index}",
        "ProductArn": product,
        "ProductName": "Security Hub",
        "CompanyName": "AWS",
        "Region": sample.region,
        "GeneratorId": f"security-control/{sample.check_id}",
        "AwsAccountId": sample.account_id,
        "Types": ["Software and Configuration Checks/Industry and Regulatory Standards"],
        "FirstObservedAt": stamp,
        "LastObservedAt": stamp,
        "CreatedAt": stamp,
        "UpdatedAt": stamp,
        "Severity": {"Label": sample.severity.upper(), "Original": sample.severity.upper()},
        "Title": sample.title or f"Control {sample.check_id}",
        "Description": f"Control {sample.check_id} evaluated {sample.resource_id}.",
        "Remediation": {
            "Recommendation": {"Text": "See the control's page.", "Url": "https://docs.aws.amazon.com/"}
        },
        "ProductFields": {
            "RelatedAWSResources:0/name": "securityhub-rule",
            "aws/securityhub/ProductName": "Security Hub",
        },
        "Resources": [
            {"Type": "AwsAccount", "Id": sample.resource_id, "Partition": "aws", "Region": sample.region}
        ],
        "Compliance": {
            "Status": sample.status,
            "SecurityControlId": sample.check_id,
            "AssociatedStandards": [
                {"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"}
            ],
        },
        "WorkflowState": "SUPPRESSED" if sample.muted else "NEW",
        "Workflow": {"Status": "SUPPRESSED" if sample.muted else "NEW"},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {"Severity": {"Label": sample.severity.upper()}, "Types": []},
    }


def asff_file(samples: list[Sample]) -> bytes:
    return json.dumps(
        {"Findings": [asff_finding(sample, i) for i, sample in enumerate(samples)]}, indent=2
    ).encode()
