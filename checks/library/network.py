"""Network protection: security groups (administration and database ports open to the internet), VPC flow
logs, public databases, and AWS WAF in front of public load balancers and CloudFront."""

from __future__ import annotations

from typing import Any

from ..registry import CheckContext, Result, check, failed, not_applicable, passed, plural
from .transit import distributions

ADMIN_PORTS = {22: "SSH", 3389: "RDP"}
# Default ports of database and cache engines; the ports engines in the account really listen on are added.
DATABASE_PORTS = {
    1433: "SQL Server",
    1521: "Oracle",
    2484: "Oracle TCPS",
    3306: "MySQL/MariaDB",
    5432: "PostgreSQL",
    5439: "Redshift",
    6379: "Redis/Valkey",
    8182: "Neptune",
    9042: "Cassandra/Keyspaces",
    9200: "OpenSearch",
    11211: "Memcached",
    27017: "MongoDB/DocumentDB",
}
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
    actions=["ec2:DescribeSecurityGroups"],
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


def _security_groups(ctx: CheckContext) -> list[dict[str, Any]]:
    return ctx.cached(
        "ec2.security_groups", lambda: list(ctx.paginate("ec2", "describe_security_groups", "SecurityGroups"))
    )


def _world_open_ranges(permission: dict[str, Any]) -> list[tuple[int, int]]:
    """The TCP port ranges an inbound rule opens to 0.0.0.0/0 or ::/0 (every port for "all traffic")."""
    sources = {r.get("CidrIp") for r in permission.get("IpRanges", [])}
    sources |= {r.get("CidrIpv6") for r in permission.get("Ipv6Ranges", [])}
    if not sources & WORLD:
        return []
    if permission.get("IpProtocol") == "-1":
        return [(0, 65535)]
    if permission.get("IpProtocol") not in ("tcp", "6"):
        return []
    return [(permission.get("FromPort", 0), permission.get("ToPort", 65535))]


def _exposed(group: dict[str, Any], ports: dict[int, str]) -> list[str]:
    ranges = [span for rule in group.get("IpPermissions", []) for span in _world_open_ranges(rule)]
    if (0, 65535) in ranges and ports:
        return ["every port"]
    return sorted(
        {f"{name} ({port})" for port, name in ports.items() if any(lo <= port <= hi for lo, hi in ranges)}
    )


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
    actions=["ec2:DescribeSecurityGroups"],
)
def admin_ports_closed_to_world(ctx: CheckContext) -> list[Result]:
    results = []
    for group in _security_groups(ctx):
        exposed = _exposed(group, ADMIN_PORTS)
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
    actions=["ec2:DescribeVpcs", "ec2:DescribeFlowLogs"],
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
    actions=["rds:DescribeDBInstances"],
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
    actions=["elasticloadbalancing:DescribeLoadBalancers", "wafv2:GetWebACLForResource"],
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


def _engine_ports(ctx: CheckContext) -> dict[str, dict[int, str]]:
    """{security group id: {port: engine}} of the databases and caches in the region, on whatever port each
    really listens (a PostgreSQL moved to 6543 is still a database open to the world)."""
    found: dict[str, dict[int, str]] = {}

    def add(groups: list[str], port: int | None, label: str) -> None:
        for group_id in groups:
            if port:
                found.setdefault(group_id, {})[int(port)] = label

    for db in ctx.paginate("rds", "describe_db_instances", "DBInstances"):
        groups = [g["VpcSecurityGroupId"] for g in db.get("VpcSecurityGroups", [])]
        add(
            groups,
            (db.get("Endpoint") or {}).get("Port") or db.get("DbInstancePort"),
            db["DBInstanceIdentifier"],
        )
    for cluster in ctx.paginate("rds", "describe_db_clusters", "DBClusters"):
        groups = [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])]
        add(groups, cluster.get("Port"), cluster["DBClusterIdentifier"])
    caches = ctx.paginate("elasticache", "describe_cache_clusters", "CacheClusters", ShowCacheNodeInfo=True)
    for cache in caches:
        groups = [g["SecurityGroupId"] for g in cache.get("SecurityGroups", [])]
        ports = {(cache.get("ConfigurationEndpoint") or {}).get("Port")}
        ports |= {(node.get("Endpoint") or {}).get("Port") for node in cache.get("CacheNodes", [])}
        for port in ports:
            add(groups, port, cache["CacheClusterId"])
    for cluster in ctx.paginate("redshift", "describe_clusters", "Clusters"):
        groups = [g["VpcSecurityGroupId"] for g in cluster.get("VpcSecurityGroups", [])]
        add(groups, (cluster.get("Endpoint") or {}).get("Port"), cluster["ClusterIdentifier"])
    return found


@check(
    id="ec2.database_ports_closed_to_world",
    title="No security group opens a database or cache port to the internet",
    best_practices=["SEC05-BP02", "SEC05-BP01"],
    service="ec2",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Remove inbound rules from 0.0.0.0/0 and ::/0 to database and cache ports; put databases in private "
        "subnets and allow only the application tier's security group."
    ),
    actions=[
        "ec2:DescribeSecurityGroups",
        "rds:DescribeDBInstances",
        "rds:DescribeDBClusters",
        "elasticache:DescribeCacheClusters",
        "redshift:DescribeClusters",
    ],
)
def database_ports_closed_to_world(ctx: CheckContext) -> list[Result]:
    engines = _engine_ports(ctx)
    results = []
    for group in _security_groups(ctx):
        ports = {
            **DATABASE_PORTS,
            **{port: f"{label}'s port" for port, label in engines.get(group["GroupId"], {}).items()},
        }
        exposed = _exposed(group, ports)
        name = f"{group['GroupName']} ({group['GroupId']})"
        if exposed:
            results.append(failed(_sg_arn(ctx, group), f"{name} allows {', '.join(exposed)} from anywhere."))
        else:
            results.append(
                passed(_sg_arn(ctx, group), f"{name} opens no database or cache port to the internet.")
            )
    return results or [not_applicable(ctx.account_setting_arn("ec2"), f"No security groups in {ctx.region}.")]


def _web_acls(ctx: CheckContext) -> list[dict[str, Any]]:
    """Every regional web ACL, described. WAFv2 pages with NextMarker and botocore has no paginator for it."""
    waf = ctx.client("wafv2")
    summaries: list[dict[str, Any]] = []
    marker = None
    while True:
        page = waf.list_web_acls(Scope="REGIONAL", **({"NextMarker": marker} if marker else {}))
        summaries.extend(page.get("WebACLs", []))
        marker = page.get("NextMarker")
        if not marker or not page.get("WebACLs"):
            break
    return [waf.get_web_acl(Name=acl["Name"], Scope="REGIONAL", Id=acl["Id"])["WebACL"] for acl in summaries]


def _blocking_managed_groups(acl: dict[str, Any]) -> list[str]:
    """Managed rule groups (AWS's or a seller's, kept current by them) that may block, not only count."""
    names = []
    for rule in acl.get("Rules", []):
        group = rule.get("Statement", {}).get("ManagedRuleGroupStatement")
        if group and "Count" not in (rule.get("OverrideAction") or {}):
            names.append(f"{group.get('VendorName', '')}/{group.get('Name', '')}")
    if acl.get("ManagedByFirewallManager"):
        names.append("Firewall Manager policy")
    return names


@check(
    id="wafv2.managed_rule_groups",
    title="WAF web ACLs use managed rule groups that are kept up to date for you",
    best_practices=["SEC05-BP04", "SEC05-BP03"],
    service="wafv2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Add AWS managed rule groups (core rule set, known bad inputs, IP reputation) to each web ACL in block "
        "mode, or manage web ACLs centrally with Firewall Manager, so protections follow new threats "
        "without manual rule updates."
    ),
    actions=["wafv2:ListWebACLs", "wafv2:GetWebACL"],
)
def managed_rule_groups(ctx: CheckContext) -> list[Result]:
    results = []
    for acl in _web_acls(ctx):
        groups = _blocking_managed_groups(acl)
        if groups:
            results.append(passed(acl["ARN"], f"Web ACL {acl['Name']} uses {', '.join(groups)}."))
        else:
            results.append(
                failed(
                    acl["ARN"], f"Web ACL {acl['Name']} has only rules someone must keep up to date by hand."
                )
            )
    return results or [
        not_applicable(ctx.account_setting_arn("wafv2"), f"No regional web ACLs in {ctx.region}.")
    ]


@check(
    id="cloudfront.waf_protected",
    title="CloudFront distributions have a WAF web ACL",
    best_practices=["SEC05-BP03"],
    service="cloudfront",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Associate an AWS WAF web ACL (scope CLOUDFRONT, with AWS managed rule groups) with each distribution."
    ),
    actions=["cloudfront:ListDistributions"],
)
def cloudfront_waf_protected(ctx: CheckContext) -> list[Result]:
    results = []
    for distribution in distributions(ctx):
        label = f"Distribution {distribution['Id']} ({distribution.get('DomainName', '')})"
        if distribution.get("WebACLId"):
            results.append(passed(distribution["ARN"], f"{label} is protected by a WAF web ACL."))
        else:
            results.append(failed(distribution["ARN"], f"{label} has no WAF web ACL."))
    return results or [not_applicable(ctx.account_arn, "There are no CloudFront distributions.")]
