"""Logging and detection: CloudTrail, AWS Config, GuardDuty, Security Hub, Macie, Inspector, log retention, and
where findings go once they are raised."""

from __future__ import annotations

import json
from typing import Any

from ..registry import (
    CheckContext,
    Result,
    Unverifiable,
    check,
    error_code,
    errored,
    failed,
    not_applicable,
    passed,
    plural,
)


def _trails(ctx: CheckContext) -> list[dict[str, Any]]:
    """Every trail that records this account, described once.

    DescribeTrails in one region returns that region's trails plus shadow trails: multi-region trails homed
    elsewhere and, in a member account, the organization trail. ListTrails names every trail of the account; a
    trail listed there but not described (another region's single-region trail) is described by its ARN, which
    AWS answers from any region. A trail AWS lists but will not describe makes the check ERROR: we never judge
    the trails we happened to see.
    """

    def fetch() -> list[dict[str, Any]]:
        cloudtrail = ctx.client("cloudtrail")
        described = {
            trail["TrailARN"]: trail
            for trail in cloudtrail.describe_trails(includeShadowTrails=True)["trailList"]
        }
        listed = [trail["TrailARN"] for trail in ctx.paginate("cloudtrail", "list_trails", "Trails")]
        missing = [arn for arn in listed if arn not in described]
        if missing:
            more = cloudtrail.describe_trails(trailNameList=missing, includeShadowTrails=True)["trailList"]
            described.update({trail["TrailARN"]: trail for trail in more})
        unseen = [arn for arn in listed if arn not in described]
        if unseen:
            raise Unverifiable(
                f"CloudTrail lists {plural(len(unseen), 'trail')} it would not describe ({', '.join(unseen)}), "
                f"so their settings could not be checked."
            )
        return list(described.values())

    return ctx.cached("cloudtrail.trails", fetch)


def _trail_label(trail: dict[str, Any]) -> str:
    kind = "organization trail" if trail.get("IsOrganizationTrail") else "trail"
    return f"{kind} {trail['Name']} (home region {trail.get('HomeRegion', 'unknown')})"


@check(
    id="cloudtrail.multi_region_logging",
    title="A multi-region CloudTrail trail is logging",
    best_practices=["SEC04-BP01"],
    service="cloudtrail",
    scope="global",
    severity="HIGH",
    remediation=(
        "Create a multi-region trail (or an organization trail) that logs management events to a dedicated, "
        "access-restricted S3 bucket, and make sure it is logging."
    ),
    actions=["cloudtrail:DescribeTrails", "cloudtrail:ListTrails", "cloudtrail:GetTrailStatus"],
)
def multi_region_logging(ctx: CheckContext) -> list[Result]:
    trails = _trails(ctx)
    multi = [trail for trail in trails if trail.get("IsMultiRegionTrail")]
    for trail in multi:
        # Status is answered in the trail's home region; an organization trail by its ARN.
        status = ctx.client("cloudtrail", trail.get("HomeRegion") or ctx.region).get_trail_status(
            Name=trail["TrailARN"]
        )
        if status.get("IsLogging"):
            return [
                passed(trail["TrailARN"], f"The {_trail_label(trail)} logs API activity in every region.")
            ]
    if multi:
        return [failed(multi[0]["TrailARN"], f"The multi-region {_trail_label(multi[0])} is not logging.")]
    if trails:
        return [
            failed(
                ctx.account_arn, "No trail covers every region: activity in other regions goes unrecorded."
            )
        ]
    return [failed(ctx.account_arn, "There is no CloudTrail trail: API activity is kept for 90 days only.")]


@check(
    id="cloudtrail.log_file_validation",
    title="CloudTrail trails validate their log files",
    best_practices=["SEC04-BP01", "SEC10-BP03"],
    service="cloudtrail",
    scope="global",
    severity="MEDIUM",
    remediation=(
        "Turn on log file validation for each trail so tampering with delivered logs can be detected."
    ),
    actions=["cloudtrail:DescribeTrails", "cloudtrail:ListTrails"],
)
def log_file_validation(ctx: CheckContext) -> list[Result]:
    results = []
    for trail in _trails(ctx):
        if trail.get("LogFileValidationEnabled"):
            results.append(
                passed(trail["TrailARN"], f"The {_trail_label(trail)} writes signed digest files.")
            )
        else:
            results.append(
                failed(trail["TrailARN"], f"The {_trail_label(trail)} does not validate its log files.")
            )
    return results or [not_applicable(ctx.account_arn, "There is no CloudTrail trail to inspect.")]


def _recorders(ctx: CheckContext) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    def fetch() -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
        config = ctx.client("config")
        recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
        statuses = config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
        return recorders, {status["name"]: status for status in statuses}

    return ctx.cached("config.recorders", fetch)


@check(
    id="config.recorder_on",
    title="AWS Config records resource configuration",
    best_practices=["SEC04-BP01", "SEC04-BP04"],
    service="config",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Set up an AWS Config recorder for all resource types (and a delivery channel) in every region you "
        "use, so configuration history and Config rules are available."
    ),
    actions=["config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus"],
)
def recorder_on(ctx: CheckContext) -> list[Result]:
    recorders, statuses = _recorders(ctx)
    if not recorders:
        return [failed(ctx.account_setting_arn("config"), f"No AWS Config recorder exists in {ctx.region}.")]
    results = []
    for recorder in recorders:
        arn = recorder.get("arn") or ctx.arn("config", f"configuration-recorder/{recorder['name']}")
        if statuses.get(recorder["name"], {}).get("recording"):
            results.append(passed(arn, f"Recorder {recorder['name']} is recording in {ctx.region}."))
        else:
            results.append(failed(arn, f"Recorder {recorder['name']} exists but is stopped in {ctx.region}."))
    return results


@check(
    id="config.rules_evaluate_controls",
    title="AWS Config rules continuously evaluate resources against your controls",
    best_practices=["SEC01-BP03", "SEC04-BP04"],
    service="config",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Turn your control objectives into AWS Config rules or conformance packs (enabling a Security Hub CSPM "
        "standard creates them for you) in every region you use, with a recorder running so they evaluate."
    ),
    actions=[
        "config:DescribeConfigRules",
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
    ],
)
def rules_evaluate_controls(ctx: CheckContext) -> list[Result]:
    where = ctx.account_setting_arn("config")
    rules = [
        rule
        for rule in ctx.paginate("config", "describe_config_rules", "ConfigRules")
        if rule.get("ConfigRuleState", "ACTIVE") == "ACTIVE"
    ]
    if not rules:
        return [failed(where, f"No active AWS Config rule evaluates resources in {ctx.region}.")]
    recorders, statuses = _recorders(ctx)
    if not any(statuses.get(recorder["name"], {}).get("recording") for recorder in recorders):
        return [
            failed(
                where,
                f"{plural(len(rules), 'Config rule')} exist in {ctx.region}, but no recorder is running, so "
                f"they evaluate nothing.",
            )
        ]
    from_hub = sum(1 for rule in rules if rule["ConfigRuleName"].startswith("securityhub-"))
    detail = f" ({from_hub} from Security Hub CSPM standards)" if from_hub else ""
    return [
        passed(
            where, f"{plural(len(rules), 'active Config rule')}{detail} evaluate resources in {ctx.region}."
        )
    ]


def _detectors(ctx: CheckContext) -> list[tuple[str, dict[str, Any]]]:
    def fetch() -> list[tuple[str, dict[str, Any]]]:
        guardduty = ctx.client("guardduty")
        return [
            (detector_id, guardduty.get_detector(DetectorId=detector_id))
            for detector_id in ctx.paginate("guardduty", "list_detectors", "DetectorIds")
        ]

    return ctx.cached("guardduty.detectors", fetch)


def _enabled_detectors(ctx: CheckContext) -> list[tuple[str, dict[str, Any]]]:
    return [(i, detector) for i, detector in _detectors(ctx) if detector.get("Status") == "ENABLED"]


@check(
    id="guardduty.enabled",
    title="GuardDuty is enabled",
    best_practices=["SEC04-BP03", "SEC10-BP06"],
    service="guardduty",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Enable GuardDuty in every region (through a delegated administrator for the whole organization) "
        "and route its findings to the people on call."
    ),
    actions=["guardduty:ListDetectors", "guardduty:GetDetector"],
)
def guardduty_enabled(ctx: CheckContext) -> list[Result]:
    for detector_id, _ in _enabled_detectors(ctx):
        arn = ctx.arn("guardduty", f"detector/{detector_id}")
        return [passed(arn, f"GuardDuty detector {detector_id} is enabled in {ctx.region}.")]
    return [failed(ctx.account_setting_arn("guardduty"), f"GuardDuty is not enabled in {ctx.region}.")]


# The protection plans that watch workloads rather than the account: (feature name, what people call it).
PROTECTION_PLANS = (
    ("S3_DATA_EVENTS", "S3 Protection"),
    ("EBS_MALWARE_PROTECTION", "Malware Protection for EC2"),
    ("RUNTIME_MONITORING", "Runtime Monitoring"),
)


def _plan_enabled(detector: dict[str, Any], feature: str) -> bool:
    for item in detector.get("Features", []):
        if item.get("Name") == feature:
            return item.get("Status") == "ENABLED"
    # Detectors that predate features report the older data sources instead.
    sources = detector.get("DataSources", {})
    if feature == "S3_DATA_EVENTS":
        return sources.get("S3Logs", {}).get("Status") == "ENABLED"
    if feature == "EBS_MALWARE_PROTECTION":
        ebs = (
            sources.get("MalwareProtection", {}).get("ScanEc2InstanceWithFindings", {}).get("EbsVolumes", {})
        )
        return ebs.get("Status") == "ENABLED"
    return False


@check(
    id="guardduty.protection_plans",
    title="GuardDuty protection plans watch data, instances and running workloads",
    best_practices=["SEC01-BP08", "SEC06-BP05"],
    service="guardduty",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Turn on GuardDuty S3 Protection, Malware Protection for EC2 and Runtime Monitoring (with the managed "
        "agent) so threats inside data stores and running workloads are detected automatically, and review new "
        "protection plans as AWS adds them."
    ),
    actions=["guardduty:ListDetectors", "guardduty:GetDetector"],
)
def protection_plans(ctx: CheckContext) -> list[Result]:
    detectors = _enabled_detectors(ctx)
    if not detectors:
        return [failed(ctx.account_setting_arn("guardduty"), f"GuardDuty is not enabled in {ctx.region}.")]
    results = []
    for detector_id, detector in detectors:
        arn = ctx.arn("guardduty", f"detector/{detector_id}")
        off = [label for feature, label in PROTECTION_PLANS if not _plan_enabled(detector, feature)]
        if off:
            results.append(failed(arn, f"GuardDuty in {ctx.region} does not run: {', '.join(off)}."))
        else:
            results.append(passed(arn, f"GuardDuty in {ctx.region} runs S3, malware and runtime protection."))
    return results


FINDING_SOURCES = ("aws.guardduty", "aws.securityhub")


def _routes_findings(rule: dict[str, Any]) -> bool:
    try:
        pattern = json.loads(rule.get("EventPattern") or "{}")
    except ValueError:
        return False
    sources = pattern.get("source", []) if isinstance(pattern, dict) else []
    return any(source in FINDING_SOURCES for source in sources if isinstance(source, str))


@check(
    id="events.guardduty_findings_routed",
    title="EventBridge sends GuardDuty findings to responders or automation",
    best_practices=["SEC04-BP03", "SEC10-BP04"],
    service="events",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Add an EventBridge rule for GuardDuty (or Security Hub CSPM) findings with a target that reaches the "
        "people on call or starts your response playbook (SNS, a ticketing integration, Step Functions or "
        "Systems Manager Automation)."
    ),
    actions=[
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "events:ListRules",
        "events:ListTargetsByRule",
    ],
)
def guardduty_findings_routed(ctx: CheckContext) -> list[Result]:
    if not _enabled_detectors(ctx):
        return [
            not_applicable(
                ctx.account_setting_arn("events"),
                f"GuardDuty is off in {ctx.region} (see guardduty.enabled): there are no findings to route.",
            )
        ]
    rules = [rule for rule in ctx.paginate("events", "list_rules", "Rules") if _routes_findings(rule)]
    results = []
    for rule in rules:
        targets = list(ctx.paginate("events", "list_targets_by_rule", "Targets", Rule=rule["Name"]))
        if rule.get("State") == "ENABLED" and targets:
            results.append(
                passed(
                    rule["Arn"], f"Rule {rule['Name']} sends findings to {plural(len(targets), 'target')}."
                )
            )
        else:
            why = "is disabled" if rule.get("State") != "ENABLED" else "has no target"
            results.append(failed(rule["Arn"], f"Rule {rule['Name']} matches findings but {why}."))
    return results or [
        failed(
            ctx.account_setting_arn("events"),
            f"No EventBridge rule in {ctx.region} sends GuardDuty or Security Hub findings anywhere.",
        )
    ]


@check(
    id="securityhub.enabled",
    title="Security Hub CSPM collects findings",
    best_practices=["SEC04-BP02", "SEC04-BP03"],
    service="securityhub",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Enable Security Hub CSPM with the AWS Foundational Security Best Practices standard, with findings "
        "aggregated into one administrator account and region."
    ),
    actions=["securityhub:DescribeHub"],
)
def securityhub_enabled(ctx: CheckContext) -> list[Result]:
    try:
        hub = ctx.client("securityhub").describe_hub()
    except Exception as exc:
        if error_code(exc) == "InvalidAccessException":
            return [
                failed(
                    ctx.account_setting_arn("securityhub"),
                    f"Security Hub CSPM is not enabled in {ctx.region}.",
                )
            ]
        raise
    return [passed(hub["HubArn"], f"Security Hub CSPM is enabled in {ctx.region}.")]


@check(
    id="macie.enabled",
    title="Macie discovers sensitive data in S3",
    best_practices=["SEC07-BP03"],
    service="macie2",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Enable Amazon Macie with automated sensitive data discovery in regions that hold S3 data, so data "
        "that needs stronger controls is found without relying on people to label it."
    ),
    actions=["macie2:GetMacieSession"],
)
def macie_enabled(ctx: CheckContext) -> list[Result]:
    where = ctx.account_setting_arn("macie2")
    try:
        session = ctx.client("macie2").get_macie_session()
    except Exception as exc:
        # AWS answers AccessDenied "Macie is not enabled" where moto answers ResourceNotFound: both mean off.
        if error_code(exc) == "ResourceNotFoundException" or "not enabled" in str(exc):
            return [failed(where, f"Macie is not enabled in {ctx.region}.")]
        raise
    if session.get("status") == "ENABLED":
        return [passed(where, f"Macie is enabled in {ctx.region}.")]
    return [failed(where, f"Macie is {str(session.get('status', 'not enabled')).lower()} in {ctx.region}.")]


@check(
    id="inspector.enabled",
    title="Amazon Inspector scans EC2 instances and container images",
    best_practices=["SEC06-BP01", "SEC06-BP05"],
    service="inspector2",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Activate Amazon Inspector for EC2 and ECR (organization-wide through a delegated administrator) so "
        "software vulnerabilities are found continuously."
    ),
    actions=["inspector2:BatchGetAccountStatus"],
)
def inspector_enabled(ctx: CheckContext) -> list[Result]:
    where = ctx.account_setting_arn("inspector2")
    response = ctx.client("inspector2").batch_get_account_status(accountIds=[ctx.account_id])
    for failure in response.get("failedAccounts", []):
        if failure.get("accountId") == ctx.account_id:
            # Inspector could not tell us the account's state: that is not "off".
            return [
                errored(
                    where,
                    f"Inspector could not report this account's status in {ctx.region} "
                    f"({failure.get('errorCode', 'unknown error')}: {failure.get('errorMessage', '')}).",
                )
            ]
    for account in response.get("accounts", []):
        if account.get("accountId") != ctx.account_id:
            continue
        resources = account.get("resourceState", {})
        off = [kind.upper() for kind in ("ec2", "ecr") if resources.get(kind, {}).get("status") != "ENABLED"]
        if account.get("state", {}).get("status") == "ENABLED" and not off:
            return [passed(where, f"Inspector scans EC2 and ECR in {ctx.region}.")]
        if account.get("state", {}).get("status") == "ENABLED":
            return [failed(where, f"Inspector is on in {ctx.region} but does not scan {' or '.join(off)}.")]
        return [failed(where, f"Amazon Inspector is not enabled in {ctx.region}.")]
    # Moto (and a fresh account) lists nothing for an account that never turned Inspector on.
    return [failed(where, f"Amazon Inspector is not enabled in {ctx.region}.")]


@check(
    id="logs.retention_set",
    title="CloudWatch log groups have a retention period",
    best_practices=["SEC07-BP04", "SEC04-BP02"],
    service="logs",
    scope="regional",
    severity="LOW",
    remediation=(
        "Give every log group a retention period that matches how long you need the logs for investigations "
        "and compliance; export to S3 with lifecycle rules for longer archives."
    ),
    actions=["logs:DescribeLogGroups"],
)
def retention_set(ctx: CheckContext) -> list[Result]:
    results = []
    for group in ctx.paginate("logs", "describe_log_groups", "logGroups"):
        arn = group.get("arn", "").removesuffix(":*") or ctx.arn("logs", f"log-group:{group['logGroupName']}")
        if group.get("retentionInDays"):
            results.append(
                passed(arn, f"{group['logGroupName']} keeps logs for {group['retentionInDays']} days.")
            )
        else:
            results.append(failed(arn, f"{group['logGroupName']} keeps logs forever: no retention decision."))
    return results or [not_applicable(ctx.account_setting_arn("logs"), f"No log groups in {ctx.region}.")]
