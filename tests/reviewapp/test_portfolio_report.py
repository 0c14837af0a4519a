"""The consolidated report's figures across workloads: each equals what the workloads say one by one, they
cost a fixed number of queries, the trend reads milestones, and the PDF and workbook show them."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from reviewapp.models import WORK_LEFT, Answer, ImprovementItem, ItemStatus, Milestone, User, Workload
from reviewapp.reports.consolidated import ConsolidatedScope, consolidated_file
from reviewapp.selectors.dashboard import DashboardFilters
from reviewapp.selectors.portfolio import portfolio, trend_dates
from reviewapp.services import team_create, workload_create
from tests.conftest import PASSWORD
from tests.pdf_fonts import fonts_drawing

from .reports_world import fill_review, pdf_text

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
# seed_demo's milestones are taken 130 and 45 days ago: a start between them has one milestone before it.
SINCE = TODAY - timedelta(days=100)
# The dashboard's rows (3), the missing practices, the accepted risks, the catalogue titles, the milestones.
PORTFOLIO_QUERIES = 7


def seed(workloads: int, teams: int = 2, seed_value: int = 5) -> None:
    call_command(
        "seed_demo",
        workloads=workloads,
        teams=teams,
        seed=seed_value,
        password=PASSWORD,
        stdout=io.StringIO(),
    )


@pytest.fixture
def seeded_lead(lens):
    seed(8)
    return User.objects.get(username="demo-lead")


def test_each_workloads_risk_counts_are_its_own_answers(seeded_lead):
    figures = portfolio(seeded_lead, DashboardFilters(), since=SINCE)
    assert len(figures.lines) == Workload.objects.filter(is_archived=False).count() == 8
    for line in figures.lines:
        risks = Counter(
            Answer.objects.filter(review__workload=line.row.workload).values_list("risk", flat=True)
        )
        assert (line.row.counts.high, line.row.counts.medium) == (risks["HIGH"], risks["MEDIUM"])
    assert figures.totals.counts.high == Answer.objects.filter(risk="HIGH").count()


def test_the_practices_most_often_missing_are_counted_across_workloads(seeded_lead):
    figures = portfolio(seeded_lead, DashboardFilters(), since=SINCE)
    by_code = Counter(
        ImprovementItem.objects.filter(is_active=True, status__in=WORK_LEFT).values_list("bp_code", flat=True)
    )
    assert figures.missing, "the seeded portfolio has open items"
    top = figures.missing[0]
    assert top.workloads == max(by_code.values())
    assert [m.workloads for m in figures.missing] == sorted(
        (m.workloads for m in figures.missing), reverse=True
    )
    for missing in figures.missing:
        assert missing.workloads == by_code[missing.bp_code]
        assert missing.title and missing.title != missing.bp_code
    assert top.share == round(100 * top.workloads / 8)


def test_accepted_risks_are_listed_soonest_expiry_first(seeded_lead):
    figures = portfolio(seeded_lead, DashboardFilters(), since=SINCE)
    accepted = ImprovementItem.objects.filter(is_active=True, status=ItemStatus.RISK_ACCEPTED)
    assert len(figures.accepted) == accepted.count() > 0
    expiries = [risk.expires_on for risk in figures.accepted]
    assert expiries == sorted(expiries)
    assert all(risk.justification for risk in figures.accepted)


def test_the_trend_reads_the_milestones_taken_by_each_date(seeded_lead):
    figures = portfolio(seeded_lead, DashboardFilters(), since=SINCE)
    first = figures.trend[0]
    milestones = Milestone.objects.filter(created_at__date__lte=SINCE)
    assert first.workloads == milestones.values("workload").distinct().count() == 8
    assert first.high == sum(m.snapshot["counts"]["high"] for m in milestones)
    assert figures.trend[-1].label == "Now"
    assert figures.trend[-1].high == figures.totals.counts.high
    line = figures.lines[0]
    then = Milestone.objects.filter(workload=line.row.workload, created_at__date__lte=SINCE).latest(
        "created_at"
    )
    assert line.high_then == then.snapshot["counts"]["high"]
    assert line.high_change == line.row.counts.high - line.high_then


def test_trend_dates_are_monthly_and_sampled_over_long_periods():
    assert [d.isoformat() for d in trend_dates(TODAY.replace(day=1) - timedelta(days=1), TODAY)][:1]
    assert len(trend_dates(TODAY - timedelta(days=3650), TODAY)) <= 24


def test_it_costs_the_same_queries_for_few_or_many_workloads(lens, django_assert_num_queries):
    seed(3, teams=1, seed_value=1)
    lead = User.objects.get(username="demo-lead")
    with django_assert_num_queries(PORTFOLIO_QUERIES):
        few = portfolio(lead, DashboardFilters(), since=SINCE)
    seed(9, teams=3, seed_value=2)
    with django_assert_num_queries(PORTFOLIO_QUERIES):
        many = portfolio(lead, DashboardFilters(), since=SINCE)
    assert (len(few.lines), len(many.lines)) == (3, 12)


def test_a_member_covers_only_their_teams_workloads(owner, outsider, review, lens):
    fill_review(review, owner)
    other_team = team_create(name="Ledger team", actor=outsider)
    workload_create(
        team=other_team, actor=outsider, name="Ledger", description="Books.", environment="PRODUCTION",
        review_owner="o@example.test", aws_regions=["eu-west-1"],
    )  # fmt: skip
    figures = portfolio(owner, DashboardFilters(), since=SINCE)
    assert [line.row.workload.name for line in figures.lines] == ["Checkout API"]
    assert [risk.bp_code for risk in figures.accepted] == ["SEC06-BP05"]


def test_filters_by_environment_and_tag(owner, team, lens):
    for name, environment, tags in (
        ("Web", "PRODUCTION", {"cost-centre": "CC-1"}),
        ("Batch", "PRODUCTION", {"cost-centre": "CC-2"}),
        ("Staging", "PREPRODUCTION", {"cost-centre": "CC-1", "temporary": "yes"}),
    ):
        workload_create(
            team=team, actor=owner, name=name, description=name, environment=environment,
            review_owner="o@example.test", tags=tags, aws_regions=["eu-west-1"],
        )  # fmt: skip

    def names(**filters):
        return [
            line.row.workload.name
            for line in portfolio(owner, DashboardFilters(**filters), since=SINCE).lines
        ]

    assert names(environment="PRODUCTION") == ["Batch", "Web"]
    assert names(tag="cost-centre=CC-1") == ["Staging", "Web"]
    assert names(tag="temporary") == ["Staging"]
    assert names(tag="cost-centre=CC-3") == []


def test_the_pdf_shows_every_section(owner, review):
    fill_review(review, owner)
    scope = ConsolidatedScope(DashboardFilters(environment="PRODUCTION"), SINCE, "Production")
    progress: list[int] = []
    pdf, content_type = consolidated_file(owner, scope, fmt="pdf", progress=progress.append)
    text = pdf_text(pdf)
    assert content_type == "application/pdf"
    assert progress == sorted(progress) and progress[-1] == 95
    assert "Security across 1 workload" in text
    assert "Checkout API" in text and "Payments" in text
    assert "Practices most often missing" in text and "SEC02-BP01" in text
    assert "Compensating control: the platform team patches weekly." in text
    assert f"Trend since {SINCE:%-d %B %Y}" in text
    # Numbers print as text in DejaVu Sans, not as colour-emoji bitmaps (static/css/print.css says why).
    drawn = fonts_drawing(pdf, "0123456789")
    assert drawn and all("DejaVu" in font for font in drawn.values()), drawn


def test_the_workbook_has_a_sheet_per_section(owner, review):
    fill_review(review, owner)
    scope = ConsolidatedScope(DashboardFilters(), SINCE, "All workloads")
    content, _ = consolidated_file(owner, scope, fmt="xlsx")
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Workloads", "Most often missing", "Accepted risks", f"Trend since {SINCE}"]
    workloads = list(book["Workloads"].values)
    assert workloads[1][0] == "Checkout API" and workloads[1][4] == Answer.objects.filter(risk="HIGH").count()
    accepted = list(book["Accepted risks"].values)
    assert accepted[1][2] == "SEC06-BP05"
    assert accepted[1][-1] == "Compensating control: the platform team patches weekly."


def test_a_report_wider_than_the_limit_is_refused_with_a_reason(owner, review, settings):
    from reviewapp.reports.errors import ReportTooLarge

    settings.CONSOLIDATED_MAX_WORKLOADS = 0
    with pytest.raises(ReportTooLarge, match="Narrow it by team, environment or tag"):
        consolidated_file(owner, ConsolidatedScope(DashboardFilters(), SINCE, "All"), fmt="pdf")
