from __future__ import annotations

import json
from io import StringIO

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from django.core.management import call_command

from checks.registry import (
    REGISTRY,
    Check,
    CheckContext,
    all_checks,
    check,
    checks_by_bp,
    run_check,
    work_units,
)
from questionnaire.models import BestPractice

from . import (
    test_library_compute,
    test_library_data,
    test_library_detection,
    test_library_identity,
    test_library_network,
    test_library_org,
    test_library_transit,
)
from .conftest import ACCOUNT, MotoAccount

MODULES = [
    test_library_compute,
    test_library_data,
    test_library_detection,
    test_library_identity,
    test_library_network,
    test_library_org,
    test_library_transit,
]


def test_the_library_meets_the_coverage_the_issue_asks_for():
    checks = all_checks()
    assert len(checks) >= 60
    assert len({c.service for c in checks}) >= 20
    # Issue 12: at least 48 of the pillar's 63 practices have a check.
    assert len({code for c in checks for code in c.best_practices}) >= 48


def test_every_check_has_a_passing_and_a_failing_test():
    tested = {check_id for module in MODULES for check_id in module.CASES}
    assert tested == {c.id for c in all_checks()}


@pytest.mark.django_db
def test_every_referenced_best_practice_exists_in_the_built_in_lens():
    codes = set(
        BestPractice.objects.filter(
            question__lens_version__lens__slug="wellarchitected-security"
        ).values_list("code", flat=True)
    )
    assert len(codes) == 63
    assert set(checks_by_bp()) <= codes


def test_each_check_is_in_one_of_the_design_groups():
    assert {c.group for c in all_checks()} == {
        "identity",
        "detection",
        "network",
        "data",
        "transit",
        "compute",
        "org",
    }


def test_a_collection_runs_global_groups_once_and_regional_groups_per_region():
    units = work_units(["eu-west-1", "us-east-1"])
    assert ("identity", "global") in units and ("identity", "eu-west-1") not in units
    assert {("network", "eu-west-1"), ("network", "us-east-1")} <= set(units)
    assert len(units) == len(set(units))


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        ({"id": "Bad Id"}, "must look like"),
        ({"scope": "planet"}, "scope"),
        ({"severity": "CRITICAL"}, "severity"),
        ({"best_practices": ["SEC99"]}, "BP codes"),
        ({"best_practices": []}, "BP codes"),
        ({"remediation": " "}, "remediation"),
        ({"actions": []}, "actions must be IAM actions"),
        ({"actions": ["DescribeThings"]}, "actions must be IAM actions"),
        ({"valid_days": 0}, "valid_days"),
    ],
)
def test_a_malformed_declaration_fails_at_import(kwargs, problem):
    declaration = {
        "id": "test.thing",
        "title": "A thing",
        "best_practices": ["SEC01-BP01"],
        "service": "test",
        "scope": "global",
        "severity": "LOW",
        "remediation": "Fix it.",
        "actions": ["test:DescribeThings"],
    } | kwargs
    with pytest.raises(ValueError, match=problem):
        check(**declaration)


def test_two_checks_cannot_share_an_id():
    existing = next(iter(all_checks()))

    def impostor(ctx):
        return []

    with pytest.raises(ValueError, match="registered twice"):
        check(
            id=existing.id,
            title="x",
            best_practices=["SEC01-BP01"],
            service="x",
            scope="global",
            severity="LOW",
            remediation="x",
            actions=["x:Read"],
        )(impostor)
    assert REGISTRY[existing.id].func is existing.func


def _raising(exc):
    def func(ctx):
        raise exc

    return Check(
        id="test.raises",
        title="t",
        best_practices=("SEC01-BP01",),
        service="ec2",
        scope="regional",
        severity="LOW",
        remediation="r",
        group="network",
        func=func,
    )


def _client_error(code, message="nope"):
    return ClientError({"Error": {"Code": code, "Message": message}}, "DescribeThings")


@pytest.mark.parametrize(
    "exc, expected",
    [
        (
            _client_error("AccessDenied", "not authorized"),
            "Access denied to DescribeThings: the role lacks this permission",
        ),
        (_client_error("UnauthorizedOperation"), "Access denied to DescribeThings"),
        (_client_error("AuthFailure"), "opt-in region that is not enabled"),
        (_client_error("InvalidClientTokenId"), "opt-in region"),
        (
            EndpointConnectionError(endpoint_url="https://ec2.xx-fake-1.amazonaws.com"),
            "may not be available in this region",
        ),
        (NotImplementedError("moto has no such action"), "The check itself failed (NotImplementedError"),
    ],
)
def test_aws_refusals_and_bugs_become_error_findings_not_crashes(exc, expected):
    ctx = CheckContext(MotoAccount(), "eu-west-1", scope="regional")
    [finding] = run_check(_raising(exc), ctx)
    assert finding.status == "ERROR"
    assert expected in finding.message
    assert (finding.account_id, finding.region) == (ACCOUNT, "eu-west-1")
    assert finding.resource_arn == f"arn:aws:ec2:eu-west-1:{ACCOUNT}:account"


def test_a_check_that_finds_nothing_reports_not_applicable():
    check_item = Check(
        id="test.empty",
        title="t",
        best_practices=("SEC01-BP01",),
        service="iam",
        scope="global",
        severity="LOW",
        remediation="r",
        group="identity",
        func=lambda ctx: [],
    )
    [finding] = run_check(check_item, CheckContext(MotoAccount(), "eu-west-1", scope="global"))
    assert (finding.status, finding.region, finding.resource_arn) == (
        "NOT_APPLICABLE",
        "global",
        f"arn:aws:iam::{ACCOUNT}:root",
    )


# The checks issue 12 added, and practices each must evidence at least.
NEW_CHECKS = {
    "apigateway.methods_authorized": "SEC09-BP03",
    "cloudfront.waf_protected": "SEC05-BP03",
    "codebuild.no_plaintext_secrets": "SEC11-BP07",
    "config.rules_evaluate_controls": "SEC01-BP03",
    "ec2.database_ports_closed_to_world": "SEC05-BP02",
    "ecr.tag_immutability": "SEC06-BP04",
    "events.guardduty_findings_routed": "SEC10-BP04",
    "guardduty.protection_plans": "SEC01-BP08",
    "iam.break_glass_role": "SEC03-BP03",
    "iam.incident_response_role": "SEC10-BP05",
    "iam.third_party_roles_external_id": "SEC03-BP09",
    "kms.key_policy_not_public": "SEC08-BP01",
    "lambda.function_not_public": "SEC03-BP07",
    "ram.no_external_sharing": "SEC03-BP08",
    "s3.bucket_policy_not_public": "SEC03-BP07",
    "s3.data_classification_tags": "SEC07-BP01",
    "s3.sensitive_buckets_protected": "SEC07-BP02",
    "wafv2.managed_rule_groups": "SEC05-BP04",
}


def test_list_checks_prints_every_check_as_json_with_its_practices_and_actions():
    out = StringIO()
    call_command("list_checks", "--json", stdout=out)
    listed = {item["id"]: item for item in json.loads(out.getvalue())}
    assert list(listed) == sorted(c.id for c in all_checks())
    for check_id, practice in NEW_CHECKS.items():
        assert practice in listed[check_id]["best_practices"], check_id
        assert listed[check_id]["iam_actions"], check_id
    assert listed["macie.enabled"]["iam_actions"] == ["macie2:GetMacieSession"]
    assert listed["acm.certificates_not_expiring"]["valid_days"] == 7
    assert listed["iam.root_mfa"]["valid_days"] == 30


@pytest.mark.django_db
def test_list_checks_prints_how_many_practices_have_a_check():
    out = StringIO()
    call_command("list_checks", stdout=out)
    assert "iam.root_mfa" in out.getvalue()
    assert f"{len(all_checks())} checks across" in out.getvalue()
    evidenced = len(set(checks_by_bp()))
    assert evidenced >= 48
    assert f"{evidenced} of 63 best practices have at least one check" in out.getvalue()
