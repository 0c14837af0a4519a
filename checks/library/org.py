"""Account structure: AWS Organizations membership, guardrails and the security contact (global checks)."""

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


@check(
    id="organizations.guardrail_policies",
    title="Service control policies restrict what accounts may do",
    best_practices=["SEC03-BP05", "SEC01-BP06"],
    service="organizations",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Attach service control policies that deny what no account should do (leaving the organization, "
        "disabling CloudTrail or GuardDuty, unused regions) to the organization's root or OUs."
    ),
)
def guardrail_policies(ctx: CheckContext) -> list[Result]:
    organization = _organization(ctx)
    if organization is None:
        return [
            not_applicable(ctx.account_arn, "The account is not in an organization, so no SCP can apply.")
        ]
    try:
        policies = list(
            ctx.paginate("organizations", "list_policies", "Policies", Filter="SERVICE_CONTROL_POLICY")
        )
    except Exception as exc:
        if error_code(exc) in ("AccessDeniedException", "AccessDenied"):
            # Only the management account or a delegated administrator may list policies.
            return [
                errored(
                    organization["Arn"],
                    "Service control policies can only be read from the management account or a delegated "
                    "administrator; connect that account to check them.",
                )
            ]
        raise
    own = [policy for policy in policies if policy["Id"] != FULL_ACCESS_SCP and not policy.get("AwsManaged")]
    if own:
        names = ", ".join(sorted(policy["Name"] for policy in own))
        return [
            passed(
                organization["Arn"],
                f"{plural(len(own), 'service control policy', 'service control policies')} defined: {names}.",
            )
        ]
    return [failed(organization["Arn"], "Only the default FullAWSAccess service control policy exists.")]


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
