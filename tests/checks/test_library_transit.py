from __future__ import annotations

import json
from datetime import timedelta

import pytest

from .aws_setups import import_certificate, listener, load_balancer
from .cases import Case, assert_fails, assert_passes
from .conftest import REGION


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


def distribution(viewer_policy):
    def setup(account):
        account.client("cloudfront", "us-east-1").create_distribution(
            DistributionConfig={
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


CASES = {
    "s3.bucket_tls_only": Case(good=bucket_policy(True), bad=bucket_policy(False)),
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
