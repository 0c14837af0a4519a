from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.stub import Stubber
from moto.iam.models import iam_backends

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT, run, statuses

VENDOR = "999988887777"

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


def trust(*principals, condition=None):
    statement = {"Effect": "Allow", "Principal": {"AWS": list(principals)}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def identity_center_role(account):
    api_only_user(account)
    account.client("iam").create_role(
        RoleName="AWSReservedSSO_ReadOnly_0123456789abcdef",
        Path="/aws-reserved/sso.amazonaws.com/",
        AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root"),
    )


def vendor_role(external_id):
    def setup(account):
        account.client("organizations", "us-east-1").create_organization(FeatureSet="ALL")
        condition = {"StringEquals": {"sts:ExternalId": "vendor-generated-42"}} if external_id else None
        account.client("iam").create_role(
            RoleName="vendor-audit",
            AssumeRolePolicyDocument=trust(f"arn:aws:iam::{VENDOR}:root", condition=condition),
        )

    return setup


def named_role(name):
    def setup(account):
        account.client("iam").create_role(
            RoleName=name, AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root")
        )

    return setup


CASES = {
    "iam.root_mfa": Case(good=root_mfa_on, bad=nothing),
    "iam.root_access_keys": Case(good=nothing, bad=root_keys_present),
    "iam.password_policy": Case(good=strong_password_policy, bad=weak_password_policy),
    "iam.console_users_mfa": Case(good=lambda a: console_user(a, mfa=True), bad=console_user),
    "iam.access_key_rotation": Case(good=key_user, bad=key_user, later=timedelta(days=100)),
    "iam.unused_credentials": Case(good=key_user, bad=key_user, later=timedelta(days=100)),
    "iam.user_direct_policies": Case(good=user_in_group, bad=user_with_attached_policy),
    "iam.no_full_admin_policies": Case(good=role_with_policy(READ), bad=role_with_policy(ADMIN)),
    "iam.people_use_federation": Case(good=identity_center_role, bad=console_user),
    "iam.third_party_roles_external_id": Case(good=vendor_role(True), bad=vendor_role(False)),
    "iam.incident_response_role": Case(good=named_role("IncidentResponder"), bad=named_role("app")),
    "iam.break_glass_role": Case(good=named_role("break-glass-admin"), bad=named_role("app")),
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


# --- The wrong verdicts of issue 12, pinned -----------------------------------------------------------------


def test_an_inline_admin_policy_on_a_user_fails(account):
    iam = account.client("iam")
    iam.create_user(UserName="ops")
    iam.put_user_policy(UserName="ops", PolicyName="everything", PolicyDocument=json.dumps(ADMIN))
    [finding] = run("iam.no_full_admin_policies", account)
    assert (finding.status, finding.resource_arn) == ("FAIL", f"arn:aws:iam::{ACCOUNT}:user/ops"), finding
    assert "inline policy everything" in finding.message


def test_the_aws_managed_administrator_policy_on_a_group_or_role_fails(account, monkeypatch):
    monkeypatch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    iam_backends.reset()
    iam = account.client("iam")
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.create_role(RoleName="deployer", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{ACCOUNT}:root"))
    iam.attach_role_policy(RoleName="deployer", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    findings = run("iam.no_full_admin_policies", account)
    failing = {f.resource_arn for f in findings if f.status == "FAIL"}
    assert failing == {f"arn:aws:iam::{ACCOUNT}:group/admins", f"arn:aws:iam::{ACCOUNT}:role/deployer"}
    assert all("AdministratorAccess (AWS managed)" in f.message for f in findings if f.status == "FAIL")


def test_no_users_and_no_identity_provider_is_not_federation(account):
    [finding] = run("iam.people_use_federation", account)
    assert finding.status == "FAIL", finding
    assert "only the root user can sign in" in finding.message


def test_a_saml_provider_counts_as_federation(account):
    # IAM wants at least 1,000 characters of SAML metadata; moto does not read it.
    metadata = "<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata' entityID='idp'>"
    metadata += "<!-- " + "x" * 1000 + " --></EntityDescriptor>"
    account.client("iam").create_saml_provider(SAMLMetadataDocument=metadata, Name="corporate-idp")
    [finding] = run("iam.people_use_federation", account)
    assert finding.status == "PASS" and "corporate-idp" in finding.message


def test_people_switching_in_from_another_account_is_for_a_person_to_confirm(account):
    account.client("iam").create_role(
        RoleName="admin", AssumeRolePolicyDocument=trust("arn:aws:iam::111111111111:root")
    )
    [finding] = run("iam.people_use_federation", account)
    assert finding.status == "NOT_APPLICABLE"


def test_a_member_account_cannot_tell_a_vendor_from_a_sister_account(account):
    account.client("iam").create_role(
        RoleName="shared-deploy", AssumeRolePolicyDocument=trust(f"arn:aws:iam::{VENDOR}:root")
    )
    stubber = Stubber(account.override("organizations"))
    stubber.add_client_error("list_accounts", "AccessDeniedException", "You don't have permissions", 400)
    with stubber:
        [finding] = run("iam.third_party_roles_external_id", account)
    assert finding.status == "NOT_APPLICABLE" and VENDOR in finding.message


def test_roles_trusted_by_the_whole_world_fail_whatever_the_organization(account):
    account.client("iam").create_role(
        RoleName="open",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
            }
        ),
    )
    findings = run("iam.third_party_roles_external_id", account)
    assert statuses(findings) == ["FAIL"] and "any AWS account" in findings[0].message
