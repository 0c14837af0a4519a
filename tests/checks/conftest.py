"""Fixtures for check tests: a moto-backed account and a helper that runs one check against it."""

from __future__ import annotations

from datetime import datetime

import boto3
import pytest
from django.utils import timezone
from moto import mock_aws

from checks.registry import CheckContext, FindingData, get_check, run_check

ACCOUNT = "123456789012"
REGION = "eu-west-1"


# Building a boto3 client costs ~0.1-0.5 s; moto resets its state per mock_aws(), not per client, so clients
# are
# shared by every test of the session (tests that stub a client get their own through `override`).
_CLIENTS: dict[tuple[str, str], object] = {}


class MotoAccount:
    """Stands in for aws.AccountSession: clients straight into moto's default account."""

    account_id = ACCOUNT
    partition = "aws"

    def __init__(self) -> None:
        self.overrides: dict[tuple[str, str], object] = {}

    def client(self, service: str, region: str = REGION):
        if (service, region) in self.overrides:
            return self.overrides[(service, region)]
        if (service, region) not in _CLIENTS:
            _CLIENTS[(service, region)] = boto3.client(service, region_name=region)
        return _CLIENTS[(service, region)]

    def override(self, service: str, region: str = REGION):
        """A client of its own, e.g. to attach a botocore Stubber without touching the shared one."""
        self.overrides[(service, region)] = boto3.client(service, region_name=region)
        return self.overrides[(service, region)]


@pytest.fixture
def account(monkeypatch, settings):
    settings.AWS_ENDPOINT_URL = ""
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    # Loading moto's catalogue of public AMIs costs about a second per test; the tests launch only from AMI.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield MotoAccount()


def run(
    check_id: str, account: MotoAccount, *, region: str = REGION, now: datetime | None = None
) -> list[FindingData]:
    item = get_check(check_id)
    assert item is not None, check_id
    ctx = CheckContext(account, region, scope=item.scope, now=now or timezone.now())
    return run_check(item, ctx)


def statuses(findings: list[FindingData]) -> list[str]:
    return sorted(finding.status for finding in findings)
