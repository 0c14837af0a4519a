"""Data protection at rest: S3, EBS, RDS, KMS and Secrets Manager, and data classification on S3."""

from __future__ import annotations

from typing import Any

from .. import policydoc
from ..registry import CheckContext, Result, check, error_code, failed, not_applicable, passed, plural
from ..s3state import (
    BPA_FLAGS,
    account_bpa,
    blocks_public_access,
    bucket_bpa,
    bucket_encryption,
    bucket_policy,
    bucket_tags,
    buckets,
    classification,
    is_sensitive,
)

_account_bpa = account_bpa
S3_LIST = ["s3:ListAllMyBuckets", "s3:GetBucketLocation"]


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
    actions=["s3:GetAccountPublicAccessBlock"],
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
    actions=[*S3_LIST, "s3:GetAccountPublicAccessBlock", "s3:GetBucketPublicAccessBlock"],
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
        settings = bucket_bpa(ctx, name, region)
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
    actions=[*S3_LIST, "s3:GetEncryptionConfiguration"],
)
def bucket_default_encryption(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        algorithms = bucket_encryption(ctx, name, region)
        if algorithms:
            results.append(passed(arn, f"{name} encrypts new objects with {', '.join(algorithms)}.", region))
        else:
            results.append(failed(arn, f"{name} has no default encryption.", region))
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
    actions=[*S3_LIST, "s3:GetLifecycleConfiguration"],
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
    actions=["ec2:GetEbsEncryptionByDefault"],
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
    actions=["ec2:DescribeVolumes"],
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
    actions=["ec2:DescribeSnapshots", "ec2:DescribeSnapshotAttribute"],
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
    actions=["rds:DescribeDBInstances"],
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


def _customer_managed_keys(ctx: CheckContext) -> list[dict[str, Any]]:
    """Metadata of the enabled customer managed keys of the region (AWS managed keys are not ours to fix)."""

    def fetch() -> list[dict[str, Any]]:
        kms = ctx.client("kms")
        keys = []
        for key in ctx.paginate("kms", "list_keys", "Keys"):
            metadata = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if metadata.get("KeyManager") == "CUSTOMER" and metadata.get("KeyState") == "Enabled":
                keys.append(metadata)
        return keys

    return ctx.cached("kms.customer_keys", fetch)


def _customer_keys(ctx: CheckContext) -> list[dict[str, Any]]:
    """The keys AWS can rotate automatically: symmetric, with key material KMS generated."""
    return [
        metadata
        for metadata in _customer_managed_keys(ctx)
        if metadata.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
        and metadata.get("Origin", "AWS_KMS") == "AWS_KMS"
    ]


@check(
    id="kms.customer_key_rotation",
    title="Customer managed KMS keys rotate automatically",
    best_practices=["SEC08-BP01"],
    service="kms",
    scope="regional",
    severity="MEDIUM",
    remediation="Enable automatic rotation on each symmetric customer managed key (yearly or more often).",
    actions=["kms:ListKeys", "kms:DescribeKey", "kms:GetKeyRotationStatus"],
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
    actions=["secretsmanager:ListSecrets"],
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


@check(
    id="kms.key_policy_not_public",
    title="No KMS key policy lets anyone use the key",
    best_practices=["SEC08-BP01", "SEC03-BP07"],
    service="kms",
    scope="regional",
    severity="HIGH",
    remediation=(
        'Replace key-policy statements with Principal "*" by the account or roles that need the key, or add '
        "a kms:CallerAccount or aws:PrincipalOrgID condition; keep key administration and key use separate."
    ),
    actions=["kms:ListKeys", "kms:DescribeKey", "kms:GetKeyPolicy"],
)
def key_policy_not_public(ctx: CheckContext) -> list[Result]:
    kms = ctx.client("kms")
    results = []
    for key in _customer_managed_keys(ctx):
        policy = policydoc.document(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
        public = [policydoc.describe_statement(statement) for statement in policydoc.public_grants(policy)]
        if public:
            results.append(
                failed(key["Arn"], f"Key {key['KeyId']} can be used by anyone through {'; '.join(public)}.")
            )
        else:
            results.append(passed(key["Arn"], f"Key {key['KeyId']} is limited to named principals."))
    return results or [
        not_applicable(ctx.account_setting_arn("kms"), f"No customer managed keys in {ctx.region}.")
    ]


@check(
    id="s3.bucket_policy_not_public",
    title="No S3 bucket policy makes a bucket public",
    best_practices=["SEC03-BP07", "SEC08-BP04"],
    service="s3",
    scope="global",
    severity="HIGH",
    remediation=(
        'Remove bucket-policy statements that allow Principal "*" without an aws:SourceArn, aws:SourceAccount '
        "or aws:PrincipalOrgID condition; serve public content through CloudFront with origin access control."
    ),
    actions=[*S3_LIST, "s3:GetBucketPolicyStatus", "s3:GetBucketPolicy"],
)
def bucket_policy_not_public(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        status = _policy_status(ctx, name, region)
        open_to_all = [
            policydoc.describe_statement(statement)
            for statement in policydoc.public_grants(bucket_policy(ctx, name, region))
        ]
        if status.get("IsPublic") or open_to_all:
            why = "; ".join(open_to_all) or "its policy (S3 reports it as public)"
            results.append(failed(arn, f"Anyone can reach {name} through {why}.", region))
        else:
            results.append(passed(arn, f"{name}'s bucket policy grants nothing to the public.", region))
    return results or _no_buckets(ctx)


def _policy_status(ctx: CheckContext, name: str, region: str) -> dict[str, Any]:
    try:
        return ctx.client("s3", region).get_bucket_policy_status(Bucket=name)["PolicyStatus"]
    except Exception as exc:
        if error_code(exc) == "NoSuchBucketPolicy":
            return {}
        raise


@check(
    id="s3.data_classification_tags",
    title="Every S3 bucket carries a data classification tag",
    best_practices=["SEC07-BP01"],
    service="s3",
    scope="global",
    severity="LOW",
    remediation=(
        "Tag each bucket with the classification of the data it holds (for example DataClassification = "
        "public, internal, confidential or restricted), and enforce the tag with a tag policy or an SCP."
    ),
    actions=[*S3_LIST, "s3:GetBucketTagging"],
)
def data_classification_tags(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        label = classification(bucket_tags(ctx, name, region))
        if label:
            results.append(passed(arn, f"{name} is classified as {label}.", region))
        else:
            results.append(failed(arn, f"{name} has no data classification tag.", region))
    return results or _no_buckets(ctx)


@check(
    id="s3.sensitive_buckets_protected",
    title="Buckets classified as sensitive use KMS keys and block public access",
    best_practices=["SEC07-BP02", "SEC08-BP01"],
    service="s3",
    scope="global",
    severity="HIGH",
    remediation=(
        "For buckets tagged confidential or restricted, set default encryption to SSE-KMS with a customer "
        "managed key whose policy names who may decrypt, and turn on all four Block Public Access settings."
    ),
    actions=[
        *S3_LIST,
        "s3:GetBucketTagging",
        "s3:GetEncryptionConfiguration",
        "s3:GetAccountPublicAccessBlock",
        "s3:GetBucketPublicAccessBlock",
    ],
)
def sensitive_buckets_protected(ctx: CheckContext) -> list[Result]:
    results = []
    for name, region, arn in buckets(ctx):
        label = classification(bucket_tags(ctx, name, region))
        if not is_sensitive(label):
            continue
        missing = []
        if not set(bucket_encryption(ctx, name, region)) & {"aws:kms", "aws:kms:dsse"}:
            missing.append("SSE-KMS default encryption")
        if not blocks_public_access(ctx, name, region):
            missing.append("Block Public Access")
        if missing:
            results.append(failed(arn, f"{name} is {label} but lacks {' and '.join(missing)}.", region))
        else:
            results.append(passed(arn, f"{name} is {label} and encrypted with KMS, never public.", region))
    return results or [not_applicable(ctx.account_arn, "No bucket is tagged as holding sensitive data.")]
