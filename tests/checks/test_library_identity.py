from __future__ import annotations

import json
from datetime import timedelta

import pytest
from moto.iam.models import iam_backends

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT

ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def _summary():
    return iam_backends[ACCOUNT]["global"].account_summary


def root_mfa_on(account):
    # Moto has no API for the root user's MFA; set the flag its account summary reports.
    _summary()._account_mfa_enabled = 1


def root_keys_present(account):
    _summary()._account_access_keys_present = 1


def strong_password_policy(account):
    account.client("iam").update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=12)


def weak_password_policy(account):
    account.client("iam").update_account_password_policy(MinimumPasswordLength=8)


def console_user(account, name="alice", mfa=False):
    iam = account.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="a-long-password-123!")
    if mfa:
        serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(
            UserName=name, SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
        )


def key_user(account, name="deployer"):
    account.client("iam").create_user(UserName=name)
    account.client("iam").create_access_key(UserName=name)


def user_in_group(account):
    iam = account.client("iam")
    iam.create_user(UserName="bob")
    iam.create_group(GroupName="readers")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    iam.attach_group_policy(GroupName="readers", PolicyArn=arn)
    iam.add_user_to_group(GroupName="readers", UserName="bob")


def user_with_attached_policy(account):
    iam = account.client("iam")
    iam.create_user(UserName="bob")
    arn = iam.create_policy(PolicyName="read", PolicyDocument=json.dumps(READ))["Policy"]["Arn"]
    iam.attach_user_policy(UserName="bob", PolicyArn=arn)


def role_with_policy(document):
    def setup(account):
        iam = account.client("iam")
        iam.create_role(RoleName="app", AssumeRolePolicyDocument="{}")
        arn = iam.create_policy(PolicyName="app-policy", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="app", PolicyArn=arn)

    return setup


def api_only_user(account):
    account.client("iam").create_user(UserName="ci")


CASES = {
    "iam.root_mfa": Case(good=root_mfa_on, bad=nothing),
    "iam.root_access_keys": Case(good=nothing, bad=root_keys_present),
    "iam.password_policy": Case(good=strong_password_policy, bad=weak_password_policy),
    "iam.console_users_mfa": Case(good=lambda a: console_user(a, mfa=True), bad=console_user),
    "iam.access_key_rotation": Case(good=key_user, bad=key_user, later=timedelta(days=100)),
    "iam.unused_credentials": Case(good=key_user, bad=key_user, later=timedelta(days=100)),
    "iam.user_direct_policies": Case(good=user_in_group, bad=user_with_attached_policy),
    "iam.no_full_admin_policies": Case(good=role_with_policy(READ), bad=role_with_policy(ADMIN)),
    "iam.people_use_federation": Case(good=api_only_user, bad=console_user),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


def test_it_reports_no_password_policy_as_a_failure(account):
    from .conftest import run

    [finding] = run("iam.password_policy", account)
    assert (finding.status, finding.message) == (
        "FAIL",
        "There is no password policy: IAM users may choose any password.",
    )
