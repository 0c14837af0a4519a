from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT, REGION, run, statuses

MANAGEMENT = "999988887777"
ORG_TRAIL = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/organization-trail"


def _bucket(account, name="trail-logs-bucket"):
    account.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def trail(multi_region=True, logging=True, validation=False, home=REGION, name="main"):
    def setup(account):
        cloudtrail = account.client("cloudtrail", home)
        bucket = f"trail-logs-{name}"
        account.client("s3", home).create_bucket(
            Bucket=bucket,
            **({} if home == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": home}}),
        )
        cloudtrail.create_trail(
            Name=name,
            S3BucketName=bucket,
            IsMultiRegionTrail=multi_region,
            EnableLogFileValidation=validation,
        )
        if logging:
            cloudtrail.start_logging(Name=name)

    return setup


def recorder(start=True):
    def setup(account):
        config = account.client("config")
        config.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
            }
        )
        config.put_delivery_channel(
            DeliveryChannel={"name": "default", "s3BucketName": _bucket(account, "config-bucket")}
        )
        if start:
            config.start_configuration_recorder(ConfigurationRecorderName="default")

    return setup


def guardduty_on(account, plans=()):
    features = [{"Name": name, "Status": "ENABLED"} for name in plans]
    account.client("guardduty").create_detector(Enable=True, Features=features)


ALL_PLANS = ("S3_DATA_EVENTS", "EBS_MALWARE_PROTECTION", "RUNTIME_MONITORING")


def config_rule(account):
    recorder()(account)
    account.client("config").put_config_rule(
        ConfigRule={
            "ConfigRuleName": "securityhub-s3-bucket-ssl-requests-only",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_SSL_REQUESTS_ONLY"},
        }
    )


def findings_rule(target=True):
    def setup(account):
        guardduty_on(account)
        events = account.client("events")
        events.put_rule(
            Name="guardduty-to-oncall",
            EventPattern=json.dumps({"source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]}),
        )
        if target:
            events.put_targets(
                Rule="guardduty-to-oncall",
                Targets=[{"Id": "oncall", "Arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:security-oncall"}],
            )

    return setup


def securityhub_on(account):
    account.client("securityhub").enable_security_hub()


def macie_off(account):
    account.client("macie2").disable_macie()


def inspector_on(account):
    account.client("inspector2").enable(accountIds=[ACCOUNT], resourceTypes=["EC2", "ECR"])


def inspector_ec2_only(account):
    account.client("inspector2").enable(accountIds=[ACCOUNT], resourceTypes=["EC2"])


def log_group(retention):
    def setup(account):
        logs = account.client("logs")
        logs.create_log_group(logGroupName="/app/web")
        if retention:
            logs.put_retention_policy(logGroupName="/app/web", retentionInDays=retention)

    return setup


CASES = {
    "cloudtrail.multi_region_logging": Case(good=trail(), bad=trail(multi_region=False)),
    "cloudtrail.log_file_validation": Case(good=trail(validation=True), bad=trail()),
    "config.recorder_on": Case(good=recorder(), bad=recorder(start=False)),
    "config.rules_evaluate_controls": Case(good=config_rule, bad=recorder()),
    "guardduty.enabled": Case(good=guardduty_on, bad=nothing),
    "guardduty.protection_plans": Case(
        good=lambda a: guardduty_on(a, ALL_PLANS), bad=lambda a: guardduty_on(a, ALL_PLANS[:1])
    ),
    "events.guardduty_findings_routed": Case(good=findings_rule(), bad=findings_rule(target=False)),
    "securityhub.enabled": Case(good=securityhub_on, bad=nothing),
    "macie.enabled": Case(good=nothing, bad=macie_off),
    "inspector.enabled": Case(good=inspector_on, bad=inspector_ec2_only),
    "logs.retention_set": Case(good=log_group(90), bad=log_group(None)),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


@pytest.mark.parametrize(
    "check_id", ["cloudtrail.multi_region_logging", "config.recorder_on", "inspector.enabled"]
)
def test_it_fails_when_nothing_is_set_up(account, check_id):
    assert_fails(check_id, Case(good=nothing, bad=nothing), account)


def test_a_stopped_multi_region_trail_fails(account):
    assert_fails("cloudtrail.multi_region_logging", Case(good=nothing, bad=trail(logging=False)), account)


# --- The wrong verdicts of issue 12, pinned -----------------------------------------------------------------


def test_a_multi_region_trail_homed_in_another_region_counts(account):
    # Collected from eu-west-1; the trail lives in us-east-1. Its shadow trail is what eu-west-1 sees.
    trail(home="us-east-1")(account)
    [finding] = run("cloudtrail.multi_region_logging", account)
    assert finding.status == "PASS", finding
    assert finding.resource_arn == f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"


def _org_trail(validation=True):
    return {
        "Name": "organization-trail",
        "TrailARN": ORG_TRAIL,
        "HomeRegion": "us-east-1",
        "IsMultiRegionTrail": True,
        "IsOrganizationTrail": True,
        "LogFileValidationEnabled": validation,
        "S3BucketName": "org-trail-logs",
    }


def _stub_member_account_trails(account, described, listed):
    """What AWS answers a member account whose only trail is the management account's organization trail:
    DescribeTrails returns it as a shadow trail only when shadow trails are asked for (moto has no
    organization trails)."""
    stubber = Stubber(account.override("cloudtrail"))
    stubber.add_response("describe_trails", {"trailList": described}, {"includeShadowTrails": True})
    stubber.add_response("list_trails", {"Trails": listed})
    return stubber


def test_an_organization_trail_seen_from_a_member_account_counts(account):
    stubber = _stub_member_account_trails(
        account,
        [_org_trail()],
        [{"TrailARN": ORG_TRAIL, "Name": "organization-trail", "HomeRegion": "us-east-1"}],
    )
    status = Stubber(account.override("cloudtrail", "us-east-1"))
    status.add_response("get_trail_status", {"IsLogging": True}, {"Name": ORG_TRAIL})
    with stubber, status:
        [finding] = run("cloudtrail.multi_region_logging", account)
    assert (finding.status, finding.resource_arn) == ("PASS", ORG_TRAIL), finding
    assert "organization trail" in finding.message


def test_log_validation_judges_trails_homed_elsewhere_too(account):
    trail(multi_region=False, validation=True)(account)
    trail(home="us-east-1", name="everywhere", validation=False)(account)
    findings = run("cloudtrail.log_file_validation", account)
    assert statuses(findings) == ["FAIL", "PASS"]
    [failing] = [f for f in findings if f.status == "FAIL"]
    assert failing.resource_arn.endswith(":trail/everywhere")


def test_log_validation_never_passes_on_trails_it_could_not_describe(account):
    # AWS lists the organization trail but DescribeTrails does not return it: that is not a PASS.
    stubber = _stub_member_account_trails(
        account,
        [{**_org_trail(), "TrailARN": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/local", "Name": "local"}],
        [
            {"TrailARN": f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/local", "Name": "local"},
            {"TrailARN": ORG_TRAIL, "Name": "organization-trail", "HomeRegion": "us-east-1"},
        ],
    )
    stubber.add_response(
        "describe_trails", {"trailList": []}, {"trailNameList": [ORG_TRAIL], "includeShadowTrails": True}
    )
    with stubber:
        [finding] = run("cloudtrail.log_file_validation", account)
    assert finding.status == "ERROR"
    assert ORG_TRAIL in finding.message


def test_inspector_failed_accounts_are_an_error_not_a_verdict(account):
    stubber = Stubber(account.override("inspector2"))
    stubber.add_response(
        "batch_get_account_status",
        {
            "accounts": [],
            "failedAccounts": [
                {
                    "accountId": ACCOUNT,
                    "errorCode": "ACCESS_DENIED",
                    "errorMessage": "Not allowed to read status",
                }
            ],
        },
        {"accountIds": [ACCOUNT]},
    )
    with stubber:
        [finding] = run("inspector.enabled", account)
    assert finding.status == "ERROR"
    assert "ACCESS_DENIED" in finding.message


def test_routing_findings_does_not_apply_where_guardduty_is_off(account):
    [finding] = run("events.guardduty_findings_routed", account)
    assert finding.status == "NOT_APPLICABLE"


def test_config_rules_without_a_running_recorder_evaluate_nothing(account):
    recorder(start=False)(account)
    account.client("config").put_config_rule(
        ConfigRule={
            "ConfigRuleName": "s3-ssl",
            "Source": {"Owner": "AWS", "SourceIdentifier": "S3_BUCKET_SSL_REQUESTS_ONLY"},
        }
    )
    [finding] = run("config.rules_evaluate_controls", account)
    assert finding.status == "FAIL" and "no recorder is running" in finding.message


def test_older_detectors_report_protection_through_data_sources():
    from checks.library.detection import _plan_enabled

    detector = {"DataSources": {"S3Logs": {"Status": "ENABLED"}}}
    assert _plan_enabled(detector, "S3_DATA_EVENTS")
    assert not _plan_enabled(detector, "RUNTIME_MONITORING")
