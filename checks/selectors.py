"""Reads of evidence: per-BP summaries of the latest finished run, drill-downs, run pages and check coverage.

Each function runs a fixed number of queries whatever the number of findings; tests pin the counts.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from questionnaire.models import BestPractice, Lens, Question
from reviewapp.models import Review, Workload

from .models import USABLE_STATES, EvidenceRun, Finding, FindingStatus
from .registry import Check, checks_by_bp, get_check


class Verdict(StrEnum):
    # Every check that could look found the practice in place.
    SUPPORTS = "SUPPORTS"
    # At least one resource contradicts the practice.
    CONTRADICTS = "CONTRADICTS"
    # The checks could not look (errors) or found nothing to look at.
    INCONCLUSIVE = "INCONCLUSIVE"


VERDICT_LABELS = {
    Verdict.SUPPORTS: "Evidence supports",
    Verdict.CONTRADICTS: "Evidence contradicts",
    Verdict.INCONCLUSIVE: "Evidence inconclusive",
}


@dataclass(frozen=True)
class BpEvidence:
    """The latest evidence about one best practice of a workload."""

    bp_code: str
    verdict: Verdict
    passed: int
    failed: int
    errors: int
    not_applicable: int
    check_ids: tuple[str, ...]
    run_id: Any
    collected_at: datetime

    @property
    def label(self) -> str:
        return VERDICT_LABELS[self.verdict]

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.collected_at

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.not_applicable


def _verdict(passed: int, failed: int) -> Verdict:
    if failed:
        return Verdict.CONTRADICTS
    if passed:
        return Verdict.SUPPORTS
    return Verdict.INCONCLUSIVE


def latest_usable_run(workload: Workload | Any) -> EvidenceRun | None:
    """The most recent run that finished with findings worth showing (SUCCEEDED or PARTIAL)."""
    workload_id = workload.pk if isinstance(workload, Workload) else workload
    return (
        EvidenceRun.objects.filter(
            workload_id=workload_id, state__in=USABLE_STATES, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .first()
    )


def run_summaries(run: EvidenceRun) -> dict[str, BpEvidence]:
    """{BP code: summary} of one run; the reports use it to show evidence as it stood at a milestone."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    checks: dict[str, set[str]] = defaultdict(set)
    rows = (
        Finding.objects.filter(run=run)
        .values("check_id", "bp_codes", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        for code in row["bp_codes"]:
            counts[code][row["status"]] += row["n"]
            checks[code].add(row["check_id"])
    summaries = {}
    for code, by_status in counts.items():
        passed, failed = by_status[FindingStatus.PASS], by_status[FindingStatus.FAIL]
        summaries[code] = BpEvidence(
            bp_code=code,
            verdict=_verdict(passed, failed),
            passed=passed,
            failed=failed,
            errors=by_status[FindingStatus.ERROR],
            not_applicable=by_status[FindingStatus.NOT_APPLICABLE],
            check_ids=tuple(sorted(checks[code])),
            run_id=run.pk,
            collected_at=run.finished_at or run.created_at,
        )
    return summaries


def evidence_by_bp(workload: Workload | Any) -> dict[str, BpEvidence]:
    """{BP code: summary} from the latest finished run; empty when there is none. Two queries."""
    run = latest_usable_run(workload)
    return run_summaries(run) if run is not None else {}


def suggested_practices(review: Review, question: Question) -> tuple[list[str], Any]:
    """The best practices of `question` that the latest usable evidence SUPPORTS, in catalogue order, and the
    run they come from (None when there is no evidence). Suggestions only: nothing is answered here."""
    evidence = evidence_by_bp(review.workload)
    codes = question.best_practices.order_by("order").values_list("code", flat=True)
    supported = [code for code in codes if code in evidence and evidence[code].verdict == Verdict.SUPPORTS]
    run_id = next(iter(evidence.values())).run_id if evidence else None
    return supported, run_id


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    check: Check | None

    @property
    def remediation(self) -> str:
        return self.check.remediation if self.check else ""

    @property
    def title(self) -> str:
        return self.check.title if self.check else self.finding.check_id


@dataclass
class BpDrilldown:
    bp: BestPractice | None
    run: EvidenceRun | None
    summary: BpEvidence | None
    failing: list[FindingRow] = field(default_factory=list)
    others: list[FindingRow] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def _builtin_bp(code: str) -> BestPractice | None:
    lens = Lens.objects.filter(slug=settings.DEFAULT_LENS_SLUG).only("id").first()
    if lens is None:
        return None
    return (
        BestPractice.objects.filter(question__lens_version__lens=lens, code=code)
        .select_related("question")
        .order_by("-question__lens_version__number")
        .first()
    )


FAILING_STATUSES = (FindingStatus.FAIL, FindingStatus.ERROR)


def bp_drilldown(workload: Workload, bp_code: str, *, limit: int = 500) -> BpDrilldown:
    """The latest run's findings for one BP: failing and unverifiable resources first, with remediation."""
    drilldown = BpDrilldown(
        bp=_builtin_bp(bp_code), run=None, summary=None, checks=checks_by_bp().get(bp_code, [])
    )
    run = latest_usable_run(workload)
    if run is None:
        return drilldown
    drilldown.run = run
    drilldown.summary = run_summaries(run).get(bp_code)
    if drilldown.summary is None:
        return drilldown
    findings = Finding.objects.filter(run=run, check_id__in=drilldown.summary.check_ids).order_by(
        "check_id", "account_id", "region", "resource_arn"
    )[:limit]
    for finding in findings:
        row = FindingRow(finding, get_check(finding.check_id))
        (drilldown.failing if finding.status in FAILING_STATUSES else drilldown.others).append(row)
    return drilldown


def runs_of(workload: Workload, limit: int = 10) -> QuerySet[EvidenceRun]:
    return (
        EvidenceRun.objects.filter(workload=workload)
        .select_related("started_by")
        .order_by("-created_at")[:limit]
    )


def status_counts(run: EvidenceRun) -> dict[str, int]:
    rows = Finding.objects.filter(run=run).values("status").annotate(n=Count("id")).order_by()
    counts = dict.fromkeys(FindingStatus.values, 0)
    counts.update({row["status"]: row["n"] for row in rows})
    return counts


@dataclass(frozen=True)
class FindingFilters:
    status: str = ""
    check_id: str = ""
    account_id: str = ""
    region: str = ""


def findings_of(run: EvidenceRun, filters: FindingFilters) -> QuerySet[Finding]:
    findings = Finding.objects.filter(run=run)
    if filters.status:
        findings = findings.filter(status=filters.status)
    if filters.check_id:
        findings = findings.filter(check_id=filters.check_id)
    if filters.account_id:
        findings = findings.filter(account_id=filters.account_id)
    if filters.region:
        findings = findings.filter(region=filters.region)
    # Problems first: what a person has to act on.
    return findings.order_by("status", "check_id", "account_id", "region", "resource_arn")


def filter_choices(run: EvidenceRun) -> dict[str, list[str]]:
    """The distinct checks, accounts and regions of a run, for the filter drop-downs. One query."""
    rows = (
        Finding.objects.filter(run=run).values_list("check_id", "account_id", "region").distinct().order_by()
    )
    checks, accounts, regions = set(), set(), set()
    for check_id, account_id, region in rows:
        checks.add(check_id)
        accounts.add(account_id)
        regions.add(region)
    return {"checks": sorted(checks), "accounts": sorted(accounts), "regions": sorted(regions)}


@dataclass(frozen=True)
class CoverageRow:
    bp: BestPractice
    checks: tuple[Check, ...]

    @property
    def automated(self) -> bool:
        return bool(self.checks)


def coverage() -> list[CoverageRow]:
    """Every BP of the current built-in lens with the checks that evidence it (none: a person must verify)."""
    lens = Lens.objects.filter(slug=settings.DEFAULT_LENS_SLUG).first()
    version = lens.current_version() if lens else None
    if version is None:
        return []
    by_bp = checks_by_bp()
    practices = (
        BestPractice.objects.filter(question__lens_version=version)
        .select_related("question")
        .order_by("question__order", "order")
    )
    return [CoverageRow(bp, tuple(by_bp.get(bp.code, ()))) for bp in practices]
