"""PDF reports of a review, rendered by WeasyPrint from templates/reports/review.html and css/print.css.

Safety: the template escapes every user-written string (Django autoescape; the only unescaped markup is the
SVG chart built from escaped parts in lib/charts.py); the renderer may load nothing but our own static files
(fetcher.StaticOnlyFetcher); a render has a time limit (REPORT_RENDER_TIMEOUT), a limit on what goes in
(content.py refuses oversized reviews) and on what comes out (REPORT_MAX_BYTES).

`render_review_pdf` is callable on its own (the benchmark times it); it reads the database in the calling
thread and renders in a worker thread, so the database connection never crosses threads.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from weasyprint import HTML

from ..lib.charts import area_risk_chart
from ..models import Milestone, Review
from .content import ReportContent, build_report
from .errors import ReportBusy, ReportTimeout, ReportTooLarge
from .fetcher import BASE_URL, STATIC_PREFIX, StaticOnlyFetcher

logger = logging.getLogger(__name__)

TEMPLATE = "reports/review.html"
CONTENT_TYPE = "application/pdf"

_slots_lock = threading.Lock()
_slots: threading.BoundedSemaphore | None = None
_slots_size = 0


def _render_slots() -> threading.BoundedSemaphore:
    """Renders running at once in this process. A render that outlives its timeout keeps its slot until it
    really ends (a thread cannot be killed), so a wedged document cannot multiply into a CPU pile-up."""
    global _slots, _slots_size
    with _slots_lock:
        if _slots is None or _slots_size != settings.REPORT_MAX_CONCURRENT:
            _slots_size = settings.REPORT_MAX_CONCURRENT
            _slots = threading.BoundedSemaphore(_slots_size)
        return _slots


def report_html(content: ReportContent) -> str:
    """The report as HTML, for WeasyPrint (and for looking at the layout in a browser while developing)."""
    context: dict[str, Any] = {
        "r": content,
        "static_base": STATIC_PREFIX,
        # Built from escaped labels and numbers by lib/charts.py: the same picture as the review overview.
        "chart": mark_safe(area_risk_chart(content.areas)),  # noqa: S308  # nosec B308 B703
    }
    return render_to_string(TEMPLATE, context)


def html_to_pdf(
    html: str,
    *,
    fetcher: StaticOnlyFetcher | None = None,
    timeout: float | None = None,
    max_bytes: int | None = None,
) -> bytes:
    """Render `html` with the static-only fetcher, within the time and size limits."""
    fetcher = fetcher or StaticOnlyFetcher()
    timeout = settings.REPORT_RENDER_TIMEOUT if timeout is None else timeout
    max_bytes = settings.REPORT_MAX_BYTES if max_bytes is None else max_bytes
    slots = _render_slots()
    if not slots.acquire(timeout=timeout):
        raise ReportBusy("The server is busy rendering other reports. Try again in a minute.")
    future: Future[bytes] = Future()

    def work() -> None:
        try:
            future.set_result(HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).write_pdf())
        except BaseException as exc:  # handed to the waiting caller, which decides what the user sees
            future.set_exception(exc)
        finally:
            slots.release()

    threading.Thread(target=work, name="report-render", daemon=True).start()
    try:
        pdf = future.result(timeout=timeout)
    except TimeoutError as exc:
        logger.warning("report render exceeded %s s and was abandoned", timeout)
        raise ReportTimeout(
            f"The report took longer than {timeout:g} seconds to render and was stopped. Try the executive "
            "summary, or ask an administrator to raise REPORT_RENDER_TIMEOUT."
        ) from exc
    if len(pdf) > max_bytes:
        raise ReportTooLarge(
            f"The report would be {len(pdf) / 1_048_576:.1f} MB; the limit is {max_bytes / 1_048_576:.1f} MB."
        )
    return pdf


def render_review_pdf(
    review: Review,
    *,
    milestone: Milestone | None = None,
    kind: str = "full",
    fetcher: StaticOnlyFetcher | None = None,
    timeout: float | None = None,
) -> bytes:
    """The PDF report of `review`: its current answers (marked DRAFT) or `milestone`'s frozen snapshot.

    `kind` is "full" (every question, the plan, the evidence appendix) or "executive" (summary and plan).
    Raises ReportError subclasses with a message for the user when a limit is reached.
    """
    content = build_report(review, milestone=milestone, kind=kind)
    return html_to_pdf(report_html(content), fetcher=fetcher, timeout=timeout)


__all__ = ["CONTENT_TYPE", "html_to_pdf", "render_review_pdf", "report_html"]
