"""Check declarations: one function per check, registered with what it evidences.

A check is a function `(ctx: CheckContext) -> list[Result]`. `ctx` carries the clients of one assumed-role
session, the region being checked and the account AWS says the session belongs to. The registry knows each
check's id, title, best practices, service, scope, severity, remediation and group (the library module it
lives in, which is also the unit of work a Celery task runs), so "what exactly do you check?" has one answer.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.utils import timezone

from .aws import describe_error
from .models import GLOBAL_REGION, FindingStatus, Severity

logger = logging.getLogger(__name__)

SCOPES = ("global", "regional")
BP_CODE_RE = re.compile(r"^SEC\d{2}-BP\d{2}$")
CHECK_ID_RE = re.compile(r"^[a-z0-9]+(?:\.[a-z0-9_]+)+$")
# "service:Operation" as IAM spells an action, e.g. "s3:GetBucketPolicy", "iam:GetAccountAuthorizationDetails".
IAM_ACTION_RE = re.compile(r"^[a-z0-9-]+:[A-Za-z0-9]+$")
LIBRARY_PACKAGE = "checks.library"


@dataclass(frozen=True)
class Result:
    """What a check saw about one resource; the runner adds check id, BPs, severity and the account."""

    status: str
    resource_arn: str
    message: str
    # Only when the resource lives elsewhere than the region checked (an S3 bucket seen by a global check).
    region: str | None = None


def passed(resource_arn: str, message: str, region: str | None = None) -> Result:
    return Result(FindingStatus.PASS, resource_arn, message, region)


def failed(resource_arn: str, message: str, region: str | None = None) -> Result:
    return Result(FindingStatus.FAIL, resource_arn, message, region)


def not_applicable(resource_arn: str, message: str, region: str | None = None) -> Result:
    return Result(FindingStatus.NOT_APPLICABLE, resource_arn, message, region)


def errored(resource_arn: str, message: str, region: str | None = None) -> Result:
    return Result(FindingStatus.ERROR, resource_arn, message, region)


class Unverifiable(Exception):
    """A check could see only part of what it has to judge (a sub-call refused, a listing cut short): its finding
    is ERROR with this message, never a PASS on what it happened to see."""


def plural(count: int, noun: str, plural_form: str | None = None) -> str:
    """ "1 rule", "3 rules": findings are read by people."""
    return f"{count} {noun if count == 1 else (plural_form or noun + 's')}"


def error_code(exc: BaseException) -> str:
    """The AWS error code of a ClientError, else ''; checks tell "not enabled" from real failures by it."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


@dataclass
class CheckContext:
    """One account session, seen from one region. For global checks `region` is where the API is called and
    `finding_region` is "global"."""

    account: Any  # aws.AccountSession, or anything with .client(service, region), .account_id, .partition
    region: str
    scope: str = "regional"
    now: datetime = field(default_factory=timezone.now)
    # Lookups several checks of one task share (the bucket list, the IAM users), made once per task.
    cache: dict[str, Any] = field(default_factory=dict)

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]

    @property
    def account_id(self) -> str:
        return self.account.account_id

    @property
    def partition(self) -> str:
        return getattr(self.account, "partition", "aws")

    @property
    def finding_region(self) -> str:
        return GLOBAL_REGION if self.scope == "global" else self.region

    def client(self, service: str, region: str | None = None) -> Any:
        return self.account.client(service, region or self.region)

    def pages(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> Iterator[dict]:
        """Every page of a paginated call: a listing is judged whole or not at all."""
        yield from self.client(service, region).get_paginator(operation).paginate(**kwargs)

    def paginate(
        self, service: str, operation: str, key: str, region: str | None = None, **kwargs: Any
    ) -> Iterator:
        for page in self.pages(service, operation, region, **kwargs):
            yield from page.get(key, [])

    @property
    def account_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:root"

    def account_setting_arn(self, service: str) -> str:
        """Names an account-level setting of a regional service (there is no real resource to point at)."""
        return f"arn:{self.partition}:{service}:{self.region}:{self.account_id}:account"

    def arn(self, service: str, resource: str, region: str | None = None) -> str:
        where = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{where}:{self.account_id}:{resource}"


CheckFunction = Callable[[CheckContext], list[Result]]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    best_practices: tuple[str, ...]
    service: str
    scope: str
    severity: str
    remediation: str
    group: str
    func: CheckFunction = field(repr=False, compare=False)
    # The IAM actions the check calls; tests/checks/test_permissions.py proves it calls no other and that the
    # role template grants them all.
    actions: tuple[str, ...] = ()
    # How long a finding counts as evidence; None: settings.EVIDENCE_VALID_DAYS.
    valid_days: int | None = None

    @property
    def validity(self) -> timedelta:
        return timedelta(days=self.valid_days or settings.EVIDENCE_VALID_DAYS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "service": self.service,
            "scope": self.scope,
            "severity": self.severity,
            "group": self.group,
            "best_practices": list(self.best_practices),
            "iam_actions": list(self.actions),
            "valid_days": self.validity.days,
            "remediation": self.remediation,
        }


@dataclass(frozen=True)
class FindingData:
    """A finding ready to store: everything but the run and the task."""

    check_id: str
    bp_codes: list[str]
    status: str
    resource_arn: str
    region: str
    account_id: str
    message: str
    severity: str
    collected_at: datetime
    valid_until: datetime


REGISTRY: dict[str, Check] = {}


def check(
    *,
    id: str,  # noqa: A002 - the word the issue and the users use
    title: str,
    best_practices: list[str],
    service: str,
    scope: str,
    severity: str,
    remediation: str,
    actions: list[str],
    group: str | None = None,
    valid_days: int | None = None,
) -> Callable[[CheckFunction], CheckFunction]:
    """Register a check. Mistakes in the declaration fail at import, not in a customer's run."""
    if not CHECK_ID_RE.match(id):
        raise ValueError(f"check id {id!r} must look like service.what_is_checked")
    if scope not in SCOPES:
        raise ValueError(f"check {id}: scope must be one of {SCOPES}")
    if severity not in Severity.values:
        raise ValueError(f"check {id}: severity must be one of {Severity.values}")
    bad = [code for code in best_practices if not BP_CODE_RE.match(code)]
    if not best_practices or bad:
        raise ValueError(f"check {id}: best_practices must be BP codes like SEC04-BP01, got {best_practices}")
    if not title.strip() or not remediation.strip():
        raise ValueError(f"check {id}: needs a title and remediation text")
    bad = [action for action in actions if not IAM_ACTION_RE.match(action)]
    if not actions or bad:
        raise ValueError(f"check {id}: actions must be IAM actions like ec2:DescribeInstances, got {actions}")
    if valid_days is not None and valid_days < 1:
        raise ValueError(f"check {id}: valid_days must be at least 1")

    def register(func: CheckFunction) -> CheckFunction:
        existing = REGISTRY.get(id)
        if existing is not None and existing.func.__qualname__ != func.__qualname__:
            raise ValueError(
                f"check id {id} is registered twice ({existing.func.__module__}, {func.__module__})"
            )
        REGISTRY[id] = Check(
            id=id,
            title=title,
            best_practices=tuple(best_practices),
            service=service,
            scope=scope,
            severity=severity,
            remediation=remediation,
            group=group or func.__module__.rsplit(".", 1)[-1],
            func=func,
            actions=tuple(sorted(set(actions))),
            valid_days=valid_days,
        )
        return func

    return register


_loaded = False


def load_library() -> None:
    """Import every module of checks/library so their @check declarations run."""
    global _loaded
    if _loaded:
        return
    package = importlib.import_module(LIBRARY_PACKAGE)
    for info in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{LIBRARY_PACKAGE}.{info.name}")
    _loaded = True


def all_checks() -> list[Check]:
    load_library()
    return sorted(REGISTRY.values(), key=lambda c: (c.group, c.id))


def get_check(check_id: str) -> Check | None:
    load_library()
    return REGISTRY.get(check_id)


def groups() -> list[str]:
    return sorted({c.group for c in all_checks()})


def checks_for(group: str, scope: str) -> list[Check]:
    return [c for c in all_checks() if c.group == group and c.scope == scope]


def checks_by_bp() -> dict[str, list[Check]]:
    by_bp: dict[str, list[Check]] = {}
    for item in all_checks():
        for code in item.best_practices:
            by_bp.setdefault(code, []).append(item)
    return by_bp


def work_units(regions: list[str]) -> list[tuple[str, str]]:
    """The (group, region) pairs a collection in `regions` runs: a group's global checks once, in "global",
    and its regional checks once per region."""
    units: list[tuple[str, str]] = []
    for group in groups():
        if checks_for(group, "global"):
            units.append((group, GLOBAL_REGION))
        if checks_for(group, "regional"):
            units.extend((group, region) for region in regions)
    return units


def run_check(item: Check, ctx: CheckContext) -> list[FindingData]:
    """Run one check; an AWS refusal or a bug in the check becomes an ERROR finding, never a crashed task."""
    try:
        results = item.func(ctx)
    except SoftTimeLimitExceeded:
        # The task's time is up: let the task record that, instead of filing it as this check's error.
        raise
    except (ClientError, BotoCoreError) as exc:
        _, message = describe_error(exc)
        results = [errored(_scope_arn(item, ctx), message)]
    except Unverifiable as exc:
        results = [errored(_scope_arn(item, ctx), str(exc))]
    except Exception as exc:
        logger.exception("check %s failed in %s/%s", item.id, ctx.account_id, ctx.region)
        results = [errored(_scope_arn(item, ctx), f"The check itself failed ({type(exc).__name__}: {exc}).")]
    if not results:
        results = [not_applicable(_scope_arn(item, ctx), "There was nothing of this kind to check.")]
    collected_at = timezone.now()
    return [
        FindingData(
            check_id=item.id,
            bp_codes=list(item.best_practices),
            status=result.status,
            resource_arn=result.resource_arn[:2048],
            region=result.region or ctx.finding_region,
            account_id=ctx.account_id,
            message=result.message,
            severity=item.severity,
            collected_at=collected_at,
            valid_until=collected_at + item.validity,
        )
        for result in results
    ]


def _scope_arn(item: Check, ctx: CheckContext) -> str:
    return ctx.account_arn if item.scope == "global" else ctx.account_setting_arn(item.service)
