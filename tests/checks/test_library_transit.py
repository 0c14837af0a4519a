from __future__ import annotations

import json
from datetime import timedelta

import pytest
from botocore.stub import Stubber
from django.utils import timezone

from .aws_setups import import_certificate, listener, load_balancer
from .cases import Case, assert_fails, assert_passes
from .conftest import ACCOUNT, REGION, run

BUCKET = "arn:aws:s3:::shop-assets"


def tls_policy(*statements):
    def setup(account):
        s3 = account.client("s3")
        s3.create_bucket(Bucket="shop-assets", CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_policy(
            Bucket="shop-assets", Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
        )

    return setup


DENY_HTTP = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": [BUCKET, f"{BUCKET}/*"],
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}


def bucket_policy(deny_http):
    def setup(account):
        s3 = account.client("s3")
        s3.create_bucket(Bucket="shop-assets", CreateBucketConfiguration={"LocationConstraint": REGION})
        statement = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::shop-assets/*"],
        }
        if deny_http:
            statement["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
        else:
            statement["Condition"] = {"StringNotEquals": {"aws:PrincipalAccount": "123456789012"}}
        s3.put_bucket_policy(
            Bucket="shop-assets", Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        )

    return setup


def alb_listener(protocol, policy=None, redirect=False):
    def setup(account):
        listener(
            account,
            load_balancer(account),
            protocol=protocol,
            port=443 if protocol == "HTTPS" else 80,
            policy=policy,
            redirect=redirect,
        )

    return setup


def distribution(viewer_policy, web_acl=""):
    def setup(account):
        account.client("cloudfront", "us-east-1").create_distribution(
            DistributionConfig={
                "WebACLId": web_acl,
                "CallerReference": "shop",
                "Comment": "",
                "Enabled": True,
                "Origins": {
                    "Quantity": 1,
                    "Items": [
                        {
                            "Id": "web",
                            "DomainName": "shop.example.test",
                            "CustomOriginConfig": {
                                "HTTPPort": 80,
                                "HTTPSPort": 443,
                                "OriginProtocolPolicy": "https-only",
                            },
                        }
                    ],
                },
                "DefaultCacheBehavior": {
                    "TargetOriginId": "web",
                    "ViewerProtocolPolicy": viewer_policy,
                    "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6",
                },
            }
        )

    return setup


def rest_api(account, authorization):
    gateway = account.client("apigateway")
    api = gateway.create_rest_api(name="orders")["id"]
    root = gateway.get_resources(restApiId=api)["items"][0]["id"]
    gateway.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType=authorization)
    gateway.put_method(restApiId=api, resourceId=root, httpMethod="OPTIONS", authorizationType="NONE")


CASES = {
    "s3.bucket_tls_only": Case(good=tls_policy(DENY_HTTP), bad=bucket_policy(False)),
    "elbv2.listeners_encrypted": Case(
        good=alb_listener("HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06"), bad=alb_listener("HTTP")
    ),
    "elbv2.modern_tls_policy": Case(
        good=alb_listener("HTTPS", "ELBSecurityPolicy-TLS13-1-2-2021-06"),
        bad=alb_listener("HTTPS", "ELBSecurityPolicy-2016-08"),
    ),
    "acm.certificates_not_expiring": Case(
        good=import_certificate, bad=import_certificate, later=timedelta(days=350)
    ),
    "cloudfront.viewer_https": Case(good=distribution("redirect-to-https"), bad=distribution("allow-all")),
    "apigateway.methods_authorized": Case(
        good=lambda a: rest_api(a, "AWS_IAM"), bad=lambda a: rest_api(a, "NONE")
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


def test_a_plain_http_listener_that_only_redirects_passes(account):
    assert_passes(
        "elbv2.listeners_encrypted", Case(good=alb_listener("HTTP", redirect=True), bad=None), account
    )


@pytest.mark.parametrize(
    "policy, modern",
    [
        ("ELBSecurityPolicy-TLS13-1-2-2021-06", True),
        ("ELBSecurityPolicy-TLS13-1-3-2021-06", True),
        ("ELBSecurityPolicy-FS-1-2-Res-2020-10", True),
        ("ELBSecurityPolicy-TLS-1-2-Ext-2018-06", True),
        ("ELBSecurityPolicy-TLS13-1-0-2021-06", False),
        ("ELBSecurityPolicy-TLS-1-1-2017-01", False),
        ("ELBSecurityPolicy-2016-08", False),
    ],
)
def test_it_knows_which_tls_policies_are_modern(policy, modern):
    from checks.library.transit import MODERN_TLS_POLICY

    assert bool(MODERN_TLS_POLICY.search(policy)) is modern


# --- The wrong verdicts of issue 12, pinned -----------------------------------------------------------------


@pytest.mark.parametrize(
    "narrowed",
    [
        {"Action": "s3:GetObject", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}},
        {"Action": "s3:GetObject"},
        {"Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:role/reader"}},
        {"Resource": f"{BUCKET}/public/*"},
        {
            "Condition": {
                "Bool": {"aws:SecureTransport": "false"},
                "StringEquals": {"aws:PrincipalAccount": ACCOUNT},
            }
        },
    ],
)
def test_a_deny_without_tls_narrower_than_every_request_fails(account, narrowed):
    tls_policy({**DENY_HTTP, **narrowed})(account)
    [finding] = run("s3.bucket_tls_only", account)
    assert finding.status == "FAIL", finding
    assert "only for some" in finding.message


def test_tls_deny_written_with_a_boolean_and_aws_star_passes(account):
    statement = {
        **DENY_HTTP,
        "Principal": {"AWS": "*"},
        "Condition": {"Bool": {"aws:SecureTransport": False}},
    }
    tls_policy(statement)(account)
    [finding] = run("s3.bucket_tls_only", account)
    assert finding.status == "PASS", finding


def test_an_ec_certificate_about_to_expire_is_seen(account):
    """AWS's ListCertificates returns only RSA_1024 and RSA_2048 certificates unless asked for other key types
    (moto ignores the filter and returns everything): pin the request AWS needs and the answer it gives."""
    acm = account.override("acm")
    arn = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/ec-cert"
    key_types = acm.meta.service_model.shape_for("KeyAlgorithm").enum
    assert {"EC_prime256v1", "EC_secp384r1", "RSA_4096"} <= set(key_types)
    stubber = Stubber(acm)
    stubber.add_response(
        "list_certificates",
        {
            "CertificateSummaryList": [
                {"CertificateArn": arn, "DomainName": "api.example.test", "KeyAlgorithm": "EC-prime256v1"}
            ]
        },
        {"CertificateStatuses": ["ISSUED", "EXPIRED"], "Includes": {"keyTypes": list(key_types)}},
    )
    stubber.add_response(
        "describe_certificate",
        {
            "Certificate": {
                "CertificateArn": arn,
                "DomainName": "api.example.test",
                "NotAfter": timezone.now() + timedelta(days=10),
            }
        },
        {"CertificateArn": arn},
    )
    with stubber:
        [finding] = run("acm.certificates_not_expiring", account)
    assert (finding.status, finding.resource_arn) == ("FAIL", arn), finding
    assert "expires in" in finding.message


def test_cors_preflight_alone_needs_no_authorizer(account):
    gateway = account.client("apigateway")
    api = gateway.create_rest_api(name="static")["id"]
    root = gateway.get_resources(restApiId=api)["items"][0]["id"]
    gateway.put_method(restApiId=api, resourceId=root, httpMethod="OPTIONS", authorizationType="NONE")
    [finding] = run("apigateway.methods_authorized", account)
    assert finding.status == "NOT_APPLICABLE"
