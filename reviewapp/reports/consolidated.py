"""The consolidated report across many workloads, as a PDF (WeasyPrint, the review PDF's stylesheet and charts)
or an XLSX workbook: per-workload risk counts, the practices most often missing, accepted risks with their
expiry, and the trend since a date. The figures come from selectors/portfolio.py in a fixed number of queries.

The job flow (request, render in the background with progress, download) is reports/jobs.py's; this module
turns a job's stored scope into a file. The requester's access at render time decides what the report covers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from ..lib.charts import area_risk_chart, risk_trend_svg
from ..models import ReportJob, User
from ..risk import RiskCounts
from ..selectors.portfolio import ConsolidatedScope, Portfolio, portfolio
from .errors import ReportTooLarge
from .fetcher import STATIC_PREFIX
from .pdf import CONTENT_TYPE as PDF_CONTENT_TYPE
from .pdf import html_to_pdf
from .sheets import XLSX_CONTENT_TYPE, xlsx_workbook_bytes

TEMPLATE = "reports/consolidated.html"
CONTENT_TYPES = {"pdf": PDF_CONTENT_TYPE, "xlsx": XLSX_CONTENT_TYPE}
FORMATS = tuple(CONTENT_TYPES)
# Teams drawn one bar each in the risk chart; the rest share one bar.
CHART_TEAMS = 15
# Rows per table in the PDF's long lists (about a page each).
TABLE_ROWS = 40
# Justifications are printed up to this length in the PDF; the workbook carries them whole.
PDF_JUSTIFICATION_CHARS = 90

Progress = Callable[[int], None]


def consolidated_filename(fmt: str, today: date | None = None) -> str:
    return f"portfolio-security-report-{(today or timezone.localdate()).isoformat()}.{fmt}"


def _chunks(rows: list, size: int = TABLE_ROWS) -> list[list]:
    return [rows[start : start + size] for start in range(0, len(rows), size)]


def consolidated_html(figures: Portfolio, scope: ConsolidatedScope, *, requester: str) -> str:
    by_team: dict[str, RiskCounts] = {}
    for line in figures.lines:
        team = line.row.workload.team.name
        by_team[team] = by_team.get(team, RiskCounts()) + line.row.counts
    ranked = sorted(by_team.items(), key=lambda pair: (-pair[1].high, -pair[1].medium, pair[0].lower()))
    teams = ranked[:CHART_TEAMS]
    if len(ranked) > CHART_TEAMS:
        teams.append(
            (
                f"{len(ranked) - CHART_TEAMS} more teams",
                sum((c for _, c in ranked[CHART_TEAMS:]), RiskCounts()),
            )
        )
    trend = [(point.label, point.high, point.medium) for point in figures.trend]
    context = {
        "p": figures,
        "scope": scope,
        "requester": requester,
        "generated_at": timezone.now(),
        "static_base": STATIC_PREFIX,
        "justification_chars": PDF_JUSTIFICATION_CHARS,
        # WeasyPrint lays out one long table in time that grows faster than its rows; tables of a page's
        # length each keep 200 workloads in seconds (bench/portfolio.py).
        "workload_chunks": _chunks(figures.lines),
        "accepted_chunks": _chunks(figures.accepted),
        # Both built from escaped labels and numbers by lib/charts.py, as on the review PDF.
        "risk_chart": mark_safe(  # noqa: S308  # nosec B308 B703
            area_risk_chart([(name, c.as_dict()) for name, c in teams], title="Question risk by team")
        ),
        "trend_chart": mark_safe(risk_trend_svg(trend)),  # noqa: S308  # nosec B308 B703
    }
    return render_to_string(TEMPLATE, context)


WORKLOAD_HEADER = (
    "Workload", "Team", "Environment", "Highest risk", "High", "Medium", "No risk", "Not applicable",
    "Unanswered", "Open high items", "Open medium items", "Open low items", "Overdue items",
    "Accepted risks", "Acceptances expiring", "High at start", "Medium at start", "High change", "Medium change",
)  # fmt: skip
MISSING_HEADER = (
    "Best practice",
    "Title",
    "Level",
    "Workloads missing it",
    "Share of reviewed workloads (%)",
)
ACCEPTED_HEADER = (
    "Workload", "Team", "Best practice", "Title", "Level", "Accepted by", "Expires on", "Expiring within 30 days",
    "Justification",
)  # fmt: skip
TREND_HEADER = ("Date", "High-risk questions", "Medium-risk questions", "Workloads counted")


def consolidated_workbook(figures: Portfolio) -> bytes:
    workloads = [
        [
            line.row.workload.name,
            line.row.workload.team.name,
            line.row.workload.get_environment_display(),
            line.headline_label,
            line.row.counts.high,
            line.row.counts.medium,
            line.row.counts.none,
            line.row.counts.not_applicable,
            line.row.counts.unanswered,
            line.row.open_by_level.get("HIGH", 0),
            line.row.open_by_level.get("MEDIUM", 0),
            line.row.open_by_level.get("LOW", 0),
            line.row.overdue,
            line.row.accepted,
            line.row.expiring,
            line.high_then,
            line.medium_then,
            line.high_change,
            line.medium_change,
        ]
        for line in figures.lines
    ]
    missing = [[m.bp_code, m.title, m.level.title(), m.workloads, m.share] for m in figures.missing]
    accepted = [
        [
            a.workload, a.team, a.bp_code, a.title, a.level.title(), a.accepted_by, a.expires_on,
            "yes" if a.expiring else "", a.justification,
        ]
        for a in figures.accepted
    ]  # fmt: skip
    trend = [[point.when if point.label != "Now" else figures.today, point.high, point.medium, point.workloads]
             for point in figures.trend]  # fmt: skip
    return xlsx_workbook_bytes(
        [
            ("Workloads", WORKLOAD_HEADER, workloads),
            ("Most often missing", MISSING_HEADER, missing),
            ("Accepted risks", ACCEPTED_HEADER, accepted),
            (f"Trend since {figures.since.isoformat()}", TREND_HEADER, trend),
        ]
    )


def consolidated_file(
    requester: User, scope: ConsolidatedScope, *, fmt: str, progress: Progress = lambda percent: None
) -> tuple[bytes, str]:
    """The report's file and content type, for the workloads `requester` may see now."""
    if fmt not in CONTENT_TYPES:
        raise ValueError(f"consolidated reports are {' or '.join(FORMATS)}, not {fmt!r}")
    progress(10)
    figures = portfolio(requester, scope.filters, since=scope.since)
    if len(figures.lines) > settings.CONSOLIDATED_MAX_WORKLOADS:
        raise ReportTooLarge(
            f"The report would cover {len(figures.lines):,} workloads; the limit is "
            f"{settings.CONSOLIDATED_MAX_WORKLOADS:,}. Narrow it by team, environment or tag."
        )
    progress(40)
    if fmt == "xlsx":
        content = consolidated_workbook(figures)
    else:
        markup = consolidated_html(figures, scope, requester=requester.display_name())
        progress(60)
        content = html_to_pdf(markup)
    progress(95)
    return content, CONTENT_TYPES[fmt]


def job_scope(job: ReportJob) -> ConsolidatedScope:
    return ConsolidatedScope.of(job.scope)


__all__ = [
    "CONTENT_TYPES",
    "FORMATS",
    "ConsolidatedScope",
    "consolidated_file",
    "consolidated_filename",
    "consolidated_html",
    "consolidated_workbook",
    "job_scope",
]
