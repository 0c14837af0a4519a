from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.stub import Stubber

from checks.lambda_runtimes import schedule

from .aws_setups import instance
from .cases import Case, assert_fails, assert_passes
from .conftest import ACCOUNT, run


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


def repository(scan=True, tags="MUTABLE"):
    def setup(account):
        account.client("ecr").create_repository(
            repositoryName="shop", imageScanningConfiguration={"scanOnPush": scan}, imageTagMutability=tags
        )

    return setup


def function(runtime="python3.12", permission=None, url_auth=None):
    def setup(account):
        role = account.client("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        functions = account.client("lambda")
        functions.create_function(
            FunctionName="checkout",
            Runtime=runtime,
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        )
        if permission:
            functions.add_permission(
                FunctionName="checkout", StatementId="invoke", Action="lambda:InvokeFunction", **permission
            )
        if url_auth:
            functions.create_function_url_config(FunctionName="checkout", AuthType=url_auth)

    return setup


def build_project(variable_type):
    def setup(account):
        role = account.client("iam").create_role(RoleName="build", AssumeRolePolicyDocument="{}")["Role"][
            "Arn"
        ]
        account.client("codebuild").create_project(
            name="shop-build",
            source={"type": "S3", "location": "build-sources/shop.zip"},
            artifacts={"type": "NO_ARTIFACTS"},
            environment={
                "type": "LINUX_CONTAINER",
                "image": "aws/codebuild/standard:7.0",
                "computeType": "BUILD_GENERAL1_SMALL",
                "environmentVariables": [
                    {"name": "STAGE", "value": "prod", "type": "PLAINTEXT"},
                    {"name": "DB_PASSWORD", "value": "prod/db-password", "type": variable_type},
                ],
            },
            serviceRole=role,
        )

    return setup


FROM_S3 = {"Principal": "s3.amazonaws.com", "SourceAccount": ACCOUNT, "SourceArn": "arn:aws:s3:::uploads"}

CASES = {
    "ec2.imdsv2_required": Case(
        good=lambda a: instance(a, tokens="required"), bad=lambda a: instance(a, tokens="optional")
    ),
    "ssm.instances_managed": Case(good=ssm_reports(True), bad=ssm_reports(False)),
    "ecr.scan_on_push": Case(good=repository(scan=True), bad=repository(scan=False)),
    "ecr.tag_immutability": Case(good=repository(tags="IMMUTABLE"), bad=repository(tags="MUTABLE")),
    "lambda.supported_runtime": Case(good=function("python3.12"), bad=function("python3.8")),
    "lambda.function_not_public": Case(
        good=function(permission=FROM_S3), bad=function(permission={"Principal": "*"})
    ),
    "codebuild.no_plaintext_secrets": Case(
        good=build_project("SECRETS_MANAGER"), bad=build_project("PLAINTEXT")
    ),
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


# --- The wrong verdicts of issue 12, pinned -----------------------------------------------------------------


def test_an_instance_without_a_metadata_service_does_not_allow_imdsv1(account):
    instance_id = account.client("ec2").run_instances(
        ImageId=account.client("ec2").register_image(Name="base", RootDeviceName="/dev/xvda")["ImageId"],
        MinCount=1,
        MaxCount=1,
        MetadataOptions={"HttpEndpoint": "disabled"},
    )["Instances"][0]["InstanceId"]
    [finding] = run("ec2.imdsv2_required", account)
    assert finding.status == "PASS", finding
    assert instance_id in finding.message and "turned off" in finding.message


@pytest.mark.parametrize("runtime", ["nodejs18.x", "python3.9"])
def test_runtimes_deprecated_in_2025_fail_today(account, runtime):
    function(runtime)(account)
    [finding] = run("lambda.supported_runtime", account, now=datetime(2026, 1, 15, tzinfo=UTC))
    assert finding.status == "FAIL", finding
    assert "no longer gets security patches" in finding.message


def test_a_runtime_turns_fail_on_its_deprecation_date_without_a_code_change(account):
    function("nodejs18.x")(account)
    [before] = run("lambda.supported_runtime", account, now=datetime(2025, 8, 31, 23, 0, tzinfo=UTC))
    [on_the_day] = run("lambda.supported_runtime", account, now=datetime(2025, 9, 1, 0, 30, tzinfo=UTC))
    [blocked] = run("lambda.supported_runtime", account, now=datetime(2026, 4, 1, tzinfo=UTC))
    assert before.status == "PASS" and "supported until 01 Sep 2025 (1 days)" in before.message
    assert (
        on_the_day.status == "FAIL" and "refuses new functions on it from 03 Feb 2026" in on_the_day.message
    )
    assert (
        blocked.status == "FAIL" and "refused updates to such functions since 09 Mar 2026" in blocked.message
    )


def test_the_runtime_schedule_is_data_with_dates_in_order():
    dates = schedule()
    assert {"nodejs18.x", "python3.9", "python3.12", "nodejs22.x"} <= set(dates)
    for runtime in dates.values():
        assert runtime.deprecation <= runtime.block_update and runtime.block_create <= runtime.block_update


def test_a_public_function_url_makes_a_function_public(account):
    function(url_auth="NONE")(account)
    [finding] = run("lambda.function_not_public", account)
    assert finding.status == "FAIL" and "function URL without authentication" in finding.message


def test_plaintext_access_keys_are_found_by_their_value_and_never_echoed(account):
    from checks.library.compute import _plaintext_secrets

    project = {
        "environment": {
            "environmentVariables": [{"name": "DEPLOY", "value": "AKIAABCDEFGHIJKLMNOP", "type": "PLAINTEXT"}]
        }
    }
    assert _plaintext_secrets(project) == ["DEPLOY"]
    build_project("PLAINTEXT")(account)
    [finding] = run("codebuild.no_plaintext_secrets", account)
    assert "DB_PASSWORD" in finding.message and "prod/db-password" not in finding.message


def test_a_policy_statement_limited_to_the_organization_is_not_public():
    from checks import policydoc

    statement = {
        "Effect": "Allow",
        "Principal": "*",
        "Action": "lambda:InvokeFunction",
        "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
    }
    assert policydoc.public_grants({"Statement": [statement]}) == []
    statement["Condition"] = {"StringEquals": {"lambda:FunctionUrlAuthType": "NONE"}}
    assert policydoc.public_grants({"Statement": [statement]}) == [statement]
