"""Talking to the AWS Well-Architected Tool: which workload, through which role, and every call retried on
throttling with backoff.

The tool's workload is named by its ARN; its account must be one of the workload's connected AWS accounts, and
the call goes through the same assumed role as evidence collection (checks.aws, the only place that builds
boto3 clients). botocore's own retries are turned off for this client so the policy here is the only one: a
throttled call waits (exponential backoff with full jitter) and is tried again, up to MAX_ATTEMPTS times.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
import uuid
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.core.exceptions import ValidationError

from checks.aws import AwsError, assume_role, describe_error
from checks.models import AwsTarget

from ..models import Review

LENS_ALIAS = "wellarchitected"
PILLAR_ID = "security"
PAGE_SIZE = 50  # ListAnswers' largest page
MAX_ATTEMPTS = 5
BACKOFF_BASE, BACKOFF_CAP = 0.5, 8.0  # seconds
THROTTLING_CODES = frozenset(
    {"ThrottlingException", "TooManyRequestsException", "Throttling", "RequestLimitExceeded", "SlowDown"}
)
_ARN = re.compile(
    r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):wellarchitected:(?P<region>[a-z]{2}(?:-[a-z]+)+-\d{1,2}):"
    r"(?P<account>\d{12}):workload/(?P<id>[0-9a-f]{32})$"
)
_PARTITIONS = {"cn-": "aws-cn", "us-gov-": "aws-us-gov"}

# Tests replace this to count the waits instead of waiting.
sleep = time.sleep


class WaToolError(Exception):
    """The tool could not be reached or refused a call; the message says why, for a person."""


@dataclass(frozen=True)
class ToolWorkload:
    arn: str
    region: str
    account_id: str
    workload_id: str


def parse_workload_arn(arn: str) -> ToolWorkload:
    match = _ARN.match(arn.strip())
    if match is None:
        raise ValidationError(
            {
                "workload_arn": [
                    "Enter the workload ARN from the Well-Architected Tool, such as "
                    "arn:aws:wellarchitected:eu-west-1:111122223333:workload/0123456789abcdef0123456789abcdef."
                ]
            }
        )
    return ToolWorkload(arn.strip(), match["region"], match["account"], match["id"])


def workload_arn(*, region: str, account_id: str, workload_id: str) -> str:
    """The ARN of a tool workload known by its id, account and region."""
    partition = next((name for prefix, name in _PARTITIONS.items() if region.startswith(prefix)), "aws")
    return f"arn:{partition}:wellarchitected:{region}:{account_id}:workload/{workload_id}"


def milestone_token(tool: ToolWorkload, name: str) -> str:
    """One token per (tool workload, milestone name): a retried export saves one milestone there, and the same
    name on another tool workload is a milestone of its own."""
    return hashlib.sha256(f"{tool.workload_id}:{name}".encode()).hexdigest()


def connect(review: Review, tool: ToolWorkload) -> Any:
    """A `wellarchitected` client in the tool workload's account, through that account's connected role."""
    target = AwsTarget.objects.filter(workload_id=review.workload_id, account_id=tool.account_id).first()
    if target is None:
        raise ValidationError(
            {
                "workload_arn": [
                    f"Account {tool.account_id} is not connected to {review.workload.name}: connect it under "
                    "AWS accounts first, with a role allowed to use the Well-Architected Tool."
                ]
            }
        )
    try:
        account = assume_role(target, f"watool-{uuid.uuid4().hex[:12]}", region=tool.region)
    except AwsError as exc:
        raise WaToolError(exc.message) from exc
    return account.client("wellarchitected", tool.region, max_attempts=1)


def backoff(attempt: int) -> float:
    """Seconds to wait before retry number `attempt` (0-based): full jitter under a doubling cap."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * 2**attempt))  # noqa: S311  # nosec B311


def call(client: Any, operation: str, **params: Any) -> dict:
    """One API call; throttling is waited out and retried, any other refusal becomes a WaToolError."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return getattr(client, operation)(**params)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in THROTTLING_CODES and attempt + 1 < MAX_ATTEMPTS:
                sleep(backoff(attempt))
                continue
            _code, message = describe_error(exc)
            raise WaToolError(f"The Well-Architected Tool refused: {message}") from exc
        except BotoCoreError as exc:
            _code, message = describe_error(exc)
            raise WaToolError(f"The Well-Architected Tool could not be reached: {message}") from exc
    raise AssertionError("unreachable")  # pragma: no cover


def list_security_answers(client: Any, workload_id: str) -> list[dict]:
    """Every Security pillar answer summary of the tool's workload, following NextToken to the last page."""
    summaries: list[dict] = []
    params = {
        "WorkloadId": workload_id,
        "LensAlias": LENS_ALIAS,
        "PillarId": PILLAR_ID,
        "MaxResults": PAGE_SIZE,
    }
    while True:
        page = call(client, "list_answers", **params)
        summaries.extend(page.get("AnswerSummaries", []))
        token = page.get("NextToken")
        if not token:
            return summaries
        params["NextToken"] = token


def get_answer(client: Any, workload_id: str, question_id: str) -> dict:
    """The full answer of one question: its notes and choice-level statuses, reasons and notes."""
    return call(client, "get_answer", WorkloadId=workload_id, LensAlias=LENS_ALIAS, QuestionId=question_id)[
        "Answer"
    ]
