"""Data in transit: TLS on load balancers, CloudFront and S3, certificates about to expire, and APIs that
authenticate their callers."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from .. import policydoc
from ..registry import CheckContext, Result, check, failed, not_applicable, passed
from ..s3state import bucket_policy, buckets

EXPIRY_WARNING = timedelta(days=30)
# Policies whose lowest protocol is TLS 1.2 or 1.3, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06,
# ...-FS-1-2-Res-2020-10.
MODERN_TLS_POLICY = re.compile(r"(?:TLS13|TLS|FS)-1-[23]\b")


def _is_false(value: Any) -> bool:
    values = value if isinstance(value, list) else [value]
    return bool(values) and all(str(v).lower() == "false" for v in values)


def _denies_plain_http(statement: dict[str, Any], bucket_arn: str) -> bool:
    """A statement that refuses every S3 request over plain HTTP, from anyone, to the bucket and its objects.

    AWS applies a Deny only to the principals, actions and resources it names and only when all its conditions
    hold, so a Deny limited to s3:GetObject, to one principal or with an extra condition leaves other requests
    over HTTP allowed.
    """
    if statement.get("Effect") != "Deny" or "NotPrincipal" in statement or "NotAction" in statement:
        return False
    if "NotResource" in statement or not policydoc.is_public_principal(statement):
        return False
    actions = [str(a) for a in policydoc.as_list(statement.get("Action"))]
    if not any(a.lower() in ("*", "s3:*") for a in actions):
        return False
    resources = [str(r) for r in policydoc.as_list(statement.get("Resource"))]
    for needed in (bucket_arn, f"{bucket_arn}/any-object-key"):
        if not any(policydoc.matches(pattern, needed) for pattern in resources):
            return False
    conditions = statement.get("Condition") or {}
    keys = policydoc.condition_keys(statement)
    if set(keys) != {"aws:securetransport"} or len(conditions) != 1:
        return False
    operator, values = next(iter(conditions.items()))
    value = next(iter(values.values()))
    return operator.lower() == "bool" and _is_false(value)


@check(
    id="s3.bucket_tls_only",
    title="Every S3 bucket refuses requests without TLS",
    best_practices=["SEC09-BP02"],
    service="s3",
    scope="global",
    severity="MEDIUM",
    remediation=(
        'Add a bucket policy statement that denies "s3:*" to Principal "*" on the bucket and "bucket/*" when '
        "aws:SecureTransport is false, with no other condition."
    ),
    actions=["s3:ListAllMyBuckets", "s3:GetBucketLocation", "s3:GetBucketPolicy"],
)
def bucket_tls_only(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        policy = bucket_policy(ctx, name, region)
        if any(_denies_plain_http(statement, arn) for statement in policydoc.statements(policy)):
            results.append(passed(arn, f"{name} denies every request that does not use TLS.", region))
        elif any(
            statement.get("Effect") == "Deny" and "aws:securetransport" in policydoc.condition_keys(statement)
            for statement in policydoc.statements(policy)
        ):
            results.append(
                failed(
                    arn,
                    f"{name} denies plain HTTP only for some actions, principals or objects: other requests "
                    f"still work without TLS.",
                    region,
                )
            )
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
    actions=["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners"],
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
    actions=["elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeListeners"],
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
    actions=["acm:ListCertificates", "acm:DescribeCertificate"],
    # A certificate with 35 days left passes today and expires within the default 30 days of evidence.
    valid_days=7,
)
def certificates_not_expiring(ctx: CheckContext) -> list[Result]:
    acm = ctx.client("acm")
    results = []
    # Without a key-type filter ListCertificates returns only RSA_1024 and RSA_2048 certificates: ask for
    # every key algorithm the API knows, so EC and larger RSA certificates are seen too.
    key_types = acm.meta.service_model.shape_for("KeyAlgorithm").enum
    summaries = ctx.paginate(
        "acm",
        "list_certificates",
        "CertificateSummaryList",
        CertificateStatuses=["ISSUED", "EXPIRED"],
        Includes={"keyTypes": list(key_types)},
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


def distributions(ctx: CheckContext) -> list[dict[str, Any]]:
    """Every CloudFront distribution of the account (a global service, answered in us-east-1)."""

    def fetch() -> list[dict[str, Any]]:
        pages = ctx.client("cloudfront", "us-east-1").get_paginator("list_distributions").paginate()
        return [item for page in pages for item in page.get("DistributionList", {}).get("Items", [])]

    return ctx.cached("cloudfront.distributions", fetch)


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
    actions=["cloudfront:ListDistributions"],
)
def viewer_https(ctx: CheckContext) -> list[Result]:
    results = []
    for distribution in distributions(ctx):
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


@check(
    id="apigateway.methods_authorized",
    title="API Gateway REST APIs authenticate their callers",
    best_practices=["SEC09-BP03", "SEC03-BP02"],
    service="apigateway",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Give every method an authorizer (IAM with SigV4, a Cognito user pool or a Lambda authorizer), or mutual "
        "TLS on a custom domain; API keys identify clients for usage plans but authenticate no one."
    ),
    actions=["apigateway:GET"],
)
def methods_authorized(ctx: CheckContext) -> list[Result]:
    results = []
    for api in ctx.paginate("apigateway", "get_rest_apis", "items"):
        arn = f"arn:{ctx.partition}:apigateway:{ctx.region}::/restapis/{api['id']}"
        resources = ctx.paginate(
            "apigateway", "get_resources", "items", restApiId=api["id"], embed=["methods"]
        )
        methods = [
            (verb, resource["path"], method)
            for resource in resources
            for verb, method in (resource.get("resourceMethods") or {}).items()
            # Browsers send CORS preflight requests without credentials: OPTIONS is open by design.
            if verb != "OPTIONS"
        ]
        if not methods:
            continue
        open_methods = [
            f"{verb} {path}"
            for verb, path, method in methods
            if method.get("authorizationType", "NONE") == "NONE"
        ]
        label = f"API {api.get('name', api['id'])}"
        if open_methods:
            shown = ", ".join(open_methods[:5]) + (" and more" if len(open_methods) > 5 else "")
            results.append(failed(arn, f"{label} answers unauthenticated calls on {shown}."))
        else:
            results.append(passed(arn, f"{label} authenticates every method."))
    return results or [
        not_applicable(ctx.account_setting_arn("apigateway"), f"No REST API methods in {ctx.region}.")
    ]
