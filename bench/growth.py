"""The lists that grow with the organisation, measured at each seeded size (100, 1,000, 10,000 workloads).

Each list is requested as the security lead, who sees every workload: the dashboard, one workload's improvement
plan page, `GET /api/v1/improvement-items/`, the all-workloads plan CSV and `GET /api/v1/workloads/`. Like the
pages in bench/pages.py, every request is made right after one to the bare view, so the ratio holds on a busy
machine. A list can take seconds before it is fixed, so each is timed for a budget rather than a count: at least
`minimum` requests, more while the budget lasts. The query count comes from the untimed warm-up request.

The CSV is timed twice: to the first byte a client receives (a streamed export sends its header row at once)
and to the last.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.models import Workload

from .figures import Figure
from .pages import BARE_URL, BenchError, Paired

# How the tables name each list; a figure adds the number of workloads seeded.
LISTS = {
    "dashboard": "dashboard (security lead)",
    "plan": "improvement plan page of one workload",
    "items_api": "GET /api/v1/improvement-items/",
    "csv": "all-workloads plan CSV",
    "csv_first_byte": "all-workloads plan CSV, first byte",
    "workloads_api": "GET /api/v1/workloads/",
}


def list_urls(workload: Workload) -> dict[str, str]:
    return {
        "dashboard": reverse("dashboard"),
        "plan": reverse("workload_plan", kwargs={"workload_id": workload.pk}),
        "items_api": reverse("api_item_list"),
        "csv": reverse("plan_export", kwargs={"fmt": "csv"}),
        "workloads_api": reverse("api_workload_list"),
    }


def _chunks(response: HttpResponse) -> Iterable[bytes]:
    if isinstance(response, StreamingHttpResponse):
        return response.streaming_content  # type: ignore[return-value]
    return [response.content]


@dataclass
class Timed:
    """One list measured: the paired page and bare times, and the time to the first byte of each response."""

    paired: Paired
    first_byte: list[float]


def timed_list(
    client: Client, url: str, *, budget_s: float = 10.0, minimum: int = 3, maximum: int = 30
) -> Timed:
    def get() -> tuple[float, float]:
        started = time.perf_counter()
        response = client.get(url)
        if response.status_code != 200:
            raise BenchError(f"{url} answered {response.status_code}, expected 200")
        chunks = iter(_chunks(response))
        next(chunks, b"")
        first = time.perf_counter() - started
        for _ in chunks:
            pass
        return first, time.perf_counter() - started

    with CaptureQueriesContext(connection) as captured:
        get()
    # Counted now: every later request clears the connection's query log that `captured` reads from.
    queries = len(captured)
    page, bare, first_byte = [], [], []
    deadline = time.monotonic() + budget_s
    while len(page) < maximum and (len(page) < minimum or time.monotonic() < deadline):
        started = time.perf_counter()
        if client.get(BARE_URL).status_code != 200:
            raise BenchError("the bare view did not answer 200")
        bare.append(time.perf_counter() - started)
        first, last = get()
        first_byte.append(first)
        page.append(last)
    return Timed(Paired(page=page, bare=bare, queries=queries), first_byte)


def list_figures(key: str, timed: Timed, workloads: int) -> list[Figure]:
    """The figure of one list at one size (and, for the CSV, its first byte)."""
    n = f"{workloads:,}"
    extra = {"workloads": workloads, "requests": len(timed.paired.page)}
    figures = [
        Figure.of(
            f"{LISTS[key]}, {n} workloads",
            timed.paired.page,
            queries=timed.paired.queries,
            ratio_to_bare=timed.paired.ratio,
            extra={**extra, "list": key},
        )
    ]
    if key == "csv":
        bare_ms = Figure.of("", timed.paired.bare).median_ms
        first = Figure.of(
            f"{LISTS['csv_first_byte']}, {n} workloads", timed.first_byte, extra={**extra, "list": key}
        )
        first.ratio_to_bare = round(first.median_ms / bare_ms, 2)
        first.extra["list"] = "csv_first_byte"
        figures.append(first)
    return figures


def by_list(figures: Iterable[Figure]) -> dict[str, dict[int, Figure]]:
    """The list figures, per list and size (failed ones left out)."""
    lists: dict[str, dict[int, Figure]] = {}
    for figure in figures:
        if "list" in figure.extra and not figure.failed:
            lists.setdefault(figure.extra["list"], {})[figure.extra["workloads"]] = figure
    return lists


def growth(sizes: dict[int, Figure], smallest: int, largest: int) -> float | None:
    """Median at the largest size over the median at the smallest; None when either was not measured."""
    if smallest not in sizes or largest not in sizes:
        return None
    return round(sizes[largest].median_ms / sizes[smallest].median_ms, 2)


def growth_table(figures: Iterable[Figure], sizes: list[int]) -> str:
    """One line per list: its median and query count at each size, and how much it grew."""
    smallest, largest = min(sizes), max(sizes)
    header = ["list", *(f"{n:,} ms (queries)" for n in sizes), f"growth {largest:,}/{smallest:,}"]
    rows = [header]
    for key, measured in by_list(figures).items():
        cells = [LISTS[key]]
        for n in sizes:
            figure = measured.get(n)
            queries = "" if figure is None or figure.queries is None else f" ({figure.queries})"
            cells.append("failed" if figure is None else f"{figure.median_ms:,.1f}{queries}")
        grew = growth(measured, smallest, largest)
        cells.append("" if grew is None else f"{grew:.2f}x")
        rows.append(cells)
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = ["  ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True))])
             for row in rows]  # fmt: skip
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
