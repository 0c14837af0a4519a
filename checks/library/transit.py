"""Data in transit: TLS on load balancers, CloudFront and S3, and certificates that are about to expire."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

from ..registry import CheckContext, Result, check, error_code, failed, not_applicable, passed
from .data import buckets

EXPIRY_WARNING = timedelta(days=30)
# Policies whose lowest protocol is TLS 1.2 or 1.3, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06,
# ...-FS-1-2-Res-2020-10.
MODERN_TLS_POLICY = re.compile(r"(?:TLS13|TLS|FS)-1-[23]\b")


def _statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    statements = policy.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _denies_plain_http(policy: dict[str, Any]) -> bool:
    for statement in _statements(policy):
        if statement.get("Effect") != "Deny":
            continue
        for operator, values in statement.get("Condition", {}).items():
            if operator.lower() != "bool":
                continue
            for key, value in values.items():
                value = value[0] if isinstance(value, list) and value else value
                if key.lower() == "aws:securetransport" and str(value).lower() == "false":
                    return True
    return False


@check(
    id="s3.bucket_tls_only",
    title="Every S3 bucket refuses requests without TLS",
    best_practices=["SEC09-BP02"],
    service="s3",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Add a bucket policy statement that denies s3:* to everyone when aws:SecureTransport is false."
    ),
)
def bucket_tls_only(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        try:
            policy = json.loads(ctx.client("s3", region).get_bucket_policy(Bucket=name)["Policy"])
        except Exception as exc:
            if error_code(exc) != "NoSuchBucketPolicy":
                raise
            policy = {}
        if _denies_plain_http(policy):
            results.append(passed(arn, f"{name} denies requests that do not use TLS.", region))
        else:
            results.append(failed(arn, f"{name} accepts plain HTTP requests: no policy denies them.", region))
    return results or [not_applicable(ctx.account_arn, "The account has no S3 buckets.")]


def _listeners(ctx: CheckContext) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    def fetch() -> list[tuple[dict[str, Any], dict[str, Any]]]:
        pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
        for lb in ctx.paginate("elbv2", "describe_load_balancers", "LoadBalancers"):
            if lb.get("Type") not in ("application", "network"):
                continue
            listeners = ctx.paginate(
                "elbv2", "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]
            )
            pairs.extend((lb, listener) for listener in listeners)
        return pairs

    return ctx.cached("elbv2.listeners", fetch)


def _redirects_to_https(listener: dict[str, Any]) -> bool:
    return any(
        action.get("Type") == "redirect" and action.get("RedirectConfig", {}).get("Protocol") == "HTTPS"
        for action in listener.get("DefaultActions", [])
    )


@check(
    id="elbv2.listeners_encrypted",
    title="Load balancer listeners use TLS",
    best_practices=["SEC09-BP02"],
    service="elbv2",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Serve traffic on HTTPS (ALB) or TLS (NLB) listeners with an ACM certificate; keep a plain HTTP "
        "listener only to redirect to HTTPS."
    ),
)
def listeners_encrypted(ctx: CheckContext) -> list[Result]:
    results = []
    for lb, listener in _listeners(ctx):
        label = f"{lb['LoadBalancerName']} listener on port {listener['Port']}"
        protocol = listener.get("Protocol")
        if protocol in ("HTTPS", "TLS"):
            results.append(passed(listener["ListenerArn"], f"{label} uses {protocol}."))
        elif protocol == "HTTP" and _redirects_to_https(listener):
            results.append(passed(listener["ListenerArn"], f"{label} only redirects to HTTPS."))
        elif protocol in ("HTTP", "TCP"):
            results.append(
                failed(listener["ListenerArn"], f"{label} carries traffic unencrypted ({protocol}).")
            )
        else:
            results.append(not_applicable(listener["ListenerArn"], f"{label} uses {protocol}."))
    return results or [
        not_applicable(ctx.account_setting_arn("elasticloadbalancing"), f"No listeners in {ctx.region}.")
    ]


@check(
    id="elbv2.modern_tls_policy",
    title="TLS listeners refuse protocols older than TLS 1.2",
    best_practices=["SEC09-BP02", "SEC09-BP01"],
    service="elbv2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Choose a security policy with TLS 1.2 as the minimum, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06."
    ),
)
def modern_tls_policy(ctx: CheckContext) -> list[Result]:
    results = []
    for lb, listener in _listeners(ctx):
        if listener.get("Protocol") not in ("HTTPS", "TLS"):
            continue
        policy = listener.get("SslPolicy") or "(none)"
        label = f"{lb['LoadBalancerName']} listener on port {listener['Port']}"
        if MODERN_TLS_POLICY.search(policy):
            results.append(passed(listener["ListenerArn"], f"{label} uses {policy} (TLS 1.2 or later)."))
        else:
            results.append(
                failed(listener["ListenerArn"], f"{label} uses {policy}, which allows TLS 1.0/1.1.")
            )
    return results or [
        not_applicable(ctx.account_setting_arn("elasticloadbalancing"), f"No TLS listeners in {ctx.region}.")
    ]


@check(
    id="acm.certificates_not_expiring",
    title="No ACM certificate expires within 30 days",
    best_practices=["SEC09-BP01"],
    service="acm",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Renew or re-import certificates before they expire; prefer ACM-issued certificates with DNS "
        "validation, which renew themselves while the validation record stays in place."
    ),
)
def certificates_not_expiring(ctx: CheckContext) -> list[Result]:
    acm = ctx.client("acm")
    results = []
    summaries = ctx.paginate(
        "acm", "list_certificates", "CertificateSummaryList", CertificateStatuses=["ISSUED", "EXPIRED"]
    )
    for summary in summaries:
        certificate = acm.describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
        arn, domain, not_after = (
            certificate["CertificateArn"],
            certificate.get("DomainName", ""),
            certificate.get("NotAfter"),
        )
        if not_after is None:
            results.append(not_applicable(arn, f"The certificate for {domain} has no expiry date yet."))
            continue
        left = not_after - ctx.now
        if left < timedelta(0):
            results.append(failed(arn, f"The certificate for {domain} expired {-left.days} days ago."))
        elif left < EXPIRY_WARNING:
            results.append(failed(arn, f"The certificate for {domain} expires in {left.days} days."))
        else:
            results.append(passed(arn, f"The certificate for {domain} is valid for {left.days} more days."))
    return results or [not_applicable(ctx.account_setting_arn("acm"), f"No certificates in {ctx.region}.")]


@check(
    id="cloudfront.viewer_https",
    title="CloudFront distributions require HTTPS from viewers",
    best_practices=["SEC09-BP02"],
    service="cloudfront",
    scope="global",
    severity="MEDIUM",
    remediation=(
        'Set the viewer protocol policy of every cache behaviour to "Redirect HTTP to HTTPS" or "HTTPS only".'
    ),
)
def viewer_https(ctx: CheckContext) -> list[Result]:
    results = []
    pages = ctx.client("cloudfront", "us-east-1").get_paginator("list_distributions").paginate()
    for distribution in (
        item for page in pages for item in page.get("DistributionList", {}).get("Items", [])
    ):
        behaviours = [
            distribution["DefaultCacheBehavior"],
            *distribution.get("CacheBehaviors", {}).get("Items", []),
        ]
        plain = [
            b.get("PathPattern", "default")
            for b in behaviours
            if b.get("ViewerProtocolPolicy") == "allow-all"
        ]
        label = f"Distribution {distribution['Id']} ({distribution.get('DomainName', '')})"
        if plain:
            results.append(failed(distribution["ARN"], f"{label} serves plain HTTP for: {', '.join(plain)}."))
        else:
            results.append(passed(distribution["ARN"], f"{label} requires HTTPS from viewers."))
    return results or [not_applicable(ctx.account_arn, "There are no CloudFront distributions.")]
