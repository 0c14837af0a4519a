"""IAM: the root user, passwords, MFA, access keys and how permissions are granted (global checks)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import unquote

from ..registry import CheckContext, Result, check, error_code, failed, not_applicable, passed, plural

STALE_AFTER = timedelta(days=90)
MIN_PASSWORD_LENGTH = 14


def _users(ctx: CheckContext) -> list[dict[str, Any]]:
    return ctx.cached("iam.users", lambda: list(ctx.paginate("iam", "list_users", "Users")))


def _has_console_password(ctx: CheckContext, user_name: str) -> dict[str, Any] | None:
    def fetch() -> dict[str, Any] | None:
        try:
            return ctx.client("iam").get_login_profile(UserName=user_name)["LoginProfile"]
        except Exception as exc:
            if error_code(exc) == "NoSuchEntity":
                return None
            raise

    return ctx.cached(f"iam.login_profile.{user_name}", fetch)


def _active_keys(ctx: CheckContext, user_name: str) -> list[dict[str, Any]]:
    keys = ctx.paginate("iam", "list_access_keys", "AccessKeyMetadata", UserName=user_name)
    return [key for key in keys if key["Status"] == "Active"]


def _days(delta: timedelta) -> int:
    return int(delta.total_seconds() // 86400)


@check(
    id="iam.root_mfa",
    title="The root user signs in with MFA",
    best_practices=["SEC01-BP02", "SEC02-BP01"],
    service="iam",
    scope="global",
    severity="HIGH",
    remediation=(
        "Sign in as the root user once, register a hardware or passkey MFA device under Security "
        "credentials, and keep the device in a safe with a documented break-glass procedure."
    ),
)
def root_mfa(ctx: CheckContext) -> list[Result]:
    summary = ctx.client("iam").get_account_summary()["SummaryMap"]
    if summary.get("AccountMFAEnabled") == 1:
        return [passed(ctx.account_arn, "The root user has MFA enabled.")]
    return [
        failed(
            ctx.account_arn, "The root user has no MFA device: a stolen root password is enough to sign in."
        )
    ]


@check(
    id="iam.root_access_keys",
    title="The root user has no access keys",
    best_practices=["SEC01-BP02", "SEC02-BP02"],
    service="iam",
    scope="global",
    severity="HIGH",
    remediation=(
        "Delete the root user's access keys; give automation an IAM role with only the permissions it needs."
    ),
)
def root_access_keys(ctx: CheckContext) -> list[Result]:
    summary = ctx.client("iam").get_account_summary()["SummaryMap"]
    if summary.get("AccountAccessKeysPresent", 0) == 0:
        return [passed(ctx.account_arn, "The root user has no access keys.")]
    return [failed(ctx.account_arn, "The root user has access keys: long-lived keys with unlimited power.")]


@check(
    id="iam.password_policy",
    title="IAM users must choose long passwords that are not reused",
    best_practices=["SEC02-BP01"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        f"Set an account password policy with a minimum length of at least {MIN_PASSWORD_LENGTH} characters "
        f"and password reuse prevention (IAM > Account settings), or move people to an identity provider."
    ),
)
def password_policy(ctx: CheckContext) -> list[Result]:
    try:
        policy = ctx.client("iam").get_account_password_policy()["PasswordPolicy"]
    except Exception as exc:
        if error_code(exc) == "NoSuchEntity":
            return [
                failed(ctx.account_arn, "There is no password policy: IAM users may choose any password.")
            ]
        raise
    problems = []
    if policy.get("MinimumPasswordLength", 0) < MIN_PASSWORD_LENGTH:
        problems.append(
            f"the minimum length is {policy.get('MinimumPasswordLength', 0)} (at least {MIN_PASSWORD_LENGTH})"
        )
    if not policy.get("PasswordReusePrevention"):
        problems.append("old passwords may be reused")
    if problems:
        return [failed(ctx.account_arn, "The password policy is weak: " + "; ".join(problems) + ".")]
    return [passed(ctx.account_arn, f"Passwords need at least {policy['MinimumPasswordLength']} characters.")]


@check(
    id="iam.console_users_mfa",
    title="Every IAM user with a console password has MFA",
    best_practices=["SEC02-BP01"],
    service="iam",
    scope="global",
    severity="HIGH",
    remediation="Require each console user to register an MFA device, or remove the console password.",
)
def console_users_mfa(ctx: CheckContext) -> list[Result]:
    results = []
    for user in _users(ctx):
        if _has_console_password(ctx, user["UserName"]) is None:
            continue
        devices = ctx.client("iam").list_mfa_devices(UserName=user["UserName"])["MFADevices"]
        if devices:
            results.append(passed(user["Arn"], f"{user['UserName']} signs in to the console with MFA."))
        else:
            results.append(
                failed(user["Arn"], f"{user['UserName']} has a console password but no MFA device.")
            )
    return results or [not_applicable(ctx.account_arn, "No IAM user has a console password.")]


@check(
    id="iam.access_key_rotation",
    title="Active access keys are younger than 90 days",
    best_practices=["SEC02-BP05"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Rotate keys older than 90 days (create a new key, deploy it, deactivate and delete the old one) — "
        "better, replace them with roles and temporary credentials."
    ),
)
def access_key_rotation(ctx: CheckContext) -> list[Result]:
    results = []
    for user in _users(ctx):
        for key in _active_keys(ctx, user["UserName"]):
            age = ctx.now - key["CreateDate"]
            where = f"{user['Arn']}/access-key/{key['AccessKeyId']}"
            if age > STALE_AFTER:
                results.append(
                    failed(
                        where,
                        f"Access key {key['AccessKeyId']} of {user['UserName']} is {_days(age)} days old.",
                    )
                )
            else:
                results.append(
                    passed(
                        where,
                        f"Access key {key['AccessKeyId']} of {user['UserName']} is {_days(age)} days old.",
                    )
                )
    return results or [not_applicable(ctx.account_arn, "No IAM user has an active access key.")]


def _last_used(ctx: CheckContext, key_id: str) -> datetime | None:
    info = ctx.client("iam").get_access_key_last_used(AccessKeyId=key_id).get("AccessKeyLastUsed", {})
    return info.get("LastUsedDate")


@check(
    id="iam.unused_credentials",
    title="No IAM user keeps credentials unused for 90 days",
    best_practices=["SEC03-BP04", "SEC03-BP06"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Deactivate passwords and access keys nobody used for 90 days, and remove IAM users who have left "
        "or changed role."
    ),
)
def unused_credentials(ctx: CheckContext) -> list[Result]:
    results = []
    for user in _users(ctx):
        stale = []
        profile = _has_console_password(ctx, user["UserName"])
        if profile is not None:
            last = user.get("PasswordLastUsed") or profile["CreateDate"]
            if ctx.now - last > STALE_AFTER:
                stale.append(f"the console password (unused for {_days(ctx.now - last)} days)")
        for key in _active_keys(ctx, user["UserName"]):
            last = _last_used(ctx, key["AccessKeyId"]) or key["CreateDate"]
            if ctx.now - last > STALE_AFTER:
                stale.append(f"access key {key['AccessKeyId']} (unused for {_days(ctx.now - last)} days)")
        if stale:
            results.append(
                failed(user["Arn"], f"{user['UserName']} keeps unused credentials: {', '.join(stale)}.")
            )
        elif profile is not None or user.get("PasswordLastUsed"):
            results.append(
                passed(user["Arn"], f"{user['UserName']} used their credentials in the last 90 days.")
            )
        else:
            results.append(passed(user["Arn"], f"{user['UserName']} holds no stale credentials."))
    return results or [not_applicable(ctx.account_arn, "There are no IAM users.")]


@check(
    id="iam.user_direct_policies",
    title="IAM users get permissions through groups, not attached policies",
    best_practices=["SEC02-BP06", "SEC03-BP02"],
    service="iam",
    scope="global",
    severity="LOW",
    remediation=(
        "Move policies attached to users onto groups (or roles) that describe the job, and add users to them."
    ),
)
def user_direct_policies(ctx: CheckContext) -> list[Result]:
    results = []
    iam = ctx.client("iam")
    for user in _users(ctx):
        attached = iam.list_attached_user_policies(UserName=user["UserName"])["AttachedPolicies"]
        inline = iam.list_user_policies(UserName=user["UserName"])["PolicyNames"]
        count = len(attached) + len(inline)
        if count:
            results.append(
                failed(
                    user["Arn"],
                    f"{user['UserName']} has {plural(count, 'policy', 'policies')} attached directly.",
                )
            )
        else:
            results.append(passed(user["Arn"], f"{user['UserName']} has no policies attached directly."))
    return results or [not_applicable(ctx.account_arn, "There are no IAM users.")]


def _grants_everything(document: dict[str, Any]) -> bool:
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        actions = statement.get("Action", [])
        resources = statement.get("Resource", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = [resources] if isinstance(resources, str) else resources
        if "*" in actions and "*" in resources:
            return True
    return False


@check(
    id="iam.no_full_admin_policies",
    title="No customer managed policy grants every action on every resource",
    best_practices=["SEC03-BP02"],
    service="iam",
    scope="global",
    severity="HIGH",
    remediation=(
        'Replace "Action": "*" on "Resource": "*" with the actions the job needs; use IAM Access '
        "Analyzer's policy generation from CloudTrail activity as a starting point."
    ),
)
def no_full_admin_policies(ctx: CheckContext) -> list[Result]:
    iam = ctx.client("iam")
    results = []
    for policy in ctx.paginate("iam", "list_policies", "Policies", Scope="Local", OnlyAttached=True):
        version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
        document = version["PolicyVersion"]["Document"]
        if isinstance(document, str):
            document = json.loads(unquote(document))
        if _grants_everything(document):
            results.append(
                failed(policy["Arn"], f"{policy['PolicyName']} allows every action on every resource.")
            )
        else:
            results.append(
                passed(policy["Arn"], f"{policy['PolicyName']} does not grant full administrator access.")
            )
    return results or [not_applicable(ctx.account_arn, "No customer managed policy is attached to anything.")]


@check(
    id="iam.people_use_federation",
    title="People sign in through an identity provider, not IAM user passwords",
    best_practices=["SEC02-BP02", "SEC02-BP04"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Connect your identity provider to IAM Identity Center (or a SAML/OIDC provider), give people "
        "permission sets or roles, then remove IAM users' console passwords."
    ),
)
def people_use_federation(ctx: CheckContext) -> list[Result]:
    results = []
    for user in _users(ctx):
        if _has_console_password(ctx, user["UserName"]) is not None:
            results.append(
                failed(user["Arn"], f"{user['UserName']} signs in with a long-lived IAM password.")
            )
    if results:
        return results
    return [passed(ctx.account_arn, "No IAM user has a console password: people sign in through federation.")]
