from __future__ import annotations

import pytest

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT, REGION


def _bucket(account, name="trail-logs-bucket"):
    account.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def trail(multi_region=True, logging=True, validation=False):
    def setup(account):
        cloudtrail = account.client("cloudtrail")
        cloudtrail.create_trail(
            Name="main",
            S3BucketName=_bucket(account),
            IsMultiRegionTrail=multi_region,
            EnableLogFileValidation=validation,
        )
        if logging:
            cloudtrail.start_logging(Name="main")

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


def guardduty_on(account):
    account.client("guardduty").create_detector(Enable=True)


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
    "guardduty.enabled": Case(good=guardduty_on, bad=nothing),
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
