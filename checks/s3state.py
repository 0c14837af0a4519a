"""What several S3 checks read about the account's buckets, fetched once per task through the check context's
cache: the bucket list, Block Public Access, default encryption, bucket policies and tags.

"Not configured" answers (NoSuchBucketPolicy, NoSuchTagSet...) become empty values; every other refusal
propagates, so the check that needed it reports ERROR rather than judging a bucket it could not read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import policydoc
from .registry import CheckContext, error_code

BPA_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
# Tag keys teams use for a data classification label, compared without case, spaces, dashes or underscores.
CLASSIFICATION_KEYS = frozenset(
    {"dataclassification", "classification", "dataclass", "confidentiality", "datasensitivity", "sensitivity"}
)
# Classification values that call for the stronger controls of s3.sensitive_buckets_protected.
SENSITIVE_VALUES = frozenset(
    {"confidential", "restricted", "secret", "sensitive", "highlysensitive", "high", "pii", "phi", "pci"}
)
KMS_ALGORITHMS = frozenset({"aws:kms", "aws:kms:dsse"})


def _normalised(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _unless(code: str, empty: Any, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except Exception as exc:
        if error_code(exc) == code:
            return empty
        raise


def buckets(ctx: CheckContext) -> list[tuple[str, str, str]]:
    """(name, region, arn) of every bucket the account owns."""

    def fetch() -> list[tuple[str, str, str]]:
        s3 = ctx.client("s3")
        found = []
        for bucket in ctx.paginate("s3", "list_buckets", "Buckets"):
            name = bucket["Name"]
            region = bucket.get("BucketRegion")
            if not region:
                location = s3.get_bucket_location(Bucket=name).get("LocationConstraint")
                region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
            found.append((name, region, f"arn:{ctx.partition}:s3:::{name}"))
        return found

    return ctx.cached("s3.buckets", fetch)


def account_bpa(ctx: CheckContext) -> dict[str, bool]:
    return ctx.cached(
        "s3.account_bpa",
        lambda: _unless(
            "NoSuchPublicAccessBlockConfiguration",
            {},
            lambda: ctx.client("s3control").get_public_access_block(AccountId=ctx.account_id)[
                "PublicAccessBlockConfiguration"
            ],
        ),
    )


def bucket_bpa(ctx: CheckContext, name: str, region: str) -> dict[str, bool]:
    return ctx.cached(
        f"s3.bpa.{name}",
        lambda: _unless(
            "NoSuchPublicAccessBlockConfiguration",
            {},
            lambda: ctx.client("s3", region).get_public_access_block(Bucket=name)[
                "PublicAccessBlockConfiguration"
            ],
        ),
    )


def blocks_public_access(ctx: CheckContext, name: str, region: str) -> bool:
    """All four settings on, at account or bucket level."""
    account = account_bpa(ctx)
    if all(account.get(flag) for flag in BPA_FLAGS):
        return True
    bucket = bucket_bpa(ctx, name, region)
    return all(account.get(flag) or bucket.get(flag) for flag in BPA_FLAGS)


def bucket_encryption(ctx: CheckContext, name: str, region: str) -> list[str]:
    """The default encryption algorithms of a bucket, sorted; empty when none is configured."""

    def fetch() -> list[str]:
        rules = _unless(
            "ServerSideEncryptionConfigurationNotFoundError",
            {},
            lambda: ctx.client("s3", region).get_bucket_encryption(Bucket=name)[
                "ServerSideEncryptionConfiguration"
            ],
        )
        return sorted(
            {rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] for rule in rules.get("Rules", [])}
        )

    return ctx.cached(f"s3.encryption.{name}", fetch)


def bucket_policy(ctx: CheckContext, name: str, region: str) -> dict[str, Any]:
    return ctx.cached(
        f"s3.policy.{name}",
        lambda: policydoc.document(
            _unless(
                "NoSuchBucketPolicy",
                "",
                lambda: ctx.client("s3", region).get_bucket_policy(Bucket=name)["Policy"],
            )
        ),
    )


def bucket_tags(ctx: CheckContext, name: str, region: str) -> dict[str, str]:
    def fetch() -> dict[str, str]:
        tags = _unless(
            "NoSuchTagSet", [], lambda: ctx.client("s3", region).get_bucket_tagging(Bucket=name)["TagSet"]
        )
        return {tag["Key"]: tag["Value"] for tag in tags}

    return ctx.cached(f"s3.tags.{name}", fetch)


def classification(tags: dict[str, str]) -> str | None:
    """The value of the bucket's data classification tag, if it has one."""
    for key, value in tags.items():
        if _normalised(key) in CLASSIFICATION_KEYS and value.strip():
            return value.strip()
    return None


def is_sensitive(label: str | None) -> bool:
    return label is not None and _normalised(label) in SENSITIVE_VALUES
