"""The PDF report: what it says for the current answers and for a milestone, that user text prints as text and
fetches nothing, that the renderer loads only our static files, and that time and size stay bounded."""

from __future__ import annotations

import re
import time

import pytest

from checks.models import FindingStatus
from reviewapp.models import ImprovementItem
from reviewapp.reports import pdf as pdf_module
from reviewapp.reports.content import build_report
from reviewapp.reports.errors import ReportTimeout, ReportTooLarge
from reviewapp.reports.fetcher import STATIC_PREFIX, FetchRefused, StaticOnlyFetcher
from reviewapp.reports.pdf import render_review_pdf, report_html
from reviewapp.services import milestone_create
from tests.checks.factories import finding, finished_run

from .reports_world import QUESTIONS, fill_review, flat, pdf_pages, pdf_text, record

SUMMARY = re.compile(r"HIGH RISK MEDIUM RISK NO RISK NOT APPLICABLE UNANSWERED QUESTIONS((?: \d+){6})")

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(review, owner):
    fill_review(review, owner)
    return review


def test_the_full_report_names_the_workload_every_question_the_counts_and_the_plan(filled):
    pages = pdf_pages(render_review_pdf(filled))
    text = flat(" ".join(pages))
    assert 8 <= len(pages) <= 40
    assert "Checkout API" in text and "Payments" in text and "olivia@example.test" in text
    assert "AWS Well-Architected Security Pillar" in text
    for code in QUESTIONS:
        assert re.search(rf"\b{code}\b", text), code
    counts = build_report(filled).counts
    assert (counts.high, counts.medium, counts.not_applicable, counts.unanswered) == (7, 1, 1, 1)
    summary = SUMMARY.search(text)
    assert summary and summary.group(1).split() == ["7", "1", "1", "1", "1", "11"]
    assert "SEC02-BP01" in text and "Rolling out IAM Identity Center." in text
    assert "Compensating control: the platform team patches weekly." in text
    assert "Landing zone with SCPs." in text
    assert "Architecture constraints" in text and "Out of scope" in text
    assert "Page 2 of " in text


def test_the_report_of_current_answers_is_marked_draft_on_every_page(filled):
    pages = pdf_pages(render_review_pdf(filled))
    assert all("DRAFT" in page for page in pages)


def test_a_milestone_report_shows_the_snapshot_not_todays_answers(filled, owner):
    milestone = milestone_create(review=filled, actor=owner, name="Q3 baseline")
    record(filled, owner, "SEC11", selected=["SEC11-BP01"], notes="Answered after the milestone.")
    pages = pdf_pages(render_review_pdf(filled, milestone=milestone))
    text = flat(" ".join(pages))
    assert 8 <= len(pages) <= 40
    assert "DRAFT" not in text
    assert "Q3 baseline" in text and milestone.sha256 in text.replace(" ", "")
    assert (
        "Verified: the stored snapshot matches this SHA-256 and its fingerprint keyed with the audit key."
        in text
    )
    assert "Answered after the milestone." not in text
    for code in QUESTIONS:
        assert re.search(rf"\b{code}\b", text), code
    summary = SUMMARY.search(text)
    assert summary and summary.group(1).split() == ["7", "1", "1", "1", "1", "11"]
    assert "SEC02-BP01" in text and "Compensating control: the platform team patches weekly." in text


def test_the_milestone_plan_keeps_the_order_and_rows_of_the_live_plan(filled, owner):
    milestone = milestone_create(review=filled, actor=owner, name="Now")
    live = [(line.bp_code, line.status, line.owner, line.due_date) for line in build_report(filled).plan]
    frozen = [
        (line.bp_code, line.status, line.owner, line.due_date)
        for line in build_report(filled, milestone=milestone).plan
    ]
    assert live == frozen and len(live) == ImprovementItem.objects.filter(is_active=True).count()


def test_the_executive_summary_has_the_summary_and_plan_but_no_question_sections(filled):
    text = pdf_text(render_review_pdf(filled, kind="executive"))
    assert "Executive summary" in text and "Top 10 improvements" in text and "Improvement plan" in text
    assert "Landing zone with SCPs." not in text
    assert "Appendix: evidence collection runs" not in text


def test_evidence_appears_next_to_its_practice_with_its_age_and_in_the_appendix(filled):
    run = finished_run(filled.workload)
    finding(run, "iam.root_mfa", FindingStatus.FAIL, ["SEC02-BP01"])
    finding(run, "iam.root_mfa", FindingStatus.PASS, ["SEC02-BP01"], arn="arn:aws:iam::111122223333:root")
    text = pdf_text(render_review_pdf(filled))
    assert "Evidence contradicts" in text and "1 pass · 1 fail" in text
    assert "collected 1 hour before this report's date" in text
    assert "Appendix: evidence collection runs" in text and "Succeeded" in text


INJECTION = (
    '<b>bold?</b> <script>alert("x")</script> <img src=http://127.0.0.1:1/x> '
    '<a href="file:///etc/passwd">passwd</a> <link rel=stylesheet href="http://127.0.0.1:1/evil.css"> '
    "url(file:///etc/shadow) }</style>"
)


def test_user_text_prints_as_text_and_the_renderer_is_never_asked_for_its_urls(filled, owner):
    record(filled, owner, "SEC11", selected=["SEC11-BP01"], notes=INJECTION)
    fetcher = StaticOnlyFetcher()
    # Long tokens may wrap anywhere in the notes box; compare without the spaces the wrapping adds.
    text = pdf_text(render_review_pdf(filled, fetcher=fetcher)).replace(" ", "")
    assert INJECTION.replace(" ", "") in text
    assert fetcher.requested == [f"{STATIC_PREFIX}css/print.css", f"{STATIC_PREFIX}img/favicon.svg"]
    assert fetcher.refused == []


def test_user_text_is_escaped_in_the_html_handed_to_the_renderer(filled, owner):
    record(filled, owner, "SEC11", selected=["SEC11-BP01"], notes=INJECTION)
    html = report_html(build_report(filled))
    assert "<script>" not in html and "<img src=http" not in html and 'href="file:' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_the_fetcher_serves_our_static_files_and_refuses_everything_else():
    fetcher = StaticOnlyFetcher()
    response = fetcher(f"{STATIC_PREFIX}css/print.css")
    assert response.content_type == "text/css" and b"@page" in response.read()
    refused = [
        "file:///etc/passwd",
        "http://127.0.0.1:1/x.png",
        "https://example.com/x.css",
        "ftp://example.com/x",
        f"{STATIC_PREFIX}../../reviewapp/settings.py",
        f"{STATIC_PREFIX}css/%2e%2e/%2e%2e/etc/passwd",
        f"{STATIC_PREFIX}css/..%2F..%2Fmanage.py",
        f"{STATIC_PREFIX}/etc/passwd",
        f"{STATIC_PREFIX}js/app.js",
        f"{STATIC_PREFIX}css/print.css?x=1",
        f"{STATIC_PREFIX}css/missing.css",
        "data:text/html,<script>alert(1)</script>",
        "data:image/svg+xml;base64,not-base64!",
    ]
    for url in refused:
        with pytest.raises(FetchRefused):
            fetcher(url)
    assert fetcher.refused == refused


def test_the_fetcher_allows_small_inline_images_we_generate():
    fetcher = StaticOnlyFetcher()
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>'
    response = fetcher(f"data:image/svg+xml,{svg}")
    assert response.content_type == "image/svg+xml" and response.read() == svg.encode()
    with pytest.raises(FetchRefused, match="too large"):
        fetcher("data:image/png;base64," + "A" * 400_000)


def test_a_render_that_runs_too_long_is_stopped_with_a_reason(filled, settings, monkeypatch):
    settings.REPORT_RENDER_TIMEOUT = 1

    class SlowHTML:
        def __init__(self, **kwargs):
            pass

        def write_pdf(self):
            time.sleep(2)
            return b"%PDF-late"

    monkeypatch.setattr(pdf_module, "HTML", SlowHTML)
    started = time.monotonic()
    with pytest.raises(ReportTimeout, match="longer than 1 seconds"):
        render_review_pdf(filled)
    assert time.monotonic() - started < 1.8


def test_a_report_beyond_the_size_limit_is_refused(filled, settings):
    settings.REPORT_MAX_BYTES = 10_000
    with pytest.raises(ReportTooLarge, match="the limit is"):
        render_review_pdf(filled)


def test_a_review_with_too_much_text_is_refused_before_rendering(filled, settings, monkeypatch):
    settings.REPORT_MAX_TEXT_CHARS = 100
    monkeypatch.setattr(pdf_module, "HTML", None)  # rendering must not even start
    with pytest.raises(ReportTooLarge, match="characters of notes"):
        render_review_pdf(filled)


def test_a_milestone_of_another_review_is_refused(filled, owner, team):
    from reviewapp.services import review_start, workload_create

    other = workload_create(
        team=team,
        actor=owner,
        name="Other",
        description="Another workload.",
        environment="PRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
    )
    milestone = milestone_create(review=review_start(workload=other, actor=owner), actor=owner, name="M")
    with pytest.raises(ValueError, match="not a milestone of review"):
        render_review_pdf(filled, milestone=milestone)
