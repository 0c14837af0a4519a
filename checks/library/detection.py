"""Logging and detection: CloudTrail, AWS Config, GuardDuty, Security Hub, Macie, Inspector, log retention."""

from __future__ import annotations

from ..registry import CheckContext, Result, check, error_code, failed, not_applicable, passed


def _trails(ctx: CheckContext) -> list[dict]:
    # Shadow trails are the copies of multi-region trails seen from other regions: list each trail once.
    return ctx.client("cloudtrail").describe_trails(includeShadowTrails=False)["trailList"]


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
)
def multi_region_logging(ctx: CheckContext) -> list[Result]:
    trails = _trails(ctx)
    multi = [trail for trail in trails if trail.get("IsMultiRegionTrail")]
    for trail in multi:
        status = ctx.client("cloudtrail", trail.get("HomeRegion") or ctx.region).get_trail_status(
            Name=trail["TrailARN"]
        )
        if status.get("IsLogging"):
            return [passed(trail["TrailARN"], f"Trail {trail['Name']} logs API activity in every region.")]
    if multi:
        return [
            failed(multi[0]["TrailARN"], f"Multi-region trail {multi[0]['Name']} exists but is not logging.")
        ]
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
)
def log_file_validation(ctx: CheckContext) -> list[Result]:
    results = []
    for trail in _trails(ctx):
        if trail.get("LogFileValidationEnabled"):
            results.append(passed(trail["TrailARN"], f"Trail {trail['Name']} writes signed digest files."))
        else:
            results.append(
                failed(trail["TrailARN"], f"Trail {trail['Name']} does not validate its log files.")
            )
    return results or [not_applicable(ctx.account_arn, "There is no CloudTrail trail to inspect.")]


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
)
def recorder_on(ctx: CheckContext) -> list[Result]:
    config = ctx.client("config")
    recorders = config.describe_configuration_recorders()["ConfigurationRecorders"]
    if not recorders:
        return [failed(ctx.account_setting_arn("config"), f"No AWS Config recorder exists in {ctx.region}.")]
    statuses = {
        s["name"]: s for s in config.describe_configuration_recorder_status()["ConfigurationRecordersStatus"]
    }
    results = []
    for recorder in recorders:
        arn = recorder.get("arn") or ctx.arn("config", f"configuration-recorder/{recorder['name']}")
        if statuses.get(recorder["name"], {}).get("recording"):
            results.append(passed(arn, f"Recorder {recorder['name']} is recording in {ctx.region}."))
        else:
            results.append(failed(arn, f"Recorder {recorder['name']} exists but is stopped in {ctx.region}."))
    return results


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
)
def guardduty_enabled(ctx: CheckContext) -> list[Result]:
    guardduty = ctx.client("guardduty")
    detector_ids = guardduty.list_detectors()["DetectorIds"]
    for detector_id in detector_ids:
        detector = guardduty.get_detector(DetectorId=detector_id)
        if detector.get("Status") == "ENABLED":
            arn = ctx.arn("guardduty", f"detector/{detector_id}")
            return [passed(arn, f"GuardDuty detector {detector_id} is enabled in {ctx.region}.")]
    return [failed(ctx.account_setting_arn("guardduty"), f"GuardDuty is not enabled in {ctx.region}.")]


@check(
    id="securityhub.enabled",
    title="Security Hub collects findings",
    best_practices=["SEC04-BP02", "SEC04-BP03"],
    service="securityhub",
    scope="regional",
    severity="MEDIUM",
    remediation=(
        "Enable Security Hub with the AWS Foundational Security Best Practices standard, aggregated into "
        "one administrator account and region."
    ),
)
def securityhub_enabled(ctx: CheckContext) -> list[Result]:
    try:
        hub = ctx.client("securityhub").describe_hub()
    except Exception as exc:
        if error_code(exc) == "InvalidAccessException":
            return [
                failed(
                    ctx.account_setting_arn("securityhub"), f"Security Hub is not enabled in {ctx.region}."
                )
            ]
        raise
    return [passed(hub["HubArn"], f"Security Hub is enabled in {ctx.region}.")]


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
    best_practices=["SEC06-BP01"],
    service="inspector2",
    scope="regional",
    severity="HIGH",
    remediation=(
        "Activate Amazon Inspector for EC2 and ECR (organization-wide through a delegated administrator) so "
        "software vulnerabilities are found continuously."
    ),
)
def inspector_enabled(ctx: CheckContext) -> list[Result]:
    where = ctx.account_setting_arn("inspector2")
    response = ctx.client("inspector2").batch_get_account_status(accountIds=[ctx.account_id])
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
