"""The consolidated report across a seeded portfolio: the PDF and the XLSX a worker renders for a security lead
who sees every workload, timed end to end as the worker runs a job (reviewapp.reports.jobs.report_run), with
its split (aggregate queries, HTML, WeasyPrint) and its query count, next to the machine's load."""

from __future__ import annotations

import io
import os
import time
from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviewapp.models import ReportJob, User
from reviewapp.reports.consolidated import ConsolidatedScope, consolidated_html
from reviewapp.reports.jobs import report_run
from reviewapp.reports.pdf import html_to_pdf
from reviewapp.selectors.dashboard import DashboardFilters
from reviewapp.selectors.portfolio import portfolio

from .figures import Figure

# seed_demo's milestones are 130 and 45 days old: a trend from 100 days ago has a baseline for every workload.
SINCE_DAYS = 100


def _pages(pdf: bytes) -> int | None:
    try:
        from pypdf import PdfReader
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _job(lead: User, fmt: str, scope: ConsolidatedScope) -> ReportJob:
    return ReportJob.objects.create(
        review=None, kind=ReportJob.Kind.CONSOLIDATED, format=fmt, scope=scope.as_json(), created_by=lead
    )


def consolidated_figures(lead: User, *, workloads: int, runs: int) -> list[Figure]:
    scope = ConsolidatedScope(
        DashboardFilters(), timezone.localdate() - timedelta(days=SINCE_DAYS), "All workloads"
    )
    figures = []
    for fmt in ("pdf", "xlsx"):
        report_run(_job(lead, fmt, scope).pk)  # warm-up: fonts, stylesheet, templates
        samples, loads, size = [], [], 0
        for _ in range(runs):
            job = _job(lead, fmt, scope)
            loads.append(os.getloadavg()[0])
            started = time.perf_counter()
            state = report_run(job.pk)
            samples.append(time.perf_counter() - started)
            if state != ReportJob.State.DONE:
                raise RuntimeError(f"the consolidated {fmt} failed: {ReportJob.objects.get(pk=job.pk).error}")
            size = ReportJob.objects.filter(pk=job.pk).values_list("size", flat=True).get()
        extra = {
            "workloads": workloads,
            "runs": runs,
            "bytes": size,
            "load_1min": [round(v, 2) for v in loads],
        }
        if fmt == "pdf":
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                content = portfolio(lead, scope.filters, since=scope.since)
            built = time.perf_counter()
            markup = consolidated_html(content, scope, requester=lead.display_name())
            templated = time.perf_counter()
            pdf = html_to_pdf(markup)
            done = time.perf_counter()
            extra |= {
                "figure_queries": len(queries),
                "pages": _pages(pdf),
                "split_ms": {
                    "aggregate_queries": round((built - started) * 1000, 1),
                    "html": round((templated - built) * 1000, 1),
                    "weasyprint": round((done - templated) * 1000, 1),
                },
            }
        figures.append(Figure.of(f"consolidated {fmt.upper()}, {workloads} workloads", samples, extra=extra))
    return figures
