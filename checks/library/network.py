"""Network protection: security groups, VPC flow logs, public databases, WAF in front of public load
balancers."""

from __future__ import annotations

from typing import Any

from ..registry import CheckContext, Result, check, failed, not_applicable, passed, plural

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
WORLD = {"0.0.0.0/0", "::/0"}


def _sg_arn(ctx: CheckContext, group: dict[str, Any]) -> str:
    return ctx.arn("ec2", f"security-group/{group['GroupId']}")


@check(
    id="ec2.default_security_group_closed",
    title="Default security groups allow no traffic",
    best_practices=["SEC05-BP02"],
    service="ec2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Remove every inbound and outbound rule from each VPC's default security group and give resources "
        "purpose-made groups, so nothing is reachable just because it was launched without one."
    ),
)
def default_security_group_closed(ctx: CheckContext) -> list[Result]:
    results = []
    groups = ctx.paginate(
        "ec2",
        "describe_security_groups",
        "SecurityGroups",
        Filters=[{"Name": "group-name", "Values": ["default"]}],
    )
    for group in groups:
        rules = len(group.get("IpPermissions", [])) + len(group.get("IpPermissionsEgress", []))
        label = f"The default security group of {group.get('VpcId', 'EC2-Classic')}"
        if rules:
            results.append(failed(_sg_arn(ctx, group), f"{label} still has {plural(rules, 'rule')}."))
        else:
            results.append(passed(_sg_arn(ctx, group), f"{label} allows no traffic."))
    return results or [not_applicable(ctx.account_setting_arn("ec2"), f"No VPCs in {ctx.region}.")]


def _open_admin_ports(permission: dict[str, Any]) -> list[str]:
    sources = {r.get("CidrIp") for r in permission.get("IpRanges", [])}
    sources |= {r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])}
    if not sources & WORLD:
        return []
    if permission.get("IpProtocol") == "-1":
        return ["every port"]
    if permission.get("IpProtocol") not in ("tcp", "6"):
        return []
    low, high = permission.get("FromPort", 0), permission.get("ToPort", 65535)
    return [f"{name} ({port})" for port, name in ADMIN_PORTS.items() if low <= port <= high]


@check(
    id="ec2.admin_ports_closed_to_world",
    title="No security group opens SSH or RDP to the internet",
    best_practices=["SEC05-BP02", "SEC06-BP03"],
    service="ec2",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Remove inbound rules from 0.0.0.0/0 or ::/0 to ports 22 and 3389; reach instances through Systems "
        "Manager Session Manager, or allow only known address ranges."
    ),
)
def admin_ports_closed_to_world(ctx: CheckContext) -> list[Result]:
    results = []
    for group in ctx.paginate("ec2", "describe_security_groups", "SecurityGroups"):
        exposed = sorted(
            {port for rule in group.get("IpPermissions", []) for port in _open_admin_ports(rule)}
        )
        name = f"{group['GroupName']} ({group['GroupId']})"
        if exposed:
            results.append(failed(_sg_arn(ctx, group), f"{name} allows {', '.join(exposed)} from anywhere."))
        else:
            results.append(passed(_sg_arn(ctx, group), f"{name} does not expose SSH or RDP to the internet."))
    return results or [not_applicable(ctx.account_setting_arn("ec2"), f"No security groups in {ctx.region}.")]


@check(
    id="ec2.vpc_flow_logs",
    title="Every VPC has flow logs",
    best_practices=["SEC04-BP01"],
    service="ec2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Create flow logs for each VPC (to CloudWatch Logs or S3) so network traffic can be investigated."
    ),
)
def vpc_flow_logs(ctx: CheckContext) -> list[Result]:
    vpcs = list(ctx.paginate("ec2", "describe_vpcs", "Vpcs"))
    if not vpcs:
        return [not_applicable(ctx.account_setting_arn("ec2"), f"No VPCs in {ctx.region}.")]
    logged = {
        flow["ResourceId"]
        for flow in ctx.paginate("ec2", "describe_flow_logs", "FlowLogs")
        if flow.get("FlowLogStatus", "ACTIVE") == "ACTIVE"
    }
    results = []
    for vpc in vpcs:
        arn = ctx.arn("ec2", f"vpc/{vpc['VpcId']}")
        if vpc["VpcId"] in logged:
            results.append(passed(arn, f"{vpc['VpcId']} records flow logs."))
        else:
            results.append(failed(arn, f"{vpc['VpcId']} has no flow logs."))
    return results


@check(
    id="rds.not_publicly_accessible",
    title="No RDS database instance is publicly accessible",
    best_practices=["SEC05-BP01"],
    service="rds",
    scope="regional",
    severity="HIGH",
    remediation=(
        'Turn off "Publicly accessible" and place database instances in private subnets that only the '
        "application tier can reach."
    ),
)
def not_publicly_accessible(ctx: CheckContext) -> list[Result]:
    results = []
    for db in ctx.paginate("rds", "describe_db_instances", "DBInstances"):
        name = db["DBInstanceIdentifier"]
        if db.get("PubliclyAccessible"):
            results.append(failed(db["DBInstanceArn"], f"{name} has a public endpoint."))
        else:
            results.append(passed(db["DBInstanceArn"], f"{name} is reachable only from inside its VPC."))
    return results or [not_applicable(ctx.account_setting_arn("rds"), f"No RDS instances in {ctx.region}.")]


def public_load_balancers(ctx: CheckContext, kind: str = "application") -> list[dict[str, Any]]:
    return [
        lb
        for lb in ctx.paginate("elbv2", "describe_load_balancers", "LoadBalancers")
        if lb.get("Type") == kind and lb.get("Scheme") == "internet-facing"
    ]


@check(
    id="wafv2.public_alb_protected",
    title="Internet-facing application load balancers have a WAF web ACL",
    best_practices=["SEC05-BP03"],
    service="wafv2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Associate an AWS WAF web ACL (at least the AWS managed common and known-bad-inputs rule groups) "
        "with each internet-facing application load balancer."
    ),
)
def public_alb_protected(ctx: CheckContext) -> list[Result]:
    results = []
    waf = ctx.client("wafv2")
    for lb in public_load_balancers(ctx):
        acl = waf.get_web_acl_for_resource(ResourceArn=lb["LoadBalancerArn"]).get("WebACL")
        if acl:
            results.append(
                passed(lb["LoadBalancerArn"], f"{lb['LoadBalancerName']} is protected by {acl['Name']}.")
            )
        else:
            results.append(failed(lb["LoadBalancerArn"], f"{lb['LoadBalancerName']} has no WAF web ACL."))
    return results or [
        not_applicable(ctx.account_setting_arn("elasticloadbalancing"), f"No public ALBs in {ctx.region}.")
    ]
