from __future__ import annotations

import json

import pytest

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import run

DENY_LEAVE = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}],
}


def organization(account):
    account.client("organizations", "us-east-1").create_organization(FeatureSet="ALL")


def organization_with_scp(account):
    organization(account)
    account.client("organizations", "us-east-1").create_policy(
        Name="deny-leaving", Description="", Type="SERVICE_CONTROL_POLICY", Content=json.dumps(DENY_LEAVE)
    )


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
    "organizations.guardrail_policies": Case(good=organization_with_scp, bad=organization),
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
