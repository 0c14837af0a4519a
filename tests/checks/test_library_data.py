from __future__ import annotations

import json

import pytest

from .cases import Case, assert_fails, assert_passes, nothing
from .conftest import ACCOUNT, REGION, run

FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
ALL_ON = dict.fromkeys(FLAGS, True)


def bucket(account, name="shop-assets"):
    account.client("s3").create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def account_bpa(account):
    account.client("s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=ALL_ON
    )


def bucket_bpa(account):
    account.client("s3").put_public_access_block(
        Bucket=bucket(account), PublicAccessBlockConfiguration=ALL_ON
    )


def encrypted_bucket(account):
    account.client("s3").put_bucket_encryption(
        Bucket=bucket(account),
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
        },
    )


def bucket_with_lifecycle(account):
    account.client("s3").put_bucket_lifecycle_configuration(
        Bucket=bucket(account),
        LifecycleConfiguration={
            "Rules": [
                {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365}}
            ]
        },
    )


def ebs_default_on(account):
    account.client("ec2").enable_ebs_encryption_by_default()


def volume(encrypted):
    def setup(account):
        account.client("ec2").create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=encrypted)

    return setup


def snapshot(public):
    def setup(account):
        ec2 = account.client("ec2")
        volume_id = ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8)["VolumeId"]
        snapshot_id = ec2.create_snapshot(VolumeId=volume_id)["SnapshotId"]
        if public:
            ec2.modify_snapshot_attribute(
                SnapshotId=snapshot_id,
                Attribute="createVolumePermission",
                OperationType="add",
                GroupNames=["all"],
            )

    return setup


def database(encrypted):
    def setup(account):
        account.client("rds").create_db_instance(
            DBInstanceIdentifier="orders",
            DBInstanceClass="db.t3.micro",
            Engine="postgres",
            MasterUsername="app",
            MasterUserPassword="a-long-password-1",
            AllocatedStorage=20,
            StorageEncrypted=encrypted,
        )

    return setup


def key(rotating=False, policy=None):
    def setup(account):
        kms = account.client("kms")
        extra = {"Policy": json.dumps(policy)} if policy else {}
        key_id = kms.create_key(Description="orders", **extra)["KeyMetadata"]["KeyId"]
        if rotating:
            kms.enable_key_rotation(KeyId=key_id)

    return setup


ACCOUNT_ADMIN = {
    "Effect": "Allow",
    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
    "Action": "kms:*",
    "Resource": "*",
}
ANYONE_DECRYPTS = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*"}


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def bucket_with_policy(*statements):
    def setup(account):
        account.client("s3").put_bucket_policy(Bucket=bucket(account), Policy=json.dumps(policy(*statements)))

    return setup


PUBLIC_READ = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::shop-assets/*",
}
CLOUDFRONT_READ = {
    "Effect": "Allow",
    "Principal": {"Service": "cloudfront.amazonaws.com"},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::shop-assets/*",
    "Condition": {"StringEquals": {"AWS:SourceArn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/E1"}},
}


def tagged_bucket(label=None, kms=False, blocked=False):
    def setup(account):
        s3 = account.client("s3")
        name = bucket(account)
        if label:
            s3.put_bucket_tagging(
                Bucket=name, Tagging={"TagSet": [{"Key": "DataClassification", "Value": label}]}
            )
        if kms:
            s3.put_bucket_encryption(
                Bucket=name,
                ServerSideEncryptionConfiguration={
                    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]
                },
            )
        if blocked:
            s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=ALL_ON)

    return setup


def secret(rotating):
    def setup(account):
        secrets = account.client("secretsmanager")
        secrets.create_secret(Name="db-password", SecretString="hunter2-but-longer")
        if rotating:
            secrets.rotate_secret(SecretId="db-password", RotationRules={"AutomaticallyAfterDays": 30})

    return setup


CASES = {
    "s3.account_public_access_block": Case(good=account_bpa, bad=nothing),
    "s3.bucket_public_access_block": Case(good=bucket_bpa, bad=bucket),
    "s3.bucket_default_encryption": Case(good=encrypted_bucket, bad=bucket),
    "s3.bucket_lifecycle": Case(good=bucket_with_lifecycle, bad=bucket),
    "ec2.ebs_encryption_by_default": Case(good=ebs_default_on, bad=nothing),
    "ec2.ebs_volumes_encrypted": Case(good=volume(True), bad=volume(False)),
    "ec2.snapshots_not_public": Case(good=snapshot(False), bad=snapshot(True)),
    "rds.storage_encrypted": Case(good=database(True), bad=database(False)),
    "kms.customer_key_rotation": Case(good=key(rotating=True), bad=key(rotating=False)),
    "kms.key_policy_not_public": Case(
        good=key(policy=policy(ACCOUNT_ADMIN)), bad=key(policy=policy(ACCOUNT_ADMIN, ANYONE_DECRYPTS))
    ),
    "s3.bucket_policy_not_public": Case(
        good=bucket_with_policy(CLOUDFRONT_READ), bad=bucket_with_policy(PUBLIC_READ)
    ),
    "s3.data_classification_tags": Case(good=tagged_bucket("internal"), bad=tagged_bucket()),
    "s3.sensitive_buckets_protected": Case(
        good=tagged_bucket("Confidential", kms=True, blocked=True),
        bad=tagged_bucket("Confidential", blocked=True),
    ),
    "secretsmanager.rotation": Case(good=secret(True), bad=secret(False)),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_passes_on_a_compliant_account(account, check_id):
    assert_passes(check_id, CASES[check_id], account)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_it_fails_on_a_non_compliant_account(account, check_id):
    assert_fails(check_id, CASES[check_id], account)


def test_account_level_block_public_access_covers_every_bucket(account):
    account_bpa(account)
    bucket(account)
    [finding] = run("s3.bucket_public_access_block", account)
    assert finding.status == "PASS"
    assert finding.region == REGION
    assert finding.resource_arn == "arn:aws:s3:::shop-assets"


def test_bucket_checks_do_not_apply_without_buckets(account):
    [finding] = run("s3.bucket_default_encryption", account)
    assert finding.status == "NOT_APPLICABLE"


def test_a_public_statement_limited_to_one_source_is_not_public(account):
    restricted = {**PUBLIC_READ, "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}}}
    bucket_with_policy(restricted)(account)
    [finding] = run("s3.bucket_policy_not_public", account)
    assert finding.status == "PASS", finding


def test_unclassified_and_internal_buckets_need_no_extra_protection(account):
    tagged_bucket("internal")(account)
    [finding] = run("s3.sensitive_buckets_protected", account)
    assert finding.status == "NOT_APPLICABLE"


def test_a_sensitive_bucket_that_may_be_public_fails(account):
    tagged_bucket("restricted", kms=True)(account)
    [finding] = run("s3.sensitive_buckets_protected", account)
    assert finding.status == "FAIL" and "Block Public Access" in finding.message
