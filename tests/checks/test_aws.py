from __future__ import annotations

import pytest
from moto import mock_aws

from checks import aws
from checks.models import AwsTarget

OTHER = "210987654321"


def target(
    account_id=OTHER, role="arn:aws:iam::{account}:role/WellArchitectedEvidence", regions=("eu-west-1",)
):
    return AwsTarget(account_id=account_id, role_arn=role.format(account=account_id), regions=list(regions))


@pytest.fixture
def moto(settings):
    settings.AWS_ENDPOINT_URL = ""
    with mock_aws():
        yield


def test_the_session_name_carries_the_run_id():
    assert (
        aws.session_name("4f0c2b8e-0000-4000-8000-000000000000")
        == "wa-review-4f0c2b8e-0000-4000-8000-000000000000"
    )


def test_the_session_name_is_cut_to_what_aws_accepts():
    name = aws.session_name("a run/with spaces*" + "x" * 80)
    assert len(name) == 64
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+=,.@-")


def test_clients_retry_adaptively_and_honour_the_endpoint_override(settings):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:5999"
    client = aws._client(aws.app_session(), "sts", "eu-west-1")
    assert client.meta.endpoint_url == "http://127.0.0.1:5999"
    assert client.meta.config.retries["mode"] == "adaptive"
    assert client.meta.config.inject_host_prefix is False


def test_without_an_override_clients_use_aws_endpoints(settings):
    settings.AWS_ENDPOINT_URL = ""
    client = aws._client(aws.app_session(), "sts", "eu-west-1")
    assert client.meta.endpoint_url.endswith("amazonaws.com")


def test_assume_role_stamps_the_account_aws_reports(moto):
    session = aws.assume_role(target(), "run-1")
    assert session.account_id == OTHER
    assert session.arn == f"arn:aws:sts::{OTHER}:assumed-role/WellArchitectedEvidence/wa-review-run-1"
    # The clients of the session really act in the other account.
    assert session.client("sts", "eu-west-1").get_caller_identity()["Account"] == OTHER


def test_two_targets_get_sessions_in_their_own_accounts(moto):
    first = aws.assume_role(target("111111111111"), "run")
    second = aws.assume_role(target("222222222222"), "run")
    first.client("s3", "eu-west-1").create_bucket(
        Bucket="only-in-first", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    assert [b["Name"] for b in second.client("s3", "eu-west-1").list_buckets()["Buckets"]] == []
    assert [b["Name"] for b in first.client("s3", "eu-west-1").list_buckets()["Buckets"]] == ["only-in-first"]


def test_a_role_in_another_account_than_declared_is_refused(moto):
    mismatched = target("111111111111", role="arn:aws:iam::222222222222:role/Evidence")
    with pytest.raises(aws.AwsError, match="answered from account 222222222222, not 111111111111"):
        aws.assume_role(mismatched, "run")


def test_test_connection_reports_the_account(moto):
    result = aws.test_connection(target())
    assert result.ok
    assert result.account_id == OTHER
    assert result.message.startswith(f"Connected to account {OTHER} as arn:aws:sts::{OTHER}:assumed-role/")


def test_test_connection_reports_the_exact_refusal(moto, monkeypatch):
    from botocore.stub import Stubber

    sts = aws.app_session().client("sts", region_name="eu-west-1")
    stubber = Stubber(sts)
    stubber.add_client_error(
        "assume_role",
        service_error_code="AccessDenied",
        service_message="User is not authorized to perform: sts:AssumeRole",
    )
    stubber.activate()
    monkeypatch.setattr(aws, "_client", lambda session, service, region: sts)
    result = aws.test_connection(target())
    assert not result.ok
    assert result.message == (
        "Could not assume arn:aws:iam::210987654321:role/WellArchitectedEvidence: Access denied to "
        "AssumeRole: the role lacks this permission (AccessDenied: User is not authorized to perform: "
        "sts:AssumeRole)"
    )


def test_missing_app_credentials_are_explained(settings, monkeypatch):
    settings.AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    result = aws.test_connection(target())
    assert not result.ok
    assert "has no AWS identity of its own" in result.message
