from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT, run

DENY_LEAVE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}],
}


def organization(account):
    account.client("organizations", "us-east-1").create_organization(FeatureSet="ALL")


def organization_with_scp(attached=True):
    def setup(account):
        organization(account)
        organizations = account.client("organizations", "us-east-1")
        policy = organizations.create_policy(
            Name="deny-leaving", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(DENY_LEAVE)
        )["Policy"]["PolicySummary"]
        if attached:
            root = organizations.list_roots()["Roots"][0]["Id"]
            organizations.attach_policy(PolicyId=policy["Id"], TargetId=root)

    return setup


def resource_share(external):
    def setup(account):
        account.client("ram").create_resource_share(name="subnets", allowExternalPrincipals=external)

    return setup


def security_contact(account):
    account.client("account").put_alternate_contact(
        AlternateContactType="SECURITY",
        EmailAddress="sec@example.test",
        Name="Security team",
        PhoneNumber="+1",
        Title="SOC",
    )


CASES = {
    "organizations.member": Case(good=organization, bad=nothing),
    "organizations.guardrail_policies": Case(
        good=organization_with_scp(attached=True), bad=organization_with_scp(attached=False)
    ),
    "ram.no_external_sharing": Case(good=resource_share(False), bad=resource_share(True)),
    "account.security_contact": Case(good=security_contact, bad=nothing),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


def test_guardrails_do_not_apply_outside_an_organization(account):
    [finding] = run("organizations.guardrail_policies", account)
    assert finding.status == "NOT_APPLICABLE"


def test_an_scp_attached_to_nothing_restricts_nothing(account):
    organization_with_scp(attached=False)(account)
    [finding] = run("organizations.guardrail_policies", account)
    assert finding.status == "FAIL", finding
    assert "only FullAWSAccess applies" in finding.message


def test_a_member_account_counts_the_scps_on_its_path_to_the_root(account):
    """Seen from a member account (which moto cannot be): SCPs attached to its OU bind it."""
    stubber = Stubber(account.override("organizations"))
    org = {
        "Id": "o-abc",
        "Arn": "arn:aws:organizations::999988887777:organization/o-abc",
        "MasterAccountId": "999988887777",
    }
    stubber.add_response("describe_organization", {"Organization": org})
    stubber.add_response(
        "list_parents",
        {"Parents": [{"Id": "ou-ab12-workloads", "Type": "ORGANIZATIONAL_UNIT"}]},
        {"ChildId": ACCOUNT},
    )
    stubber.add_response(
        "list_parents", {"Parents": [{"Id": "r-ab12", "Type": "ROOT"}]}, {"ChildId": "ou-ab12-workloads"}
    )
    full = {
        "Id": "p-FullAWSAccess",
        "Arn": "arn:full",
        "Name": "FullAWSAccess",
        "Type": "SERVICE_CONTROL_POLICY",
        "AwsManaged": True,
    }
    ours = {
        "Id": "p-deny123",
        "Arn": "arn:deny",
        "Name": "deny-leaving",
        "Type": "SERVICE_CONTROL_POLICY",
        "AwsManaged": False,
    }
    for target, policies in ((ACCOUNT, [full]), ("ou-ab12-workloads", [ours]), ("r-ab12", [full])):
        stubber.add_response(
            "list_policies_for_target",
            {"Policies": policies},
            {"TargetId": target, "Filter": "SERVICE_CONTROL_POLICY"},
        )
    with stubber:
        [finding] = run("organizations.guardrail_policies", account)
    assert finding.status == "PASS", finding
    assert "restrict this account: deny-leaving" in finding.message
