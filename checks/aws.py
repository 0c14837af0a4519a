"""The only module that builds boto3 sessions and clients.

No long-term keys are stored anywhere in the app: the worker's own identity comes from the standard AWS
environment (instance or task role, AWS_PROFILE, environment variables) and is only used to call
sts:AssumeRole into a connected account's read-only role, with the target's external id. Every session we hand
to checks is stamped with the account GetCallerIdentity reports, so a finding can never be attributed to the
wrong account.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from django.conf import settings

if TYPE_CHECKING:
    from .models import AwsTarget

# Calls that fail on throttling back off and slow down for the whole client (adaptive mode), instead of
# hammering an account that many tasks read in parallel.
MAX_ATTEMPTS = 5
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
SESSION_DURATION = 3600
_SESSION_NAME_BAD = re.compile(r"[^\w+=,.@-]")

ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "AuthorizationError",
        "AuthorizationErrorException",
        "UnauthorizedAccess",
        "Forbidden",
    }
)
# What AWS answers in a region the account has not opted into, or for a service the account cannot use there.
REGION_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "AuthFailure",
        "OptInRequired",
        "SubscriptionRequiredException",
        "InvalidRegion",
    }
)


class AwsError(Exception):
    """A failure talking to AWS, with a message fit to show a person and the AWS error code if any."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def client_config(max_attempts: int = MAX_ATTEMPTS) -> Config:
    return Config(
        retries={"mode": "adaptive", "max_attempts": max_attempts},
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        user_agent_appid="wa-security-reviews",
        # A local emulator listens on one host: "<account-id>.127.0.0.1" host prefixes would not resolve.
        inject_host_prefix=endpoint_url() is None,
    )


def endpoint_url() -> str | None:
    return settings.AWS_ENDPOINT_URL or None


def session_name(run_id: Any) -> str:
    """RoleSessionName carrying the run id, so the customer's CloudTrail shows which run made each call.

    AWS allows 2-64 characters: letters, digits and _+=,.@-
    """
    name = _SESSION_NAME_BAD.sub("-", f"wa-review-{run_id}")[:64]
    return name if len(name) >= 2 else "wa-review"


def _client(session: boto3.Session, service: str, region: str, max_attempts: int = MAX_ATTEMPTS) -> Any:
    config = client_config(max_attempts)
    client = session.client(service, region_name=region, endpoint_url=endpoint_url(), config=config)
    if service == "s3control" and endpoint_url():
        client.meta.events.register("before-sign.s3-control", _strip_account_host_prefix)
    return client


def _strip_account_host_prefix(request: Any, **kwargs: Any) -> None:
    """S3 Control's endpoint rules put the account id in front of the host ("123456789012.127.0.0.1"), which a
    local emulator's address cannot resolve; the account also travels in the x-amz-account-id header."""
    parts = urlsplit(request.url)
    account, _, host = parts.netloc.partition(".")
    if account.isdigit() and len(account) == 12 and host:
        request.url = urlunsplit(parts._replace(netloc=host))


_loader: Any = None


def _botocore_session() -> botocore.session.Session:
    """A fresh botocore session sharing one process-wide model loader: parsing a service's JSON model costs
    0.1-0.5 s per client otherwise, paid again by every task (each task has its own credentials)."""
    global _loader
    session = botocore.session.get_session()
    if _loader is None:
        _loader = session.get_component("data_loader")
    else:
        session.register_component("data_loader", _loader)
    return session


def app_session() -> boto3.Session:
    """The app's own identity, resolved by boto3 from the environment."""
    return boto3.Session(botocore_session=_botocore_session())


def known_regions() -> list[str]:
    """Every region botocore's bundled endpoint data knows for EC2, opt-in regions and other partitions
    included."""
    global _regions
    if _regions is None:
        session = boto3.Session(botocore_session=_botocore_session())
        found: set[str] = set()
        for partition in session.get_available_partitions():
            found |= set(session.get_available_regions("ec2", partition_name=partition))
        _regions = sorted(found)
    return _regions


_regions: list[str] | None = None


def describe_error(exc: BaseException) -> tuple[str, str]:
    """(AWS error code or exception name, a sentence for a person) for an SDK failure."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "ClientError")
        message = str(error.get("Message") or exc)
        operation = exc.operation_name
        if code in ACCESS_DENIED_CODES:
            return code, f"Access denied to {operation}: the role lacks this permission ({code}: {message})"
        if code in REGION_CODES:
            return code, (
                f"{operation} was refused ({code}: {message}). The region may be an opt-in region that is "
                f"not enabled for this account, or the service is not available to it there."
            )
        return code, f"{operation} failed ({code}: {message})"
    if isinstance(exc, NoCredentialsError):
        return "NoCredentials", (
            "The app has no AWS identity of its own to assume roles with: give the worker an instance or "
            "task role, or set AWS_PROFILE / AWS_ACCESS_KEY_ID in its environment."
        )
    # Timeouts first: botocore's connect timeout is also an EndpointConnectionError.
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError):
        return type(exc).__name__, f"AWS did not answer in time ({exc})."
    if isinstance(exc, EndpointConnectionError):
        return "EndpointConnectionError", (
            f"Could not reach {exc.kwargs.get('endpoint_url', 'the AWS endpoint')}: the service may not be "
            f"available in this region, or the network blocks it."
        )
    if isinstance(exc, BotoCoreError):
        return type(exc).__name__, str(exc)
    return type(exc).__name__, str(exc) or type(exc).__name__


@dataclass
class AccountSession:
    """Temporary credentials in one connected account, with the identity AWS says they belong to."""

    session: boto3.Session
    account_id: str
    arn: str
    partition: str = "aws"
    _clients: dict[tuple[str, str, int], Any] = field(default_factory=dict, repr=False)

    def client(self, service: str, region: str, *, max_attempts: int = MAX_ATTEMPTS) -> Any:
        """A client of `service` in `region`; `max_attempts=1` for a caller with its own retry policy."""
        key = (service, region, max_attempts)
        if key not in self._clients:
            self._clients[key] = _client(self.session, service, region, max_attempts)
        return self._clients[key]


def caller_identity(session: boto3.Session, region: str) -> dict[str, str]:
    return _client(session, "sts", region).get_caller_identity()


def assume_role(target: AwsTarget, run_id: Any, *, region: str | None = None) -> AccountSession:
    """Assume the target's role with its external id; raise AwsError with the exact reason if AWS refuses."""
    region = region or target.home_region
    try:
        sts = _client(app_session(), "sts", region)
        response = sts.assume_role(
            RoleArn=target.role_arn,
            RoleSessionName=session_name(run_id),
            ExternalId=target.external_id,
            DurationSeconds=SESSION_DURATION,
        )
        credentials = response["Credentials"]
        session = boto3.Session(
            botocore_session=_botocore_session(),
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=region,
        )
        identity = caller_identity(session, region)
    except (ClientError, BotoCoreError) as exc:
        code, message = describe_error(exc)
        raise AwsError(f"Could not assume {target.role_arn}: {message}", code) from exc
    account_id = identity["Account"]
    if account_id != target.account_id:
        # The role lives elsewhere than the user said: refuse rather than file findings under the wrong
        # account.
        raise AwsError(
            f"The role {target.role_arn} answered from account {account_id}, not {target.account_id}. Check "
            f"the account id and role ARN of this target.",
            "AccountMismatch",
        )
    arn = identity["Arn"]
    return AccountSession(session=session, account_id=account_id, arn=arn, partition=arn.split(":")[1])


@dataclass(frozen=True)
class ConnectionResult:
    ok: bool
    message: str
    account_id: str = ""
    arn: str = ""


def test_connection(target: AwsTarget) -> ConnectionResult:
    """What the "Test connection" button reports: the account reached, or AWS's exact refusal."""
    try:
        account = assume_role(target, "connection-test")
    except AwsError as exc:
        return ConnectionResult(ok=False, message=exc.message)
    return ConnectionResult(
        ok=True,
        message=f"Connected to account {account.account_id} as {account.arn}.",
        account_id=account.account_id,
        arn=account.arn,
    )


# pytest collects any module-level callable named test_*; this one is not a test.
test_connection.__test__ = False  # type: ignore[attr-defined]
