from __future__ import annotations

import pytest
from botocore.stub import Stubber

from .aws_setups import listener, load_balancer
from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT, REGION, run
from .test_library_transit import distribution


def _default_group(account):
    return account.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]


def close_default_groups(account):
    ec2 = account.client("ec2")
    for group in _default_group(account):
        if group["IpPermissionsEgress"]:
            ec2.revoke_security_group_egress(
                GroupId=group["GroupId"], IpPermissions=group["IpPermissionsEgress"]
            )
        if group["IpPermissions"]:
            ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])


def open_port(port, cidr="0.0.0.0/0"):
    def setup(account):
        ec2 = account.client("ec2")
        group = ec2.create_security_group(GroupName=f"port-{port}", Description="test")["GroupId"]
        ranges = {"Ipv6Ranges": [{"CidrIpv6": cidr}]} if ":" in cidr else {"IpRanges": [{"CidrIp": cidr}]}
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **ranges}],
        )
        return group

    return setup


VISIBILITY = {"SampledRequestsEnabled": False, "CloudWatchMetricsEnabled": False, "MetricName": "acl"}


def web_acl(managed):
    def setup(account):
        rules = []
        if managed:
            rules = [
                {
                    "Name": "core",
                    "Priority": 1,
                    "Statement": {
                        "ManagedRuleGroupStatement": {
                            "VendorName": "AWS",
                            "Name": "AWSManagedRulesCommonRuleSet",
                        }
                    },
                    "OverrideAction": {"None": {}},
                    "VisibilityConfig": VISIBILITY,
                }
            ]
        account.client("wafv2").create_web_acl(
            Name="shop-acl",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig=VISIBILITY,
            Rules=rules,
        )

    return setup


def flow_logs(account):
    ec2 = account.client("ec2")
    account.client("s3").create_bucket(
        Bucket="flow-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    vpcs = [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]]
    ec2.create_flow_logs(
        ResourceIds=vpcs,
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="s3",
        LogDestination="arn:aws:s3:::flow-logs",
    )


def database(public=False, encrypted=True):
    def setup(account):
        account.client("rds").create_db_instance(
            DBInstanceIdentifier="orders",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="app",
            MasterUserPassword="a-long-password-1",
            AllocatedStorage=20,
            PubliclyAccessible=public,
            StorageEncrypted=encrypted,
        )

    return setup


def public_alb(waf):
    def setup(account):
        arn = load_balancer(account)
        listener(account, arn, protocol="HTTP", port=80, redirect=True)
        if waf:
            wafv2 = account.client("wafv2")
            acl = wafv2.create_web_acl(
                Name="shop-acl",
                Scope="REGIONAL",
                DefaultAction={"Allow": {}},
                VisibilityConfig={
                    "SampledRequestsEnabled": False,
                    "CloudWatchMetricsEnabled": False,
                    "MetricName": "acl",
                },
                Rules=[],
            )["Summary"]
            wafv2.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=arn)

    return setup


CASES = {
    "ec2.default_security_group_closed": Case(good=close_default_groups, bad=nothing),
    "ec2.admin_ports_closed_to_world": Case(good=open_port(443), bad=open_port(22)),
    "ec2.vpc_flow_logs": Case(good=flow_logs, bad=nothing),
    "rds.not_publicly_accessible": Case(good=database(), bad=database(public=True)),
    "wafv2.public_alb_protected": Case(good=public_alb(waf=True), bad=public_alb(waf=False)),
    "ec2.database_ports_closed_to_world": Case(good=open_port(443), bad=open_port(5432, "::/0")),
    "wafv2.managed_rule_groups": Case(good=web_acl(True), bad=web_acl(False)),
    "cloudfront.waf_protected": Case(
        good=distribution("https-only", web_acl=f"arn:aws:wafv2:us-east-1:{ACCOUNT}:global/webacl/edge/1"),
        bad=distribution("https-only"),
    ),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


def test_rdp_from_anywhere_fails_but_ssh_from_a_known_range_passes(account):
    open_port(22, cidr="203.0.113.0/24")(account)
    assert_fails("ec2.admin_ports_closed_to_world", Case(good=nothing, bad=open_port(3389)), account)


def test_a_database_on_a_non_default_port_open_to_the_world_fails(account):
    group = open_port(6543)(account)
    account.client("rds").create_db_instance(
        DBInstanceIdentifier="orders",
        DBInstanceClass="db.t3.micro",
        Engine="postgres",
        MasterUsername="app",
        MasterUserPassword="a-long-password-1",
        AllocatedStorage=20,
        Port=6543,
        VpcSecurityGroupIds=[group],
    )
    findings = run("ec2.database_ports_closed_to_world", account)
    [failing] = [f for f in findings if f.status == "FAIL"]
    assert failing.resource_arn.endswith(group) and "orders's port (6543)" in failing.message


def test_a_cache_open_to_the_world_on_its_own_port_fails(account):
    # Moto's DescribeCacheClusters leaves out SecurityGroups; AWS returns them: stub the answer AWS gives.
    group = open_port(6380)(account)
    stubber = Stubber(account.override("elasticache"))
    stubber.add_response(
        "describe_cache_clusters",
        {
            "CacheClusters": [
                {
                    "CacheClusterId": "sessions",
                    "Engine": "redis",
                    "SecurityGroups": [{"SecurityGroupId": group, "Status": "active"}],
                    "CacheNodes": [
                        {"CacheNodeId": "0001", "Endpoint": {"Address": "sessions.cache", "Port": 6380}}
                    ],
                }
            ]
        },
        {"ShowCacheNodeInfo": True},
    )
    with stubber:
        findings = run("ec2.database_ports_closed_to_world", account)
    [failing] = [f for f in findings if f.status == "FAIL"]
    assert "sessions's port (6380)" in failing.message


def test_all_traffic_from_anywhere_exposes_every_port(account):
    ec2 = account.client("ec2")
    group = ec2.create_security_group(GroupName="wide-open", Description="test")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    findings = run("ec2.database_ports_closed_to_world", account)
    assert any(f.status == "FAIL" and "every port" in f.message for f in findings)
    assert REGION in findings[0].resource_arn


def test_a_managed_rule_group_that_only_counts_protects_nothing():
    from checks.library.network import _blocking_managed_groups

    rule = {"Statement": {"ManagedRuleGroupStatement": {"VendorName": "AWS", "Name": "Core"}}}
    assert _blocking_managed_groups({"Rules": [{**rule, "OverrideAction": {"Count": {}}}]}) == []
    assert _blocking_managed_groups({"Rules": [{**rule, "OverrideAction": {"None": {}}}]}) == ["AWS/Core"]
