"""Data protection at rest: S3, EBS, RDS, KMS and Secrets Manager."""

from __future__ import annotations

from typing import Any

from ..registry import CheckContext, Result, check, error_code, failed, not_applicable, passed, plural

BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def buckets(ctx: CheckContext) -> list[tuple[str, str, str]]:
    """(name, region, arn) of every bucket the account owns; shared by all S3 checks of a task."""

    def fetch() -> list[tuple[str, str, str]]:
        s3 = ctx.client("s3")
        found = []
        for bucket in s3.list_buckets().get("Buckets", []):
            name = bucket["Name"]
            region = bucket.get("BucketRegion")
            if not region:
                location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
                region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
            found.append((name, region, f"arn:{ctx.partition}:s3:::{name}"))
        return found

    return ctx.cached("s3.buckets", fetch)


def _account_bpa(ctx: CheckContext) -> dict[str, bool]:
    def fetch() -> dict[str, bool]:
        try:
            return ctx.client("s3control").get_public_access_block(AccountId=ctx.account_id)[
                "PublicAccessBlockConfiguration"
            ]
        except Exception as exc:
            if error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
                return {}
            raise

    return ctx.cached("s3.account_bpa", fetch)


def _no_buckets(ctx: CheckContext) -> list[Result]:
    return [not_applicable(ctx.account_arn, "The account has no S3 buckets.")]


@check(
    id="s3.account_public_access_block",
    title="S3 Block Public Access is on for the whole account",
    best_practices=["SEC03-BP07", "SEC08-BP04"],
    service="s3",
    scope="global",
    severity="HIGH",
    remediation=(
        "Turn on all four S3 Block Public Access settings at account level; serve public content through "
        "CloudFront with origin access control instead of public buckets."
    ),
)
def account_public_access_block(ctx: CheckContext) -> list[Result]:
    settings = _account_bpa(ctx)
    off = [flag for flag in BPA_FLAGS if not settings.get(flag)]
    if not settings:
        return [failed(ctx.account_arn, "Account-level S3 Block Public Access is not configured.")]
    if off:
        return [
            failed(ctx.account_arn, f"Account-level S3 Block Public Access leaves off: {', '.join(off)}.")
        ]
    return [passed(ctx.account_arn, "All four account-level S3 Block Public Access settings are on.")]


@check(
    id="s3.bucket_public_access_block",
    title="Every S3 bucket blocks public access",
    best_practices=["SEC08-BP04"],
    service="s3",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Turn on all four Block Public Access settings on each bucket (or once for the whole account)."
    ),
)
def bucket_public_access_block(ctx: CheckContext) -> list[Result]:
    if all(_account_bpa(ctx).get(flag) for flag in BPA_FLAGS):
        if not buckets(ctx):
            return _no_buckets(ctx)
        return [
            passed(arn, f"{name} is covered by account-level Block Public Access.", region)
            for name, region, arn in buckets(ctx)
        ]
    results = []
    for name, region, arn in buckets(ctx):
        try:
            settings = ctx.client("s3", region).get_public_access_block(Bucket=name)[
                "PublicAccessBlockConfiguration"
            ]
        except Exception as exc:
            if error_code(exc) != "NoSuchPublicAccessBlockConfiguration":
                raise
            settings = {}
        off = [flag for flag in BPA_FLAGS if not settings.get(flag)]
        if off:
            results.append(
                failed(arn, f"{name} does not block public access ({', '.join(off)} off).", region)
            )
        else:
            results.append(passed(arn, f"{name} blocks all public access.", region))
    return results or _no_buckets(ctx)


@check(
    id="s3.bucket_default_encryption",
    title="Every S3 bucket encrypts new objects by default",
    best_practices=["SEC08-BP02"],
    service="s3",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Set default encryption on each bucket (SSE-KMS with a customer managed key for sensitive data)."
    ),
)
def bucket_default_encryption(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        try:
            rules = ctx.client("s3", region).get_bucket_encryption(Bucket=name)[
                "ServerSideEncryptionConfiguration"
            ]
        except Exception as exc:
            if error_code(exc) != "ServerSideEncryptionConfigurationNotFoundError":
                raise
            results.append(failed(arn, f"{name} has no default encryption.", region))
            continue
        algorithms = sorted(
            {rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules.get("Rules", [])}
        )
        results.append(passed(arn, f"{name} encrypts new objects with {', '.join(algorithms)}.", region))
    return results or _no_buckets(ctx)


@check(
    id="s3.bucket_lifecycle",
    title="Every S3 bucket has lifecycle rules",
    best_practices=["SEC07-BP04"],
    service="s3",
    scope="global",
    severity="LOW",
    remediation=(
        "Add lifecycle rules that expire or archive objects after the retention period your data "
        "classification sets, so data is not kept longer than it is needed."
    ),
)
def bucket_lifecycle(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        try:
            rules = ctx.client("s3", region).get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
        except Exception as exc:
            if error_code(exc) != "NoSuchLifecycleConfiguration":
                raise
            rules = []
        enabled = [rule for rule in rules if rule.get("Status") == "Enabled"]
        if enabled:
            results.append(passed(arn, f"{name} has {plural(len(enabled), 'lifecycle rule')}.", region))
        else:
            results.append(failed(arn, f"{name} keeps every object until someone deletes it.", region))
    return results or _no_buckets(ctx)


@check(
    id="ec2.ebs_encryption_by_default",
    title="New EBS volumes are encrypted by default",
    best_practices=["SEC08-BP02", "SEC08-BP03"],
    service="ec2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Turn on EBS encryption by default in every region (EC2 > Account attributes > Data protection)."
    ),
)
def ebs_encryption_by_default(ctx: CheckContext) -> list[Result]:
    where = ctx.account_setting_arn("ec2")
    if ctx.client("ec2").get_ebs_encryption_by_default().get("EbsEncryptionByDefault"):
        return [passed(where, f"EBS encryption by default is on in {ctx.region}.")]
    return [failed(where, f"EBS encryption by default is off in {ctx.region}.")]


@check(
    id="ec2.ebs_volumes_encrypted",
    title="Every EBS volume is encrypted",
    best_practices=["SEC08-BP02"],
    service="ec2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Copy a snapshot of each unencrypted volume with encryption on, and replace the volume with it."
    ),
)
def ebs_volumes_encrypted(ctx: CheckContext) -> list[Result]:
    results = []
    for volume in ctx.paginate("ec2", "describe_volumes", "Volumes"):
        arn = ctx.arn("ec2", f"volume/{volume['VolumeId']}")
        if volume.get("Encrypted"):
            results.append(passed(arn, f"{volume['VolumeId']} is encrypted."))
        else:
            results.append(failed(arn, f"{volume['VolumeId']} is not encrypted."))
    return results or [not_applicable(ctx.account_setting_arn("ec2"), f"No EBS volumes in {ctx.region}.")]


@check(
    id="ec2.snapshots_not_public",
    title="No EBS snapshot is shared publicly",
    best_practices=["SEC03-BP07", "SEC08-BP04"],
    service="ec2",
    scope="regional",
    severity="HIGH",
    remediation=(
        'Remove the public ("all") create-volume permission from each snapshot; share with named accounts.'
    ),
)
def snapshots_not_public(ctx: CheckContext) -> list[Result]:
    ec2 = ctx.client("ec2")
    results = []
    for snapshot in ctx.paginate("ec2", "describe_snapshots", "Snapshots", OwnerIds=["self"]):
        snapshot_id = snapshot["SnapshotId"]
        permissions = ec2.describe_snapshot_attribute(
            SnapshotId=snapshot_id, Attribute="createVolumePermission"
        )
        public = any(p.get("Group") == "all" for p in permissions.get("CreateVolumePermissions", []))
        # Snapshot ARNs carry no account id.
        arn = f"arn:{ctx.partition}:ec2:{ctx.region}::snapshot/{snapshot_id}"
        if public:
            results.append(failed(arn, f"{snapshot_id} can be copied by any AWS account."))
        else:
            results.append(passed(arn, f"{snapshot_id} is not public."))
    return results or [not_applicable(ctx.account_setting_arn("ec2"), f"No EBS snapshots in {ctx.region}.")]


@check(
    id="rds.storage_encrypted",
    title="Every RDS database instance encrypts its storage",
    best_practices=["SEC08-BP02"],
    service="rds",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Restore an encrypted copy of each unencrypted instance from a snapshot copied with encryption on."
    ),
)
def storage_encrypted(ctx: CheckContext) -> list[Result]:
    results = []
    for db in ctx.paginate("rds", "describe_db_instances", "DBInstances"):
        name = db["DBInstanceIdentifier"]
        if db.get("StorageEncrypted"):
            results.append(passed(db["DBInstanceArn"], f"{name} encrypts its storage."))
        else:
            results.append(failed(db["DBInstanceArn"], f"{name} stores data unencrypted."))
    return results or [not_applicable(ctx.account_setting_arn("rds"), f"No RDS instances in {ctx.region}.")]


def _customer_keys(ctx: CheckContext) -> list[dict[str, Any]]:
    kms = ctx.client("kms")
    keys = []
    for key in ctx.paginate("kms", "list_keys", "Keys"):
        metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
        if (
            metadata.get("KeyManager") == "CUSTOMER"
            and metadata.get("KeyState") == "Enabled"
            and metadata.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
            and metadata.get("Origin", "AWS_KMS") == "AWS_KMS"
        ):
            keys.append(metadata)
    return keys


@check(
    id="kms.customer_key_rotation",
    title="Customer managed KMS keys rotate automatically",
    best_practices=["SEC08-BP01"],
    service="kms",
    scope="regional",
    severity="MEDIUM",
    remediation="Enable automatic rotation on each symmetric customer managed key (yearly or more often).",
)
def customer_key_rotation(ctx: CheckContext) -> list[Result]:
    kms = ctx.client("kms")
    results = []
    for key in _customer_keys(ctx):
        if kms.get_key_rotation_status(KeyId=key["KeyId"]).get("KeyRotationEnabled"):
            results.append(passed(key["Arn"], f"Key {key['KeyId']} rotates automatically."))
        else:
            results.append(failed(key["Arn"], f"Key {key['KeyId']} is never rotated."))
    return results or [
        not_applicable(ctx.account_setting_arn("kms"), f"No customer managed keys in {ctx.region}.")
    ]


@check(
    id="secretsmanager.rotation",
    title="Secrets in Secrets Manager rotate automatically",
    best_practices=["SEC02-BP03", "SEC02-BP05"],
    service="secretsmanager",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Turn on rotation for each secret with a rotation function, at an interval that fits its use."
    ),
)
def secret_rotation(ctx: CheckContext) -> list[Result]:
    results = []
    for secret in ctx.paginate("secretsmanager", "list_secrets", "SecretList"):
        if secret.get("RotationEnabled"):
            results.append(passed(secret["ARN"], f"{secret['Name']} rotates automatically."))
        else:
            results.append(failed(secret["ARN"], f"{secret['Name']} is never rotated."))
    return results or [
        not_applicable(ctx.account_setting_arn("secretsmanager"), f"No secrets in {ctx.region}.")
    ]
