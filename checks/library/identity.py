"""IAM: the root user, passwords, MFA, access keys, how permissions are granted, who may assume roles, and the
access prepared for emergencies and incident response (global checks)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from .. import policydoc
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
    actions=["iam:GetAccountSummary"],
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
    actions=["iam:GetAccountSummary"],
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
    actions=["iam:GetAccountPasswordPolicy"],
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
    actions=["iam:ListUsers", "iam:GetLoginProfile", "iam:ListMFADevices"],
)
def console_users_mfa(ctx: CheckContext) -> list[Result]:
    results = []
    for user in _users(ctx):
        if _has_console_password(ctx, user["UserName"]) is None:
            continue
        devices = list(ctx.paginate("iam", "list_mfa_devices", "MFADevices", UserName=user["UserName"]))
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
    actions=["iam:ListUsers", "iam:ListAccessKeys"],
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
    actions=["iam:ListUsers", "iam:GetLoginProfile", "iam:ListAccessKeys", "iam:GetAccessKeyLastUsed"],
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
    actions=["iam:ListUsers", "iam:ListAttachedUserPolicies", "iam:ListUserPolicies"],
)
def user_direct_policies(ctx: CheckContext) -> list[Result]:
    results = []
    for user in _users(ctx):
        name = user["UserName"]
        attached = list(ctx.paginate("iam", "list_attached_user_policies", "AttachedPolicies", UserName=name))
        inline = list(ctx.paginate("iam", "list_user_policies", "PolicyNames", UserName=name))
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


def _roles(ctx: CheckContext) -> list[dict[str, Any]]:
    """Every role except service-linked ones, which AWS owns and nobody in the account can change."""
    return ctx.cached(
        "iam.roles",
        lambda: [
            role
            for role in ctx.paginate("iam", "list_roles", "Roles")
            if not role.get("Path", "/").startswith("/aws-service-role/")
        ],
    )


def _authorization_details(ctx: CheckContext) -> dict[str, list[dict[str, Any]]]:
    """Users, groups and roles with their inline and attached policies, and the account's own managed
    policies with their versions: one paginated call instead of several per principal."""

    def fetch() -> dict[str, list[dict[str, Any]]]:
        merged: dict[str, list[dict[str, Any]]] = {}
        pages = ctx.pages(
            "iam", "get_account_authorization_details", Filter=["User", "Group", "Role", "LocalManagedPolicy"]
        )
        for page in pages:
            for key in ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"):
                merged.setdefault(key, []).extend(page.get(key, []))
        return merged

    return ctx.cached("iam.authorization_details", fetch)


def _admin_policy_arns(ctx: CheckContext, details: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """{ARN: label} of the managed policies that allow every action on every resource."""
    found = {f"arn:{ctx.partition}:iam::aws:policy/AdministratorAccess": "AdministratorAccess (AWS managed)"}
    for policy in details.get("Policies", []):
        for version in policy.get("PolicyVersionList", []):
            if not version.get("IsDefaultVersion"):
                continue
            document = policydoc.document(version.get("Document"))
            if any(policydoc.grants_everything(s) for s in policydoc.statements(document)):
                name = policy.get("PolicyName") or policy["Arn"].rsplit("/", 1)[-1]
                found[policy["Arn"]] = f"customer managed policy {name}"
    return found


# (details list, inline policy list key, name key, what people call it)
PRINCIPAL_KINDS = (
    ("UserDetailList", "UserPolicyList", "UserName", "user"),
    ("GroupDetailList", "GroupPolicyList", "GroupName", "group"),
    ("RoleDetailList", "RolePolicyList", "RoleName", "role"),
)


@check(
    id="iam.no_full_admin_policies",
    title="No IAM user, group or role holds full administrator access",
    best_practices=["SEC03-BP02"],
    service="iam",
    scope="global",
    severity="HIGH",
    remediation=(
        'Replace policies that allow "Action": "*" on "Resource": "*" (inline, customer managed or the AWS '
        "managed AdministratorAccess) with the actions each job needs; use IAM Access Analyzer's policy "
        "generation from CloudTrail activity as a starting point, and keep full access to a monitored "
        "break-glass role."
    ),
    actions=["iam:GetAccountAuthorizationDetails"],
)
def no_full_admin_policies(ctx: CheckContext) -> list[Result]:
    details = _authorization_details(ctx)
    admin_arns = _admin_policy_arns(ctx, details)
    results = []
    for list_key, inline_key, name_key, kind in PRINCIPAL_KINDS:
        for principal in details.get(list_key, []):
            if principal.get("Path", "/").startswith("/aws-service-role/"):
                continue
            grants = [
                f"inline policy {inline['PolicyName']}"
                for inline in principal.get(inline_key, [])
                if any(
                    policydoc.grants_everything(s)
                    for s in policydoc.statements(policydoc.document(inline.get("PolicyDocument")))
                )
            ]
            grants += [
                admin_arns[attached["PolicyArn"]]
                for attached in principal.get("AttachedManagedPolicies", [])
                if attached["PolicyArn"] in admin_arns
            ]
            name = principal[name_key]
            if grants:
                results.append(
                    failed(
                        principal["Arn"], f"The {kind} {name} can do anything through {', '.join(grants)}."
                    )
                )
            else:
                results.append(
                    passed(principal["Arn"], f"The {kind} {name} has no full administrator policy.")
                )
    return results or [not_applicable(ctx.account_arn, "There are no IAM users, groups or roles to inspect.")]


SSO_ROLE_PATH = "/aws-reserved/sso.amazonaws.com/"


def _trusts_other_accounts(ctx: CheckContext, role: dict[str, Any]) -> bool:
    document = policydoc.document(role.get("AssumeRolePolicyDocument"))
    return any(
        policydoc.principal_accounts(statement) - {ctx.account_id}
        for statement in policydoc.statements(document)
        if statement.get("Effect") == "Allow"
    )


@check(
    id="iam.people_use_federation",
    title="People sign in through an identity provider, not IAM user passwords",
    best_practices=["SEC02-BP02", "SEC02-BP04"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Connect your identity provider to IAM Identity Center (or a SAML provider), give people permission "
        "sets or roles, then remove IAM users' console passwords."
    ),
    actions=["iam:ListUsers", "iam:GetLoginProfile", "iam:ListSAMLProviders", "iam:ListRoles"],
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
    providers = ctx.client("iam").list_saml_providers().get("SAMLProviderList", [])
    sso_roles = [role for role in _roles(ctx) if role.get("Path", "").startswith(SSO_ROLE_PATH)]
    if sso_roles:
        return [
            passed(
                ctx.account_arn,
                f"People sign in through IAM Identity Center ({plural(len(sso_roles), 'permission set role')}); "
                f"no IAM user has a console password.",
            )
        ]
    if providers:
        names = ", ".join(provider["Arn"].rsplit("/", 1)[-1] for provider in providers)
        return [
            passed(ctx.account_arn, f"People sign in through SAML ({names}); no IAM user has a password.")
        ]
    if any(_trusts_other_accounts(ctx, role) for role in _roles(ctx)):
        return [
            not_applicable(
                ctx.account_arn,
                "No identity provider is set up in this account, but roles here trust other accounts: people may "
                "sign in elsewhere and switch roles. Check federation in the account they sign in to.",
            )
        ]
    return [
        failed(
            ctx.account_arn,
            "No IAM user has a console password, but no identity provider or IAM Identity Center role exists "
            "either: only the root user can sign in to this account.",
        )
    ]


def _assume_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    document = policydoc.document(role.get("AssumeRolePolicyDocument"))
    return [
        statement
        for statement in policydoc.statements(document)
        if statement.get("Effect") == "Allow"
        and any(policydoc.matches(a, "sts:AssumeRole") for a in policydoc.as_list(statement.get("Action")))
    ]


def _organization_accounts(ctx: CheckContext) -> set[str] | None:
    """The accounts of this account's organization, or None when this account may not list them (a member
    account) or belongs to no organization: then nobody can tell a third party from a sister account."""

    def fetch() -> set[str] | None:
        try:
            return {account["Id"] for account in ctx.paginate("organizations", "list_accounts", "Accounts")}
        except Exception as exc:
            if error_code(exc) in (
                "AccessDeniedException",
                "AccessDenied",
                "AWSOrganizationsNotInUseException",
            ):
                return None
            raise

    return ctx.cached("organizations.accounts", fetch)


@check(
    id="iam.third_party_roles_external_id",
    title="Roles that accounts outside the organization may assume require an external id",
    best_practices=["SEC03-BP09"],
    service="iam",
    scope="global",
    severity="HIGH",
    remediation=(
        "Add a condition on sts:ExternalId (a value the third party generates per customer) to every role a "
        "third party assumes, name its exact role ARN rather than its whole account, and review the "
        "permissions regularly; limit roles for your own accounts with aws:PrincipalOrgID."
    ),
    actions=["iam:ListRoles", "organizations:ListAccounts"],
)
def third_party_roles_external_id(ctx: CheckContext) -> list[Result]:
    organization = _organization_accounts(ctx)
    results = []
    for role in _roles(ctx):
        unsafe, unknown, safe = set(), set(), False
        for statement in _assume_statements(role):
            if policydoc.is_public_principal(statement) and not policydoc.is_restricted(statement):
                unsafe.add("any AWS account")
                continue
            outside = policydoc.principal_accounts(statement) - {ctx.account_id} - (organization or set())
            if not outside:
                continue
            keys = policydoc.condition_keys(statement)
            if "sts:externalid" in keys or "aws:principalorgid" in keys:
                safe = True
            elif organization is None:
                unknown |= outside
            else:
                unsafe |= outside
        name = role["RoleName"]
        if unsafe:
            results.append(
                failed(
                    role["Arn"], f"{name} can be assumed by {', '.join(sorted(unsafe))} with no external id."
                )
            )
        elif unknown:
            results.append(
                not_applicable(
                    role["Arn"],
                    f"{name} trusts {', '.join(sorted(unknown))} without an external id; this account cannot "
                    f"list its organization, so whether that is a third party is for a person to confirm.",
                )
            )
        elif safe:
            results.append(
                passed(role["Arn"], f"{name} requires an external id from the accounts it trusts.")
            )
    return results or [not_applicable(ctx.account_arn, "No role trusts an account outside the organization.")]


# Roles are recognised by name (or the name of the Identity Center permission set behind them).
INCIDENT_ROLE = re.compile(r"incident|forensic|security[-_ ]?response|responder", re.I)
BREAK_GLASS_ROLE = re.compile(r"break[-_ ]?glass|emergency[-_ ]?access", re.I)


def _prepared_roles(ctx: CheckContext, pattern: re.Pattern[str], ready: str, missing: str) -> list[Result]:
    """PASS for each assumable role whose name matches, else one FAIL for the account."""
    roles = [role for role in _roles(ctx) if pattern.search(role["RoleName"]) and _assume_statements(role)]
    if roles:
        return [passed(role["Arn"], f"{role['RoleName']} {ready}.") for role in roles]
    return [failed(ctx.account_arn, missing)]


@check(
    id="iam.incident_response_role",
    title="A role for incident responders exists before an incident",
    best_practices=["SEC10-BP05"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Create a role (or an Identity Center permission set) named for incident response, with the read and "
        "containment permissions your playbooks need, that responders can assume from their own identities; "
        "test it in game days."
    ),
    actions=["iam:ListRoles"],
)
def incident_response_role(ctx: CheckContext) -> list[Result]:
    return _prepared_roles(
        ctx,
        INCIDENT_ROLE,
        "is ready for incident responders",
        "No role for incident responders exists: access would have to be granted in the middle of an incident.",
    )


@check(
    id="iam.break_glass_role",
    title="An emergency (break-glass) role exists for when normal sign-in fails",
    best_practices=["SEC03-BP03"],
    service="iam",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Prepare a break-glass role that a few named people can assume when the identity provider is "
        "unavailable, alarm on every use of it, and rehearse the procedure."
    ),
    actions=["iam:ListRoles"],
)
def break_glass_role(ctx: CheckContext) -> list[Result]:
    return _prepared_roles(
        ctx,
        BREAK_GLASS_ROLE,
        "is prepared for emergency access",
        "No break-glass role exists: an identity provider outage would lock people out.",
    )
