"""Per best practice, what the evidence says: SUPPORTS, CONTRADICTS or INCONCLUSIVE, with why.

An error is never support. A practice's summary is INCONCLUSIVE whenever a check that evidences it could not
look (an ERROR finding: access denied, an opt-in region, a listing cut short) or a task that would have run
such a check failed or was cancelled; the summary carries each gap (account, region, check, reason) so the page
can say who could not look and why. Expired evidence (past its valid_until) is counted as stale and judged
by nobody: a practice with only stale evidence is INCONCLUSIVE too, so it never feeds a suggestion.

The evidence of a workload is its latest usable run plus the current (not superseded) imported scanner
findings. Every function runs a fixed number of queries whatever the number of findings.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, Min, OuterRef, Q, QuerySet
from django.utils import timezone

from reviewapp.models import Workload

from .models import (
    GLOBAL_REGION,
    USABLE_STATES,
    EvidenceImport,
    EvidenceRun,
    EvidenceTask,
    Finding,
    FindingSource,
    FindingStatus,
    RunState,
    TaskState,
)
from .registry import checks_for

# Gaps listed per practice; beyond this the page says "and N more".
MAX_GAPS = 50


class Verdict(StrEnum):
    # Every check that looked found the practice in place, and every check could look.
    SUPPORTS = "SUPPORTS"
    # At least one resource contradicts the practice, and every check could look.
    CONTRADICTS = "CONTRADICTS"
    # Some check could not look, the evidence expired, or there was nothing to look at.
    INCONCLUSIVE = "INCONCLUSIVE"


VERDICT_LABELS = {
    Verdict.SUPPORTS: "Evidence supports",
    Verdict.CONTRADICTS: "Evidence contradicts",
    Verdict.INCONCLUSIVE: "Evidence inconclusive",
}


@dataclass(frozen=True)
class Gap:
    """Somewhere the evidence could not look: an account, a region, a check (or a whole check group)."""

    account_id: str
    region: str
    what: str
    reason: str


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
    # The oldest observation the verdict rests on, and the first moment part of it expires.
    collected_at: datetime
    valid_until: datetime | None = None
    stale: int = 0
    gaps: tuple[Gap, ...] = ()
    more_gaps: int = 0
    sources: tuple[str, ...] = ()

    @property
    def expired(self) -> bool:
        """Only stale evidence is left: it says nothing about today."""
        return self.stale > 0 and self.passed + self.failed + self.errors + self.not_applicable == 0

    @property
    def label(self) -> str:
        return "Evidence expired" if self.expired else VERDICT_LABELS[self.verdict]

    @property
    def age(self) -> timedelta:
        return timezone.now() - self.collected_at

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.errors + self.not_applicable

    @property
    def gap_count(self) -> int:
        return len(self.gaps) + self.more_gaps

    @property
    def imported(self) -> bool:
        return any(source != FindingSource.CHECKS for source in self.sources)


@dataclass
class _Tally:
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    stale: int = 0
    checks: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    oldest: datetime | None = None
    expires: datetime | None = None
    gaps: list[Gap] = field(default_factory=list)

    def add_row(self, row: dict[str, Any]) -> None:
        self.counts[row["status"]] += row["fresh"]
        self.stale += row["stale"]
        self.checks.add(row["check_id"])
        self.sources.add(row["source"])
        if row["fresh"]:
            self.oldest = _earliest(self.oldest, row["oldest"])
            self.expires = _earliest(self.expires, row["expires"])


def _earliest(current: datetime | None, other: datetime | None) -> datetime | None:
    if current is None:
        return other
    return current if other is None else min(current, other)


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


def has_evidence(workload_path: str) -> ExpressionWrapper:
    """Whether the workload at `workload_path` (in the outer query) has any evidence to show: a usable run or
    an import. An annotation, so a page can skip evidence_by_bp's queries for the many workloads with none."""
    runs = EvidenceRun.objects.filter(
        workload_id=OuterRef(workload_path), state__in=USABLE_STATES, finished_at__isnull=False
    )
    imports = EvidenceImport.objects.filter(workload_id=OuterRef(workload_path))
    return ExpressionWrapper(Q(Exists(runs)) | Q(Exists(imports)), output_field=BooleanField())


def current_findings(run: EvidenceRun | None, workload_id: Any | None) -> QuerySet[Finding]:
    """The findings that are a workload's evidence now: those of `run`, and (with `workload_id`) the imported
    ones no newer import of the same source and account replaced."""
    scope = Q(run=run) if run is not None else Q(pk__in=[])
    if workload_id is not None:
        scope |= Q(evidence_import__workload_id=workload_id, superseded=False)
    return Finding.objects.filter(scope)


def _task_gaps(run: EvidenceRun) -> dict[str, list[Gap]]:
    """{BP code: gaps} for the tasks of `run` that failed or were cancelled: their checks never looked."""
    gaps: dict[str, list[Gap]] = defaultdict(list)
    tasks = (
        EvidenceTask.objects.filter(run=run, state__in=[TaskState.FAILED, TaskState.CANCELLED])
        .values_list("account_id", "region", "group", "state", "error")
        .order_by("account_id", "region", "group")
    )
    for account_id, region, group, state, error in tasks:
        scope = "global" if region == GLOBAL_REGION else "regional"
        what = "failed" if state == TaskState.FAILED else "was cancelled"
        reason = f"The {group} checks {what}: {error or 'no reason recorded'}"
        for item in checks_for(group, scope):
            for code in item.best_practices:
                gaps[code].append(Gap(account_id, region, item.id, reason))
    return gaps


def summarise(
    findings: QuerySet[Finding], *, run: EvidenceRun | None = None, now: datetime | None = None
) -> dict[str, BpEvidence]:
    """{BP code: summary} of `findings` (plus the failed tasks of `run`). One query, plus one when some check
    errored and one when the run is PARTIAL."""
    now = now or timezone.now()
    fresh = Q(valid_until__gte=now)
    rows = (
        findings.values("check_id", "bp_codes", "status", "source")
        .annotate(
            fresh=Count("id", filter=fresh),
            stale=Count("id", filter=~fresh),
            oldest=Min("collected_at", filter=fresh),
            expires=Min("valid_until", filter=fresh),
        )
        .order_by()
    )
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    any_error = False
    for row in rows:
        any_error |= row["status"] == FindingStatus.ERROR and row["fresh"] > 0
        for code in row["bp_codes"]:
            tallies[code].add_row(row)
    if any_error:
        errors = (
            findings.filter(fresh, status=FindingStatus.ERROR)
            .values_list("check_id", "bp_codes", "account_id", "region", "message")
            .order_by("check_id", "account_id", "region")
        )
        for check_id, codes, account_id, region, message in errors:
            for code in codes:
                tallies[code].gaps.append(Gap(account_id, region, check_id, message))
    # Only a PARTIAL run has failed tasks: a run whose tasks all succeeded closes SUCCEEDED.
    if run is not None and run.state == RunState.PARTIAL:
        for code, gaps in _task_gaps(run).items():
            tallies[code].gaps.extend(gaps)
    reference = run.finished_at if run is not None and run.finished_at else now
    return {code: _summary(code, tally, run, reference) for code, tally in tallies.items()}


def _summary(code: str, tally: _Tally, run: EvidenceRun | None, reference: datetime) -> BpEvidence:
    counts = tally.counts
    passed, failed = counts[FindingStatus.PASS], counts[FindingStatus.FAIL]
    if tally.gaps or not (passed or failed):
        verdict = Verdict.INCONCLUSIVE
    elif failed:
        verdict = Verdict.CONTRADICTS
    else:
        verdict = Verdict.SUPPORTS
    return BpEvidence(
        bp_code=code,
        verdict=verdict,
        passed=passed,
        failed=failed,
        errors=counts[FindingStatus.ERROR],
        not_applicable=counts[FindingStatus.NOT_APPLICABLE],
        check_ids=tuple(sorted(tally.checks)),
        run_id=run.pk if run is not None else None,
        collected_at=tally.oldest or reference,
        valid_until=tally.expires,
        stale=tally.stale,
        gaps=tuple(tally.gaps[:MAX_GAPS]),
        more_gaps=max(0, len(tally.gaps) - MAX_GAPS),
        sources=tuple(sorted(tally.sources)),
    )


def run_summaries(run: EvidenceRun, *, now: datetime | None = None) -> dict[str, BpEvidence]:
    """{BP code: summary} of one run alone, judged as of `now`; the reports use it to show evidence as it
    stood at a milestone."""
    return summarise(current_findings(run, None), run=run, now=now or run.finished_at or timezone.now())


def evidence_by_bp(workload: Workload | Any) -> dict[str, BpEvidence]:
    """{BP code: summary} from the latest finished run and the current imports; empty when there is neither.
    Two queries, up to four when checks could not look."""
    workload_id = getattr(workload, "pk", workload)
    run = latest_usable_run(workload_id)
    return summarise(current_findings(run, workload_id), run=run)
