"""A demo AWS account on a local emulator (moto's server): resources that pass the checks, and some that fail.

Used by `manage.py demo_evidence` so a first-time user sees evidence collection work without an AWS account,
and by the end-to-end test. Every call goes through an assumed-role session from aws.py, like a real run.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from . import aws
from .models import AwsTarget

logger = logging.getLogger(__name__)

DEMO_ACCOUNT = "210987654321"
DEMO_ROLE = f"arn:aws:iam::{DEMO_ACCOUNT}:role/WellArchitectedEvidence"
SEED_RUN = "demo-seed"


def demo_session(account_id: str = DEMO_ACCOUNT, region: str = "eu-west-1") -> aws.AccountSession:
    """A session in `account_id` on the emulator: the emulator creates the account on first use."""
    target = AwsTarget(
        account_id=account_id,
        role_arn=f"arn:aws:iam::{account_id}:role/WellArchitectedEvidence",
        regions=[region],
    )
    return aws.assume_role(target, SEED_RUN, region=region)


def _self_signed_certificate(days: int) -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "shop.demo.example")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM), private


class _Seeder:
    def __init__(self, account: aws.AccountSession, home: str) -> None:
        self.account = account
        self.home = home

    def client(self, service: str, region: str | None = None) -> Any:
        return self.account.client(service, region or self.home)

    def bucket(self, name: str) -> None:
        config = (
            {}
            if self.home == "us-east-1"
            else {"CreateBucketConfiguration": {"LocationConstraint": self.home}}
        )
        self.client("s3").create_bucket(Bucket=name, **config)

    # --- What passes ---------------------------------------------------------------------------------------

    def strong_password_policy(self) -> None:
        self.client("iam").update_account_password_policy(
            MinimumPasswordLength=16, PasswordReusePrevention=12
        )

    def trail(self) -> None:
        self.bucket("demo-shop-cloudtrail")
        cloudtrail = self.client("cloudtrail")
        cloudtrail.create_trail(
            Name="organization-trail",
            S3BucketName="demo-shop-cloudtrail",
            IsMultiRegionTrail=True,
            EnableLogFileValidation=True,
        )
        cloudtrail.start_logging(Name="organization-trail")

    def guardduty_in_home_region(self) -> None:
        self.client("guardduty").create_detector(Enable=True)

    def encrypted_assets_bucket(self) -> None:
        s3 = self.client("s3")
        self.bucket("demo-shop-assets")
        s3.put_bucket_encryption(
            Bucket="demo-shop-assets",
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
            },
        )
        deny_http = {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::demo-shop-assets", "arn:aws:s3:::demo-shop-assets/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        s3.put_bucket_policy(
            Bucket="demo-shop-assets", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny_http]})
        )
        flags = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        s3.put_public_access_block(
            Bucket="demo-shop-assets", PublicAccessBlockConfiguration=dict.fromkeys(flags, True)
        )
        s3.put_bucket_lifecycle_configuration(
            Bucket="demo-shop-assets",
            LifecycleConfiguration={
                "Rules": [
                    {
                        "ID": "expire-old",
                        "Status": "Enabled",
                        "Filter": {"Prefix": ""},
                        "Expiration": {"Days": 400},
                    }
                ]
            },
        )

    def ebs_default_encryption(self) -> None:
        self.client("ec2").enable_ebs_encryption_by_default()

    def security_contact(self) -> None:
        self.client("account").put_alternate_contact(
            AlternateContactType="SECURITY",
            EmailAddress="security@shop.demo.example",
            Name="Demo security team",
            PhoneNumber="+10000000000",
            Title="Security on call",
        )

    def rotating_key_and_secret(self) -> None:
        kms = self.client("kms")
        kms.enable_key_rotation(KeyId=kms.create_key(Description="demo-shop orders")["KeyMetadata"]["KeyId"])
        manager = self.client("secretsmanager")
        manager.create_secret(Name="demo-shop/db", SecretString=secrets.token_urlsafe(16))
        manager.rotate_secret(SecretId="demo-shop/db", RotationRules={"AutomaticallyAfterDays": 30})

    def private_encrypted_database(self) -> None:
        self.client("rds").create_db_instance(
            DBInstanceIdentifier="demo-shop-orders",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="shop",
            MasterUserPassword=secrets.token_urlsafe(16),
            AllocatedStorage=20,
            StorageEncrypted=True,
            PubliclyAccessible=False,
        )

    def scanned_repository(self) -> None:
        self.client("ecr").create_repository(
            repositoryName="demo-shop/web", imageScanningConfiguration={"scanOnPush": True}
        )

    # --- What fails ----------------------------------------------------------------------------------------

    def legacy_admin_user(self) -> None:
        iam = self.client("iam")
        iam.create_user(UserName="legacy-admin")
        iam.create_login_profile(UserName="legacy-admin", Password=secrets.token_urlsafe(16))
        iam.create_access_key(UserName="legacy-admin")
        admin = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        arn = iam.create_policy(PolicyName="legacy-full-access", PolicyDocument=json.dumps(admin))["Policy"][
            "Arn"
        ]
        iam.attach_user_policy(UserName="legacy-admin", PolicyArn=arn)

    def unprotected_logs_bucket(self) -> None:
        self.bucket("demo-shop-access-logs")

    def ssh_open_to_the_world(self) -> None:
        ec2 = self.client("ec2")
        group = ec2.create_security_group(GroupName="bastion-ssh", Description="Bastion host (demo)")[
            "GroupId"
        ]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )

    def unencrypted_volume(self) -> None:
        self.client("ec2").create_volume(AvailabilityZone=f"{self.home}a", Size=20, Encrypted=False)

    def expiring_certificate(self) -> None:
        certificate, key = _self_signed_certificate(days=12)
        self.client("acm").import_certificate(Certificate=certificate, PrivateKey=key)

    def plain_http_load_balancer(self) -> None:
        ec2, elbv2 = self.client("ec2"), self.client("elbv2")
        subnets = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][
            :2
        ]
        lb = elbv2.create_load_balancer(
            Name="demo-shop-web",
            Subnets=[s["SubnetId"] for s in subnets],
            Scheme="internet-facing",
            Type="application",
        )["LoadBalancers"][0]
        group = elbv2.create_target_group(Name="demo-shop-web", Protocol="HTTP", Port=80, VpcId=lb["VpcId"])
        elbv2.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"],
            Protocol="HTTP",
            Port=80,
            DefaultActions=[
                {"Type": "forward", "TargetGroupArn": group["TargetGroups"][0]["TargetGroupArn"]}
            ],
        )

    def old_lambda_runtime(self) -> None:
        iam = self.client("iam")
        role = iam.create_role(RoleName="demo-shop-fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        self.client("lambda").create_function(
            FunctionName="demo-shop-thumbnails",
            Runtime="python3.8",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        )


def seed_demo_account(account: aws.AccountSession, regions: list[str]) -> list[str]:
    """Create the demo resources; returns the steps that did not apply (already there, or unsupported)."""
    seeder = _Seeder(account, regions[0] if regions else "eu-west-1")
    steps: list[Callable[[], None]] = [
        seeder.strong_password_policy,
        seeder.trail,
        seeder.guardduty_in_home_region,
        seeder.encrypted_assets_bucket,
        seeder.ebs_default_encryption,
        seeder.security_contact,
        seeder.rotating_key_and_secret,
        seeder.private_encrypted_database,
        seeder.scanned_repository,
        seeder.legacy_admin_user,
        seeder.unprotected_logs_bucket,
        seeder.ssh_open_to_the_world,
        seeder.unencrypted_volume,
        seeder.expiring_certificate,
        seeder.plain_http_load_balancer,
        seeder.old_lambda_runtime,
    ]
    skipped = []
    for step in steps:
        try:
            step()
        except (ClientError, BotoCoreError) as exc:
            # Seeding an emulator that already holds the demo resources is fine: keep what is there.
            logger.info("demo seed step %s skipped: %s", step.__name__, exc)
            skipped.append(step.__name__)
    return skipped
