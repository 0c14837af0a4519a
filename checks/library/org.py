"""Account structure: AWS Organizations membership, guardrails, resource sharing and the security contact."""

from __future__ import annotations

from ..registry import (
    CheckContext,
    Result,
    check,
    error_code,
    errored,
    failed,
    not_applicable,
    passed,
    plural,
)

FULL_ACCESS_SCP = "p-FullAWSAccess"


def _organization(ctx: CheckContext) -> dict | None:
    try:
        return ctx.client("organizations").describe_organization()["Organization"]
    except Exception as exc:
        if error_code(exc) == "AWSOrganizationsNotInUseException":
            return None
        raise


@check(
    id="organizations.member",
    title="The account belongs to an AWS Organization",
    best_practices=["SEC01-BP01"],
    service="organizations",
    scope="global",
    severity="HIGH",
    remediation=(
        "Create an organization (or invite this account into yours) so workloads and environments live in "
        "separate accounts under central guardrails."
    ),
    actions=["organizations:DescribeOrganization"],
)
def member(ctx: CheckContext) -> list[Result]:
    organization = _organization(ctx)
    if organization is None:
        return [failed(ctx.account_arn, "The account is not part of an AWS Organization.")]
    return [
        passed(
            organization["Arn"],
            f"The account belongs to organization {organization['Id']} (management account "
            f"{organization['MasterAccountId']}).",
        )
    ]


def _custom_scps(policies: list[dict]) -> list[dict]:
    return [policy for policy in policies if policy["Id"] != FULL_ACCESS_SCP and not policy.get("AwsManaged")]


def _path_to_root(ctx: CheckContext) -> list[str]:
    """This account, then each organizational unit above it, then the root: where SCPs that bind it attach."""
    path, child = [ctx.account_id], ctx.account_id
    for _ in range(10):  # AWS nests OUs five deep at most
        parents = list(ctx.paginate("organizations", "list_parents", "Parents", ChildId=child))
        if not parents:
            break
        child = parents[0]["Id"]
        path.append(child)
        if parents[0].get("Type") == "ROOT":
            break
    return path


def _attached_scps(ctx: CheckContext, organization: dict) -> tuple[list[str], str]:
    """(names of the custom SCPs in force, where): for a member account those attached on its path to the
    root; for the management account, which SCPs never restrict, those attached anywhere (the guardrails its
    members get)."""
    if organization.get("MasterAccountId") != ctx.account_id:
        names = {
            policy["Name"]
            for target in _path_to_root(ctx)
            for policy in _custom_scps(
                list(
                    ctx.paginate(
                        "organizations",
                        "list_policies_for_target",
                        "Policies",
                        TargetId=target,
                        Filter="SERVICE_CONTROL_POLICY",
                    )
                )
            )
        }
        return sorted(names), "this account"
    policies = _custom_scps(
        list(ctx.paginate("organizations", "list_policies", "Policies", Filter="SERVICE_CONTROL_POLICY"))
    )
    attached = [
        policy["Name"]
        for policy in policies
        if any(ctx.paginate("organizations", "list_targets_for_policy", "Targets", PolicyId=policy["Id"]))
    ]
    return sorted(attached), "the organization's accounts (SCPs never restrict the management account itself)"


@check(
    id="organizations.guardrail_policies",
    title="Service control policies restrict what accounts may do",
    best_practices=["SEC03-BP05", "SEC01-BP06"],
    service="organizations",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Attach service control policies that deny what no account should do (leaving the organization, "
        "disabling CloudTrail or GuardDuty, sharing resources outside the organization, unused regions) to the "
        "organization's root or OUs; an SCP attached to nothing restricts nothing."
    ),
    actions=[
        "organizations:DescribeOrganization",
        "organizations:ListPolicies",
        "organizations:ListTargetsForPolicy",
        "organizations:ListParents",
        "organizations:ListPoliciesForTarget",
    ],
)
def guardrail_policies(ctx: CheckContext) -> list[Result]:
    organization = _organization(ctx)
    if organization is None:
        return [
            not_applicable(ctx.account_arn, "The account is not in an organization, so no SCP can apply.")
        ]
    try:
        names, scope = _attached_scps(ctx, organization)
    except Exception as exc:
        if error_code(exc) in ("AccessDeniedException", "AccessDenied"):
            # Only the management account or a delegated administrator may read policies and their targets.
            return [
                errored(
                    organization["Arn"],
                    "Service control policies can only be read from the management account or a delegated "
                    "administrator; connect that account to check them.",
                )
            ]
        raise
    if names:
        return [
            passed(
                organization["Arn"],
                f"{plural(len(names), 'service control policy', 'service control policies')} restrict "
                f"{scope}: {', '.join(names)}.",
            )
        ]
    return [
        failed(
            organization["Arn"],
            f"No service control policy of your own restricts {scope}: only FullAWSAccess applies.",
        )
    ]


@check(
    id="ram.no_external_sharing",
    title="Resources are shared through AWS RAM only inside the organization",
    best_practices=["SEC03-BP08"],
    service="ram",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Recreate resource shares that allow external principals as shares limited to your organization, and "
        "enforce it with an SCP that denies RAM requests where ram:RequestedAllowsExternalPrincipals is true."
    ),
    actions=["ram:GetResourceShares"],
)
def no_external_sharing(ctx: CheckContext) -> list[Result]:
    results = []
    for share in ctx.paginate("ram", "get_resource_shares", "resourceShares", resourceOwner="SELF"):
        if share.get("status") not in ("ACTIVE", "PENDING"):
            continue
        arn, name = share["resourceShareArn"], share.get("name", share["resourceShareArn"])
        if share.get("allowExternalPrincipals"):
            results.append(
                failed(arn, f"Resource share {name} may be shared with accounts outside the organization.")
            )
        else:
            results.append(passed(arn, f"Resource share {name} stays inside the organization."))
    return results or [
        not_applicable(ctx.account_setting_arn("ram"), f"No active resource shares in {ctx.region}.")
    ]


@check(
    id="account.security_contact",
    title="The account has a security contact",
    best_practices=["SEC10-BP01"],
    service="account",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Set the security alternate contact (Account settings > Alternate contacts) to a monitored team "
        "mailbox, so AWS can reach you about an incident."
    ),
    actions=["account:GetAlternateContact"],
)
def security_contact(ctx: CheckContext) -> list[Result]:
    try:
        contact = ctx.client("account").get_alternate_contact(AlternateContactType="SECURITY")[
            "AlternateContact"
        ]
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return [
                failed(
                    ctx.account_arn, "No security contact is set: AWS would only write to the root address."
                )
            ]
        raise
    return [
        passed(
            ctx.account_arn,
            f"Security contact: {contact.get('Name', '')} <{contact.get('EmailAddress', '')}>.",
        )
    ]
