"""Reads of evidence: per-BP summaries (built in summaries.py), drill-downs, run pages, imports and check
coverage.

Each function runs a fixed number of queries whatever the number of findings; tests pin the counts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from questionnaire.models import BestPractice, Lens, Question
from reviewapp.models import Review, Workload

from .models import EvidenceImport, EvidenceRun, Finding, FindingStatus
from .registry import Check, checks_by_bp, get_check
from .summaries import (
    VERDICT_LABELS,
    BpEvidence,
    Gap,
    Verdict,
    current_findings,
    evidence_by_bp,
    has_evidence,
    latest_usable_run,
    run_summaries,
    summarise,
)

__all__ = [
    "VERDICT_LABELS",
    "BpEvidence",
    "Gap",
    "Verdict",
    "evidence_by_bp",
    "has_evidence",
    "latest_usable_run",
    "run_summaries",
]


@dataclass(frozen=True)
class Suggestions:
    """What the evidence suggests for one question: never an answer, until a person confirms it."""

    # The question's best practices the current evidence SUPPORTS, in catalogue order.
    codes: list[str]
    # The evidence run behind them (None when they come from imported findings only).
    run_id: Any
    # Where the evidence came from (runs, imported scanner files), for the audit entry.
    sources: list[str]


def suggested_practices(review: Review, question: Question) -> Suggestions:
    """The best practices of `question` that the current evidence SUPPORTS. INCONCLUSIVE ones (a check could not
    look, a task failed, the evidence expired) are never among them. Nothing is answered here."""
    evidence = evidence_by_bp(review.workload)
    codes = question.best_practices.order_by("order").values_list("code", flat=True)
    supported = [code for code in codes if code in evidence and evidence[code].verdict == Verdict.SUPPORTS]
    run_id = next((evidence[code].run_id for code in supported if evidence[code].run_id), None)
    sources = sorted({source for code in supported for source in evidence[code].sources})
    return Suggestions(supported, run_id, sources)


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    check: Check | None

    @property
    def remediation(self) -> str:
        return self.check.remediation if self.check else ""

    @property
    def title(self) -> str:
        if self.check:
            return self.check.title
        return self.finding.title or self.finding.check_id


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
    """The current evidence for one BP, our checks' and imported scanners' side by side: failing and
    unverifiable resources first, with remediation, and the places no check could look."""
    drilldown = BpDrilldown(
        bp=_builtin_bp(bp_code), run=None, summary=None, checks=checks_by_bp().get(bp_code, [])
    )
    run = latest_usable_run(workload)
    drilldown.run = run
    findings = current_findings(run, workload.pk)
    drilldown.summary = summarise(findings, run=run).get(bp_code)
    if drilldown.summary is None:
        return drilldown
    rows = findings.filter(check_id__in=drilldown.summary.check_ids).order_by(
        "source", "check_id", "account_id", "region", "resource_arn"
    )[:limit]
    for finding in rows:
        if bp_code not in finding.bp_codes:
            continue
        row = FindingRow(finding, get_check(finding.check_id) if not finding.is_imported else None)
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


def imports_of(workload: Workload, limit: int = 10) -> QuerySet[EvidenceImport]:
    return (
        EvidenceImport.objects.filter(workload=workload)
        .select_related("imported_by")
        .order_by("-created_at")[:limit]
    )


def import_findings(evidence_import: EvidenceImport, *, unmapped: bool | None = None) -> QuerySet[Finding]:
    """An import's findings, problems first; `unmapped=True` for those no mapping table covers."""
    findings = Finding.objects.filter(evidence_import=evidence_import)
    if unmapped is True:
        findings = findings.filter(bp_codes=[])
    elif unmapped is False:
        findings = findings.filter(~Q(bp_codes=[]))
    return findings.order_by("status", "check_id", "account_id", "region", "resource_arn")
