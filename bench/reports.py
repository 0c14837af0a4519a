"""The PDF of a full review: reviewapp.reports.pdf.render_review_pdf, as the download view calls it."""

from __future__ import annotations

import io
import time

from django.db.models import Count, Q

from reviewapp.models import Review
from reviewapp.reports.content import build_report
from reviewapp.reports.pdf import html_to_pdf, render_review_pdf, report_html

from .figures import Figure


def _pages(pdf: bytes) -> int | None:
    try:
        from pypdf import PdfReader  # a development dependency; the page count is a nicety
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)


def review_with_items(target: int = 40) -> Review:
    """The review whose plan is closest to `target` items: a typical full review to print."""
    reviews = Review.objects.annotate(
        items=Count("workload__improvement_items", filter=Q(workload__improvement_items__is_active=True))
    ).order_by("pk")
    best = min(reviews.values("pk", "items"), key=lambda row: (abs(row["items"] - target), str(row["pk"])))
    return Review.objects.select_related("workload__team", "lens", "lens_version").get(pk=best["pk"])


def pdf_figure(review: Review, *, runs: int) -> Figure:
    items = review.workload.improvement_items.filter(is_active=True).count()
    render_review_pdf(review)  # warm-up: WeasyPrint loads fonts and parses the stylesheet once per process
    samples, pdf = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        pdf = render_review_pdf(review)
        samples.append(time.perf_counter() - started)
    # Where the time goes, from one more render done step by step.
    started = time.perf_counter()
    content = build_report(review, kind="full")
    built = time.perf_counter()
    markup = report_html(content)
    templated = time.perf_counter()
    html_to_pdf(markup)
    done = time.perf_counter()
    return Figure.of(
        "PDF of a full review",
        samples,
        extra={
            "runs": runs,
            "questions": len(content.questions),
            "best_practices": sum(len(question.practices) for question in content.questions),
            "improvement_items": items,
            "pages": _pages(pdf),
            "bytes": len(pdf),
            "split_ms": {
                "content": round((built - started) * 1000, 1),
                "html": round((templated - built) * 1000, 1),
                "weasyprint": round((done - templated) * 1000, 1),
            },
        },
    )
