"""Each check is proven with a compliant and a non-compliant moto setup: a Case holds both."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from checks.models import FindingStatus

from .conftest import MotoAccount, run


def nothing(account: MotoAccount) -> None:
    """A fresh moto account, as AWS creates it."""


@dataclass(frozen=True)
class Case:
    good: Callable[[MotoAccount], None]
    bad: Callable[[MotoAccount], None]
    # Run the non-compliant setup this far in the future (keys and certificates age).
    later: timedelta = timedelta(0)


def assert_passes(check_id: str, case: Case, account: MotoAccount) -> None:
    case.good(account)
    findings = run(check_id, account)
    assert findings, check_id
    assert {f.status for f in findings} <= {FindingStatus.PASS, FindingStatus.NOT_APPLICABLE}, findings
    assert FindingStatus.PASS in {f.status for f in findings}, findings
    assert all(f.account_id == account.account_id and f.check_id == check_id for f in findings)


def assert_fails(check_id: str, case: Case, account: MotoAccount) -> None:
    case.bad(account)
    now: datetime = timezone.now() + case.later
    findings = run(check_id, account, now=now)
    assert FindingStatus.FAIL in {f.status for f in findings}, findings
    failing = [f for f in findings if f.status == FindingStatus.FAIL]
    assert all(f.message and f.resource_arn.startswith("arn:") for f in failing), failing
