from __future__ import annotations

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


def key(rotating):
    def setup(account):
        kms = account.client("kms")
        key_id = kms.create_key(Description="orders")["KeyMetadata"]["KeyId"]
        if rotating:
            kms.enable_key_rotation(KeyId=key_id)

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
    "kms.customer_key_rotation": Case(good=key(True), bad=key(False)),
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
