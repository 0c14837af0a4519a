from __future__ import annotations

import pytest
from botocore.stub import Stubber

from .aws_setups import instance
from .cases import Case, assert_fails, assert_passes
from .conftest import ACCOUNT


def ssm_reports(online):
    """Moto does not implement DescribeInstanceInformation: stub the one call with what SSM would answer."""

    def setup(account):
        instance_id = instance(account)
        ssm = account.override("ssm")
        stubber = Stubber(ssm)
        listed = [{"InstanceId": instance_id, "PingStatus": "Online"}] if online else []
        stubber.add_response("describe_instance_information", {"InstanceInformationList": listed})
        stubber.activate()

    return setup


def repository(scan):
    def setup(account):
        account.client("ecr").create_repository(
            repositoryName="shop", imageScanningConfiguration={"scanOnPush": scan}
        )

    return setup


def function(runtime):
    def setup(account):
        role = account.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        account.client("lambda").create_function(
            FunctionName="checkout",
            Runtime=runtime,
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        )

    return setup


CASES = {
    "ec2.imdsv2_required": Case(
        good=lambda a: instance(a, tokens="required"), bad=lambda a: instance(a, tokens="optional")
    ),
    "ssm.instances_managed": Case(good=ssm_reports(True), bad=ssm_reports(False)),
    "ecr.scan_on_push": Case(good=repository(True), bad=repository(False)),
    "lambda.supported_runtime": Case(good=function("python3.12"), bad=function("python3.8")),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


def test_enhanced_registry_scanning_covers_repositories_without_scan_on_push(account):
    account.client("ecr").put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
            }
        ],
    )
    assert_passes("ecr.scan_on_push", Case(good=repository(False), bad=None), account)


def test_the_ssm_check_does_not_apply_without_running_instances(account):
    from .conftest import run

    [finding] = run("ssm.instances_managed", account)
    assert (finding.status, finding.account_id) == ("NOT_APPLICABLE", ACCOUNT)
