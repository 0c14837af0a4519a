"""Compute protection: instance metadata, Systems Manager coverage, image scanning and Lambda runtimes."""

from __future__ import annotations

from typing import Any

from ..registry import CheckContext, Result, check, failed, not_applicable, passed

# Runtimes AWS no longer patches (deprecated for function creation or updates), as of 2025.
DEPRECATED_RUNTIMES = frozenset(
    {
        "python2.7",
        "python3.6",
        "python3.7",
        "python3.8",
        "nodejs",
        "nodejs4.3",
        "nodejs4.3-edge",
        "nodejs6.10",
        "nodejs8.10",
        "nodejs10.x",
        "nodejs12.x",
        "nodejs14.x",
        "nodejs16.x",
        "java8",
        "dotnetcore1.0",
        "dotnetcore2.0",
        "dotnetcore2.1",
        "dotnetcore3.1",
        "dotnet5.0",
        "dotnet6",
        "ruby2.5",
        "ruby2.7",
        "go1.x",
        "provided",
    }
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
)
def imdsv2_required(ctx: CheckContext) -> list[Result]:
    results = []
    for instance in _instances(ctx):
        if instance.get("MetadataOptions", {}).get("HttpTokens") == "required":
            results.append(passed(_instance_arn(ctx, instance), f"{instance['InstanceId']} requires IMDSv2."))
        else:
            results.append(
                failed(_instance_arn(ctx, instance), f"{instance['InstanceId']} still allows IMDSv1.")
            )
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
        "and connect through Systems Manager instead of SSH keys."
    ),
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
        if instance["InstanceId"] in online:
            results.append(
                passed(_instance_arn(ctx, instance), f"{instance['InstanceId']} is managed by SSM.")
            )
        else:
            results.append(
                failed(
                    _instance_arn(ctx, instance),
                    f"{instance['InstanceId']} is not reporting to Systems Manager.",
                )
            )
    return results


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
)
def scan_on_push(ctx: CheckContext) -> list[Result]:
    ecr = ctx.client("ecr")
    registry = ecr.get_registry_scanning_configuration().get("scanningConfiguration", {})
    enhanced = registry.get("scanType") == "ENHANCED" and bool(registry.get("rules"))
    results = []
    for repository in ctx.paginate("ecr", "describe_repositories", "repositories"):
        arn, name = repository["repositoryArn"], repository["repositoryName"]
        if enhanced:
            results.append(passed(arn, f"{name} is covered by the registry's enhanced scanning."))
        elif repository.get("imageScanningConfiguration", {}).get("scanOnPush"):
            results.append(passed(arn, f"{name} scans images on push."))
        else:
            results.append(failed(arn, f"{name} does not scan images for vulnerabilities."))
    return results or [
        not_applicable(ctx.account_setting_arn("ecr"), f"No ECR repositories in {ctx.region}.")
    ]


@check(
    id="lambda.supported_runtime",
    title="Lambda functions run on supported runtimes",
    best_practices=["SEC06-BP01"],
    service="lambda",
    scope="regional",
    severity="MEDIUM",
    remediation="Move functions on deprecated runtimes to a supported version and redeploy them.",
)
def supported_runtime(ctx: CheckContext) -> list[Result]:
    results = []
    for function in ctx.paginate("lambda", "list_functions", "Functions"):
        arn, name, runtime = function["FunctionArn"], function["FunctionName"], function.get("Runtime")
        if runtime is None:
            results.append(not_applicable(arn, f"{name} is a container image: its runtime is in the image."))
        elif runtime in DEPRECATED_RUNTIMES:
            results.append(failed(arn, f"{name} runs on {runtime}, which no longer gets security patches."))
        else:
            results.append(passed(arn, f"{name} runs on {runtime}."))
    return results or [
        not_applicable(ctx.account_setting_arn("lambda"), f"No Lambda functions in {ctx.region}.")
    ]
