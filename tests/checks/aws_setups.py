"""Moto resources several check tests need: load balancers, certificates, instances."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from .conftest import REGION


def self_signed(domain: str = "shop.example.test", days: int = 365) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), pem_key


def import_certificate(account, days: int = 365) -> str:
    certificate, key = self_signed(days=days)
    return account.client("acm").import_certificate(Certificate=certificate, PrivateKey=key)["CertificateArn"]


def default_subnets(account) -> list[str]:
    subnets = account.client("ec2").describe_subnets(
        Filters=[{"Name": "default-for-az", "Values": ["true"]}]
    )["Subnets"]
    return [subnet["SubnetId"] for subnet in subnets[:2]]


def load_balancer(account, *, scheme: str = "internet-facing", name: str = "shop") -> str:
    elbv2 = account.client("elbv2")
    return elbv2.create_load_balancer(
        Name=name, Subnets=default_subnets(account), Scheme=scheme, Type="application"
    )["LoadBalancers"][0]["LoadBalancerArn"]


def listener(
    account, lb_arn: str, *, protocol: str, port: int, policy: str | None = None, redirect: bool = False
) -> None:
    elbv2 = account.client("elbv2")
    if redirect:
        actions = [
            {
                "Type": "redirect",
                "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
            }
        ]
    else:
        vpc = account.client("ec2").describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])[
            "Vpcs"
        ][0]["VpcId"]
        group = elbv2.create_target_group(Name=f"tg-{port}", Protocol="HTTP", Port=80, VpcId=vpc)[
            "TargetGroups"
        ][0]
        actions = [{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}]
    extra = {}
    if protocol == "HTTPS":
        extra = {"Certificates": [{"CertificateArn": import_certificate(account)}], "SslPolicy": policy}
    elbv2.create_listener(
        LoadBalancerArn=lb_arn, Protocol=protocol, Port=port, DefaultActions=actions, **extra
    )


def instance(account, *, tokens: str = "required") -> str:
    ec2 = account.client("ec2")
    # The tests skip moto's public AMI catalogue (slow to load), so register an image of our own.
    image = ec2.register_image(Name="base", RootDeviceName="/dev/xvda", Architecture="x86_64")["ImageId"]
    return ec2.run_instances(
        ImageId=image, MinCount=1, MaxCount=1, InstanceType="t3.micro", MetadataOptions={"HttpTokens": tokens}
    )["Instances"][0]["InstanceId"]


__all__ = [
    "REGION",
    "default_subnets",
    "import_certificate",
    "instance",
    "listener",
    "load_balancer",
    "self_signed",
]
