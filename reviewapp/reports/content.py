"""What a report says, gathered once: the same structure for the current answers and for a milestone.

The current state is read through `review_snapshot` (so a report of "now" and a report of a milestone describe
the review in the same terms) and the improvement plan's own `improvement_plan` rows; a milestone is read from
its frozen snapshot JSON only, with the catalogue of its (immutable) lens version for improvement texts.
Evidence comes from the checks app: the latest run for "now", and for a milestone the latest run that had
finished when it was taken.

Everything here is plain data; templates escape it. Building runs a fixed number of queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone
from django.utils.timesince import timesince

from checks import selectors as evidence
from checks.models import USABLE_STATES, EvidenceRun, Finding
from questionnaire.models import BestPractice
from questionnaire.rating import Level, Risk

from ..models import (
    WORK_LEFT,
    ItemStatus,
    Milestone,
    NotApplicableReason,
    Review,
    User,
    Workload,
)
from ..risk import RISK_ORDER, RiskCounts, level_sort_key
from ..selectors import PlanFilters, improvement_plan
from ..selectors.evidence_files import evidence_file_lines
from ..selectors.profiles import profile_lines
from ..services.milestones import milestone_verify, review_snapshot
from .acceptance_lines import AcceptanceLine, acceptance_lines
from .errors import ReportTooLarge

KINDS = ("full", "executive")
TOP_IMPROVEMENTS = 10
MAX_QUESTIONS = 1000
MAX_ITEMS = 5000
MAX_RUNS = 25

RISK_LABELS: dict[str, str] = {
    Risk.HIGH: "High risk",
    Risk.MEDIUM: "Medium risk",
    Risk.NONE: "No risk",
    Risk.NOT_APPLICABLE: "Not applicable",
    Risk.UNANSWERED: "Unanswered",
}


def risk_label(risk: str) -> str:
    return RISK_LABELS.get(risk, risk)


def reason_label(reason: str) -> str:
    try:
        return NotApplicableReason(reason).label
    except ValueError:
        return reason


def status_label(status: str) -> str:
    try:
        return ItemStatus(status).label
    except ValueError:
        return status


@dataclass(frozen=True)
class EvidenceNote:
    """The evidence summary next to one best practice."""

    verdict: str  # SUPPORTS / CONTRADICTS / INCONCLUSIVE
    label: str
    passed: int
    failed: int
    errors: int
    collected_at: datetime
    age: str


@dataclass
class PracticeLine:
    code: str
    title: str
    level: str
    # SELECTED, MISSING, NOT_APPLICABLE (with reason), or OPEN when the question is unanswered or N/A.
    state: str
    reason: str = ""
    evidence: EvidenceNote | None = None

    @property
    def state_label(self) -> str:
        return {
            "SELECTED": "In place",
            "MISSING": "Missing",
            "NOT_APPLICABLE": "Not applicable",
            "OPEN": "Not assessed",
        }[self.state]


@dataclass
class QuestionSection:
    anchor: str
    code: str
    title: str
    area: str
    risk: str
    applicable: bool
    reason: str
    none_of_these: bool
    notes: str
    practices: list[PracticeLine]

    @property
    def risk_label(self) -> str:
        return risk_label(self.risk)

    @property
    def selected(self) -> list[PracticeLine]:
        return [line for line in self.practices if line.state == "SELECTED"]

    @property
    def missing(self) -> list[PracticeLine]:
        return [line for line in self.practices if line.state == "MISSING"]

    @property
    def not_applicable(self) -> list[PracticeLine]:
        return [line for line in self.practices if line.state == "NOT_APPLICABLE"]


@dataclass
class PlanLine:
    bp_code: str
    title: str
    level: str
    question_code: str
    question_risk: str
    status: str
    owner: str
    due_date: date | None
    overdue: bool
    ticket_url: str
    notes: str
    improvement: str
    accepted_until: date | None
    justification: str
    accepted_by: str = ""

    @property
    def status_label(self) -> str:
        return status_label(self.status)

    @property
    def question_risk_label(self) -> str:
        return risk_label(self.question_risk)

    @property
    def work_left(self) -> bool:
        return self.status in WORK_LEFT


@dataclass(frozen=True)
class RunLine:
    created_at: datetime
    finished_at: datetime | None
    state: str
    trigger: str
    started_by: str
    done_tasks: int
    total_tasks: int
    passed: int
    failed: int
    errors: int
    not_applicable: int
    error: str


@dataclass
class ReportContent:
    kind: str
    workload_name: str
    team_name: str
    environment: str
    review_owner: str
    description: str
    lens_name: str
    lens_version_label: str
    lens_version_number: int
    generated_at: datetime
    as_of: datetime
    counts: RiskCounts
    areas: list[tuple[str, dict[str, int]]]
    questions: list[QuestionSection]
    plan: list[PlanLine]
    runs: list[RunLine]
    evidence_available: bool
    # The workload profile: (question, "Yes" / "No" / "Not known"), empty when nobody answered it.
    profile: list[tuple[str, str]] = field(default_factory=list)
    # The evidence files attached to the review (or frozen in the milestone), with their SHA-256.
    evidence_files: list[dict[str, Any]] = field(default_factory=list)
    milestone_name: str = ""
    milestone_sha256: str = ""
    milestone_verified: bool = False
    milestone_keyed: bool = False
    milestone_created_by: str = ""
    acceptances: list[AcceptanceLine] = field(default_factory=list)

    @property
    def draft(self) -> bool:
        return not self.milestone_name

    @property
    def full(self) -> bool:
        return self.kind == "full"

    @property
    def kind_label(self) -> str:
        return "Full report" if self.full else "Executive summary"

    @property
    def top(self) -> list[PlanLine]:
        return [line for line in self.plan if line.work_left][:TOP_IMPROVEMENTS]

    @property
    def accepted(self) -> list[PlanLine]:
        return [line for line in self.plan if line.status == ItemStatus.RISK_ACCEPTED]

    @property
    def plan_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(["OPEN", "IN_PROGRESS", "RISK_ACCEPTED"], 0)
        for line in self.plan:
            counts[line.status] = counts.get(line.status, 0) + 1
        counts["overdue"] = sum(1 for line in self.plan if line.overdue)
        return counts

    @property
    def title(self) -> str:
        return f"{self.workload_name}: security review ({self.kind_label.lower()})"


# --- Evidence -----------------------------------------------------------------------------------------------


def _evidence(workload_id: Any, as_of: datetime | None) -> dict[str, EvidenceNote]:
    """{BP code: note} from the latest usable run (finished before `as_of` when given). Two queries."""
    if as_of is None:
        summaries = evidence.evidence_by_bp(workload_id)
        reference = timezone.now()
    else:
        run = (
            EvidenceRun.objects.filter(
                workload_id=workload_id,
                state__in=USABLE_STATES,
                finished_at__isnull=False,
                finished_at__lte=as_of,
            )
            .order_by("-finished_at")
            .first()
        )
        # A milestone shows the run of its day, judged as of that day (what had expired then was stale then).
        summaries = evidence.run_summaries(run, now=as_of) if run is not None else {}
        reference = as_of
    return {
        code: EvidenceNote(
            verdict=str(summary.verdict),
            label=summary.label,
            passed=summary.passed,
            failed=summary.failed,
            errors=summary.errors,
            collected_at=summary.collected_at,
            age=timesince(summary.collected_at, reference, depth=1),
        )
        for code, summary in summaries.items()
    }


def _runs(workload_id: Any, as_of: datetime) -> list[RunLine]:
    """The most recent evidence runs started by `as_of`, with their finding counts. Two queries."""
    runs = list(
        EvidenceRun.objects.filter(workload_id=workload_id, created_at__lte=as_of)
        .select_related("started_by")
        .order_by("-created_at")[:MAX_RUNS]
    )
    counts: dict[Any, dict[str, int]] = {}
    for row in (
        Finding.objects.filter(run__in=[run.pk for run in runs])
        .values("run_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        counts.setdefault(row["run_id"], {})[row["status"]] = row["n"]
    return [
        RunLine(
            created_at=run.created_at,
            finished_at=run.finished_at,
            state=run.get_state_display(),
            trigger=run.get_trigger_display(),
            started_by=run.started_by.display_name() if run.started_by else "Schedule",
            done_tasks=run.done_tasks,
            total_tasks=run.total_tasks,
            passed=counts.get(run.pk, {}).get("PASS", 0),
            failed=counts.get(run.pk, {}).get("FAIL", 0),
            errors=counts.get(run.pk, {}).get("ERROR", 0),
            not_applicable=counts.get(run.pk, {}).get("NOT_APPLICABLE", 0),
            error=run.error,
        )
        for run in runs
    ]


# --- Questions ----------------------------------------------------------------------------------------------


def _questions(snapshot: dict[str, Any], evidence: dict[str, EvidenceNote]) -> list[QuestionSection]:
    sections = []
    for index, question in enumerate(snapshot["questions"], start=1):
        selected = set(question["selected"])
        not_applicable = question["not_applicable"]
        answered = question["risk"] != Risk.UNANSWERED
        practices = []
        for bp in question["best_practices"]:
            code = bp["code"]
            if code in not_applicable:
                state = "NOT_APPLICABLE"
            elif not answered or not question["is_applicable"]:
                state = "OPEN"
            elif code in selected and not question["none_of_these"]:
                state = "SELECTED"
            else:
                state = "MISSING"
            practices.append(
                PracticeLine(
                    code=code,
                    title=bp["title"],
                    level=bp.get("level", ""),
                    state=state,
                    reason=reason_label(not_applicable[code]) if code in not_applicable else "",
                    evidence=evidence.get(code),
                )
            )
        sections.append(
            QuestionSection(
                anchor=f"q{index}",
                code=question["code"],
                title=question["title"],
                area=question.get("area") or "Other",
                risk=question["risk"],
                applicable=question["is_applicable"],
                reason=reason_label(question["reason"]) if question["reason"] else "",
                none_of_these=question["none_of_these"],
                notes=question["notes"],
                practices=practices,
            )
        )
    return sections


def _areas(sections: list[QuestionSection]) -> list[tuple[str, dict[str, int]]]:
    by_area: dict[str, list[str]] = {}
    for section in sections:
        by_area.setdefault(section.area, []).append(section.risk)
    return [(area, RiskCounts.of(Risk(risk) for risk in risks).as_dict()) for area, risks in by_area.items()]


# --- Improvement plan ---------------------------------------------------------------------------------------


def _plan_now(review: Review) -> list[PlanLine]:
    """The improvement plan engineer's rows (items on the plan, in plan order) for this review's lens."""
    lines = []
    for row in improvement_plan(review.workload, PlanFilters()):
        item = row.item
        if item.lens_id != review.lens_id:
            continue
        lines.append(
            PlanLine(
                bp_code=item.bp_code,
                title=row.bp_title,
                level=row.level,
                question_code=row.question_code,
                question_risk=row.question_risk,
                status=item.status,
                owner=item.owner.display_name() if item.owner else "",
                due_date=item.due_date,
                overdue=row.overdue,
                ticket_url=item.ticket_url,
                notes=item.notes,
                improvement=row.improvement,
                accepted_until=item.acceptance_expires_on,
                justification=item.acceptance_justification,
                accepted_by=item.accepted_by.display_name() if item.accepted_by else "",
            )
        )
    return lines


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def plan_from_snapshot(snapshot: dict[str, Any], lens_version_id: int, as_of: datetime) -> list[PlanLine]:
    """A milestone's plan in the same order the live plan uses: question risk, BP level, catalogue order."""
    today = timezone.localdate(as_of)
    catalogue: dict[str, tuple[int, int, dict[str, Any], dict[str, Any]]] = {}
    for q_index, question in enumerate(snapshot["questions"]):
        for bp_index, bp in enumerate(question["best_practices"]):
            catalogue.setdefault(bp["code"], (q_index, bp_index, question, bp))
    improvements = {
        (question_code, code): text
        for question_code, code, text in BestPractice.objects.filter(
            question__lens_version_id=lens_version_id
        ).values_list("question__code", "code", "improvement")
    }
    usernames = {item["owner"] for item in snapshot["items"] if item.get("owner")}
    names = {user.username: user.display_name() for user in User.objects.filter(username__in=usernames)}
    keyed = []
    for item in snapshot["items"]:
        if not item["is_active"]:
            continue
        entry = catalogue.get(item["bp_code"])
        due = _date(item.get("due_date"))
        line = PlanLine(
            bp_code=item["bp_code"],
            title=entry[3]["title"] if entry else item["bp_code"],
            level=entry[3].get("level", "") if entry else "",
            question_code=entry[2]["code"] if entry else "",
            question_risk=entry[2]["risk"] if entry else Risk.UNANSWERED,
            status=item["status"],
            owner=names.get(item.get("owner") or "", item.get("owner") or ""),
            due_date=due,
            overdue=bool(due and due < today and item["status"] in WORK_LEFT),
            ticket_url=item.get("ticket_url", ""),
            notes=item.get("notes", ""),
            improvement=improvements.get((entry[2]["code"], item["bp_code"]), "") if entry else "",
            accepted_until=_date(item.get("acceptance_expires_on")),
            justification=item.get("acceptance_justification", ""),
        )
        if entry is None:
            key: tuple = (len(RISK_ORDER), len(Level) + 1, 1 << 30, 0, item["bp_code"])
        else:
            level = entry[3].get("level")
            key = (
                RISK_ORDER.index(Risk(entry[2]["risk"])),
                level_sort_key(Level(level) if level else None),
                entry[0],
                entry[1],
                item["bp_code"],
            )
        keyed.append((key, line))
    keyed.sort(key=lambda pair: pair[0])
    return [line for _, line in keyed]


# --- Limits and assembly ------------------------------------------------------------------------------------


def _check_size(sections: list[QuestionSection], plan: list[PlanLine]) -> None:
    """Refuse a review too big to render in bounded time, with the reason, before WeasyPrint starts."""
    if len(sections) > MAX_QUESTIONS:
        raise ReportTooLarge(
            f"The review has {len(sections):,} questions; reports handle at most {MAX_QUESTIONS:,}."
        )
    if len(plan) > MAX_ITEMS:
        raise ReportTooLarge(f"The plan has {len(plan):,} items; reports handle at most {MAX_ITEMS:,}.")
    text = sum(len(section.notes) + len(section.title) for section in sections)
    text += sum(len(line.notes) + len(line.justification) + len(line.improvement) for line in plan)
    limit = settings.REPORT_MAX_TEXT_CHARS
    if text > limit:
        raise ReportTooLarge(
            f"The review holds {text:,} characters of notes and other text; "
            f"a report may hold at most {limit:,}."
        )


def _profile(workload: Workload) -> list[tuple[str, str]]:
    lines = profile_lines(workload)
    if all(line.answer is None for line in lines):
        return []
    words = {True: "Yes", False: "No", None: "Not known"}
    return [(line.text, words[line.answer]) for line in lines]


def _evidence_files(review: Review, milestone: Milestone | None) -> list[dict[str, Any]]:
    """A milestone's report lists the files its snapshot froze (none for milestones older than files)."""
    if milestone is not None:
        return list(milestone.snapshot.get("evidence_files", []))
    return evidence_file_lines(review)


def build_report(review: Review, *, milestone: Milestone | None = None, kind: str = "full") -> ReportContent:
    """Everything a report of `review` shows: the current answers, or `milestone`'s snapshot when given."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
    workload = review.workload
    generated_at = timezone.now()
    if milestone is not None:
        if milestone.review_id != review.pk:
            raise ValueError(f"milestone {milestone.pk} is not a milestone of review {review.pk}")
        snapshot = milestone.snapshot
        as_of = milestone.created_at
        evidence = _evidence(workload.pk, as_of)
        plan = plan_from_snapshot(snapshot, milestone.lens_version_id, as_of)
    else:
        snapshot = review_snapshot(review, name="", created_at=generated_at)
        as_of = generated_at
        evidence = _evidence(workload.pk, None)
        plan = _plan_now(review)
    questions = _questions(snapshot, evidence)
    _check_size(questions, plan)
    lens = snapshot["lens"]
    content = ReportContent(
        kind=kind,
        workload_name=snapshot["workload"]["name"],
        team_name=workload.team.name,
        environment=workload.get_environment_display(),
        review_owner=workload.review_owner,
        description=workload.description,
        lens_name=lens["name"],
        lens_version_label=lens["label"],
        lens_version_number=lens["version"],
        generated_at=generated_at,
        as_of=as_of,
        counts=RiskCounts(**snapshot["counts"]),
        areas=_areas(questions),
        questions=questions,
        plan=plan,
        runs=_runs(workload.pk, as_of) if kind == "full" else [],
        evidence_available=bool(evidence),
        acceptances=acceptance_lines(workload.pk, as_of),
        profile=_profile(workload),
        evidence_files=_evidence_files(review, milestone) if kind == "full" else [],
    )
    if milestone is not None:
        content.milestone_name = milestone.name
        content.milestone_sha256 = milestone.sha256
        content.milestone_verified = milestone_verify(milestone)
        content.milestone_keyed = bool(milestone.fingerprint)
        content.milestone_created_by = milestone.created_by.display_name() if milestone.created_by else ""
    return content


__all__ = [
    "KINDS",
    "EvidenceNote",
    "PlanLine",
    "PracticeLine",
    "QuestionSection",
    "ReportContent",
    "RunLine",
    "build_report",
    "plan_from_snapshot",
    "reason_label",
    "risk_label",
    "status_label",
]
