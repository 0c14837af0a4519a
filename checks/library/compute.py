"""Compute protection: instance metadata, Systems Manager coverage, container images, Lambda runtimes and
resource policies, and secrets left in build projects."""

from __future__ import annotations

import re
from typing import Any

from .. import lambda_runtimes, policydoc
from ..registry import (
    CheckContext,
    Result,
    Unverifiable,
    check,
    error_code,
    failed,
    not_applicable,
    passed,
    plural,
)


def _instances(ctx: CheckContext) -> list[dict[str, Any]]:
    def fetch() -> list[dict[str, Any]]:
        states = [{"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
        reservations = ctx.paginate("ec2", "describe_instances", "Reservations", Filters=states)
        return [instance for reservation in reservations for instance in reservation["Instances"]]

    return ctx.cached("ec2.instances", fetch)


def _instance_arn(ctx: CheckContext, instance: dict[str, Any]) -> str:
    return ctx.arn("ec2", f"instance/{instance['InstanceId']}")


@check(
    id="ec2.imdsv2_required",
    title="EC2 instances require IMDSv2",
    best_practices=["SEC06-BP02"],
    service="ec2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        'Set HttpTokens to "required" on each instance (and in launch templates and the account default), '
        "so the instance metadata service cannot be reached through request forgery."
    ),
    actions=["ec2:DescribeInstances"],
)
def imdsv2_required(ctx: CheckContext) -> list[Result]:
    results = []
    for instance in _instances(ctx):
        options, name = instance.get("MetadataOptions", {}), instance["InstanceId"]
        if options.get("HttpEndpoint") == "disabled":
            # No metadata service at all: nothing for IMDSv1 to leak.
            results.append(
                passed(_instance_arn(ctx, instance), f"{name} has the metadata service turned off.")
            )
        elif options.get("HttpTokens") == "required":
            results.append(passed(_instance_arn(ctx, instance), f"{name} requires IMDSv2."))
        else:
            results.append(failed(_instance_arn(ctx, instance), f"{name} still allows IMDSv1."))
    return results or [not_applicable(ctx.account_setting_arn("ec2"), f"No EC2 instances in {ctx.region}.")]


@check(
    id="ssm.instances_managed",
    title="Running EC2 instances are managed by Systems Manager",
    best_practices=["SEC06-BP03", "SEC06-BP01"],
    service="ssm",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Give instances an instance profile with AmazonSSMManagedInstanceCore and the SSM agent, then patch "
        "and connect through Systems Manager Session Manager instead of SSH keys."
    ),
    actions=["ec2:DescribeInstances", "ssm:DescribeInstanceInformation"],
)
def instances_managed(ctx: CheckContext) -> list[Result]:
    running = [i for i in _instances(ctx) if i.get("State", {}).get("Name") == "running"]
    if not running:
        return [not_applicable(ctx.account_setting_arn("ssm"), f"No running EC2 instances in {ctx.region}.")]
    online = {
        info["InstanceId"]
        for info in ctx.paginate("ssm", "describe_instance_information", "InstanceInformationList")
        if info.get("PingStatus") == "Online"
    }
    results = []
    for instance in running:
        name = instance["InstanceId"]
        if name in online:
            results.append(passed(_instance_arn(ctx, instance), f"{name} is managed by SSM."))
        else:
            results.append(
                failed(_instance_arn(ctx, instance), f"{name} is not reporting to Systems Manager.")
            )
    return results


def _repositories(ctx: CheckContext) -> list[dict[str, Any]]:
    return ctx.cached(
        "ecr.repositories", lambda: list(ctx.paginate("ecr", "describe_repositories", "repositories"))
    )


def _no_repositories(ctx: CheckContext) -> list[Result]:
    return [not_applicable(ctx.account_setting_arn("ecr"), f"No ECR repositories in {ctx.region}.")]


@check(
    id="ecr.scan_on_push",
    title="ECR repositories scan images for vulnerabilities",
    best_practices=["SEC06-BP01", "SEC11-BP02"],
    service="ecr",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Turn on enhanced scanning for the registry (Amazon Inspector), or at least scan on push for each "
        "repository, and fail deployments on critical findings."
    ),
    actions=["ecr:GetRegistryScanningConfiguration", "ecr:DescribeRepositories"],
)
def scan_on_push(ctx: CheckContext) -> list[Result]:
    registry = ctx.client("ecr").get_registry_scanning_configuration().get("scanningConfiguration", {})
    enhanced = registry.get("scanType") == "ENHANCED" and bool(registry.get("rules"))
    results = []
    for repository in _repositories(ctx):
        arn, name = repository["repositoryArn"], repository["repositoryName"]
        if enhanced:
            results.append(passed(arn, f"{name} is covered by the registry's enhanced scanning."))
        elif repository.get("imageScanningConfiguration", {}).get("scanOnPush"):
            results.append(passed(arn, f"{name} scans images on push."))
        else:
            results.append(failed(arn, f"{name} does not scan images for vulnerabilities."))
    return results or _no_repositories(ctx)


@check(
    id="ecr.tag_immutability",
    title="ECR repositories keep image tags immutable",
    best_practices=["SEC06-BP04"],
    service="ecr",
    scope="regional",
    severity="LOW",
    remediation=(
        "Set image tag mutability to IMMUTABLE on each repository, so a tag that was scanned and approved "
        "always names the same image, and deploy by digest."
    ),
    actions=["ecr:DescribeRepositories"],
)
def tag_immutability(ctx: CheckContext) -> list[Result]:
    results = []
    for repository in _repositories(ctx):
        arn, name = repository["repositoryArn"], repository["repositoryName"]
        setting = repository.get("imageTagMutability", "MUTABLE")
        if setting.startswith("IMMUTABLE"):
            results.append(passed(arn, f"{name} does not let a pushed tag point at another image."))
        else:
            results.append(failed(arn, f"{name} lets anyone with push rights move a tag to another image."))
    return results or _no_repositories(ctx)


def _functions(ctx: CheckContext) -> list[dict[str, Any]]:
    return ctx.cached("lambda.functions", lambda: list(ctx.paginate("lambda", "list_functions", "Functions")))


def _no_functions(ctx: CheckContext) -> list[Result]:
    return [not_applicable(ctx.account_setting_arn("lambda"), f"No Lambda functions in {ctx.region}.")]


@check(
    id="lambda.supported_runtime",
    title="Lambda functions run on supported runtimes",
    best_practices=["SEC06-BP01"],
    service="lambda",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Move functions on a deprecated runtime to a supported version, test and redeploy them; plan the move "
        "before the deprecation date, after which AWS stops patching the runtime and later blocks updates."
    ),
    actions=["lambda:ListFunctions"],
)
def supported_runtime(ctx: CheckContext) -> list[Result]:
    today = ctx.now.date()
    known = lambda_runtimes.schedule()
    results = []
    for function in _functions(ctx):
        arn, name, runtime = function["FunctionArn"], function["FunctionName"], function.get("Runtime")
        dates = known.get(runtime or "")
        if runtime is None:
            results.append(not_applicable(arn, f"{name} is a container image: its runtime is in the image."))
        elif dates is None:
            results.append(passed(arn, f"{name} runs on {runtime}, which has no deprecation date announced."))
        elif dates.deprecated_on(today):
            note = lambda_runtimes.blocking_note(dates, today)
            results.append(
                failed(
                    arn,
                    f"{name} runs on {runtime}, deprecated since {dates.deprecation:%d %b %Y}: it no longer "
                    f"gets security patches ({note}).",
                )
            )
        else:
            days = (dates.deprecation - today).days
            results.append(
                passed(
                    arn,
                    f"{name} runs on {runtime}, supported until {dates.deprecation:%d %b %Y} ({days} days).",
                )
            )
    return results or _no_functions(ctx)


def _function_policy(ctx: CheckContext, name: str) -> dict[str, Any]:
    try:
        return policydoc.document(ctx.client("lambda").get_policy(FunctionName=name)["Policy"])
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return {}
        raise


def _function_url(ctx: CheckContext, name: str) -> dict[str, Any] | None:
    try:
        return ctx.client("lambda").get_function_url_config(FunctionName=name)
    except Exception as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return None
        raise


@check(
    id="lambda.function_not_public",
    title="No Lambda function can be invoked by anyone",
    best_practices=["SEC03-BP07", "SEC03-BP02"],
    service="lambda",
    scope="regional",
    severity="HIGH",
    remediation=(
        'Remove resource-policy statements that allow Principal "*" without an aws:SourceAccount, '
        "aws:SourceArn or aws:PrincipalOrgID condition, and set function URLs to AWS_IAM authentication (or "
        "put API Gateway with an authorizer in front)."
    ),
    actions=["lambda:ListFunctions", "lambda:GetPolicy", "lambda:GetFunctionUrlConfig"],
)
def function_not_public(ctx: CheckContext) -> list[Result]:
    results = []
    for function in _functions(ctx):
        arn, name = function["FunctionArn"], function["FunctionName"]
        problems = [
            policydoc.describe_statement(statement)
            for statement in policydoc.public_grants(_function_policy(ctx, name))
        ]
        url = _function_url(ctx, name)
        if url is not None and url.get("AuthType") == "NONE":
            problems.append("a function URL without authentication")
        if problems:
            results.append(failed(arn, f"Anyone can invoke {name} through {'; '.join(problems)}."))
        else:
            results.append(
                passed(arn, f"{name} can only be invoked by named accounts, services or IAM users.")
            )
    return results or _no_functions(ctx)


# Variable names that say "this is a credential"; their values are never read into a message.
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY|CREDENTIAL", re.I)
ACCESS_KEY_VALUE = re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")


def _plaintext_secrets(project: dict[str, Any]) -> list[str]:
    names = []
    for variable in project.get("environment", {}).get("environmentVariables", []):
        if variable.get("type", "PLAINTEXT") != "PLAINTEXT":
            continue
        if SECRET_NAME.search(variable.get("name", "")) or ACCESS_KEY_VALUE.search(variable.get("value", "")):
            names.append(variable["name"])
    return names


@check(
    id="codebuild.no_plaintext_secrets",
    title="Build projects keep no credentials in plaintext environment variables",
    best_practices=["SEC11-BP07", "SEC02-BP03"],
    service="codebuild",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Store build credentials in Secrets Manager or Parameter Store and reference them as SECRETS_MANAGER "
        "or PARAMETER_STORE variables; rotate any credential that sat in a plaintext variable."
    ),
    actions=["codebuild:ListProjects", "codebuild:BatchGetProjects"],
)
def no_plaintext_secrets(ctx: CheckContext) -> list[Result]:
    names = list(ctx.paginate("codebuild", "list_projects", "projects"))
    results = []
    for start in range(0, len(names), 100):  # BatchGetProjects takes at most 100 names
        response = ctx.client("codebuild").batch_get_projects(names=names[start : start + 100])
        if response.get("projectsNotFound"):
            raise Unverifiable(
                f"CodeBuild listed {plural(len(response['projectsNotFound']), 'project')} it then would not "
                f"describe: {', '.join(response['projectsNotFound'])}."
            )
        for project in response.get("projects", []):
            exposed = _plaintext_secrets(project)
            if exposed:
                results.append(
                    failed(project["arn"], f"{project['name']} keeps {', '.join(exposed)} in plaintext.")
                )
            else:
                results.append(passed(project["arn"], f"{project['name']} has no plaintext credentials."))
    return results or [
        not_applicable(ctx.account_setting_arn("codebuild"), f"No CodeBuild projects in {ctx.region}.")
    ]
