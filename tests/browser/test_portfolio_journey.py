"""A security lead's journey to a consolidated report: filter the dashboard, save the filter, open the
consolidated report from it, ask for the PDF, watch it finish, download it, and read it."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reviewapp.services import review_start, workload_create
from tests.conftest import PASSWORD
from tests.reviewapp.reports_world import fill_review, pdf_text

from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    """The embedded default: reports render in-process, as `make run` does."""
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def test_a_saved_dashboard_filter_becomes_a_consolidated_pdf(page, owner, team, review):
    fill_review(review, owner)
    staging = workload_create(
        team=team, actor=owner, name="Staging shop", description="Pre-production copy.",
        environment="PREPRODUCTION", review_owner="olivia@example.test", aws_regions=["eu-west-1"],
    )  # fmt: skip
    review_start(workload=staging, actor=owner)
    sign_in(page, owner.username, PASSWORD)

    page.goto(reverse("dashboard"))
    page.select_option("#id_environment", "PRODUCTION")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator(".dash-table")).not_to_contain_text("Staging shop")
    page.fill("#saved-filter-name", "Production only")
    page.get_by_role("button", name="Save filter").click()
    expect(page.locator(".messages")).to_contain_text("Filter “Production only” saved.")
    expect(page.locator(".saved-filters")).to_contain_text("Production only")

    page.get_by_role("link", name="Consolidated report").click()
    expect(page.locator("h1")).to_have_text("Consolidated report")
    # Opened from the filtered dashboard, the form starts from its filter.
    expect(page.locator("#id_environment")).to_have_value("PRODUCTION")
    page.select_option("#id_environment", "")
    page.select_option("#id_saved_filter", label="Production only")
    page.get_by_role("button", name="Create consolidated report").click()
    expect(page.locator(".messages")).to_contain_text("ready to download")
    jobs = page.locator("#portfolio-jobs")
    expect(jobs).to_contain_text("Saved filter “Production only”: Production")
    expect(jobs).to_contain_text("Ready")

    with page.expect_download() as download:
        jobs.get_by_role("link", name="Download").first.click()
    assert download.value.suggested_filename.startswith("portfolio-security-report-")
    text = pdf_text(Path(download.value.path()).read_bytes())
    assert "Security across 1 workload" in text
    assert "Checkout API" in text and "Staging shop" not in text
    assert "Practices most often missing" in text and "Accepted risks and their expiry" in text
