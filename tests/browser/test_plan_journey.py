"""A security lead's journey: filter the dashboard, open a plan, assign an owner inline, request a risk
acceptance; the team owner approves it from the dashboard queue."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from reviewapp.models import Answer, ImprovementItem
from reviewapp.services import answer_record, review_start, team_create, workload_create
from reviewapp.specs import clear_caches
from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def review(transactional_db, owner, workload):
    # A transactional test before this one flushed every table, the lens catalogue included: load it again.
    call_command("load_lens", verbosity=0, stdout=StringIO())
    clear_caches()
    return review_start(workload=workload, actor=owner)


def test_a_lead_assigns_an_owner_and_an_acceptance_is_requested_and_approved(
    page, browser, live_server, chromium_path, lead, owner, contributor, review
):
    question = review.lens_version.questions.get(code="SEC1")
    answer = Answer.objects.get(review=review, question=question)
    answer_record(
        review=review, question=question, actor=owner, base_version=answer.version, selected=["SEC01-BP01"]
    )
    elsewhere = team_create(name="Data platform", actor=owner)
    other = workload_create(
        team=elsewhere,
        actor=owner,
        name="Warehouse",
        description="Analytics warehouse.",
        environment="PREPRODUCTION",
        review_owner="someone@example.test",
        aws_regions=["eu-west-1"],
    )
    review_start(workload=other, actor=owner)

    sign_in(page, lead.username, PASSWORD)
    page.click("nav.mainnav >> text=Dashboard")
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator(".dash-table tbody tr")).to_have_count(2)

    page.select_option("#id_environment", "PRODUCTION")
    page.click("form[role=search] button[type=submit]")
    expect(page.locator(".dash-table tbody tr")).to_have_count(1)
    page.click(".dash-table >> text=Checkout API")
    expect(page.locator("h1")).to_have_text("Improvement plan")

    # Inline edit (htmx): the row turns into a form and back, without leaving the page.
    target = ImprovementItem.objects.get(workload=review.workload, bp_code="SEC01-BP02")
    row = page.locator(f"#item-{target.pk}")
    row.locator("text=Edit").click()
    owner_select = page.locator(f"#item-{target.pk}-owner")
    expect(owner_select).to_be_visible()
    owner_select.select_option(str(contributor.pk))
    page.fill(f"#item-{target.pk}-due_date", (timezone.localdate() + timedelta(days=21)).isoformat())
    page.locator(f"#item-{target.pk} button[type=submit]").click()
    # The owner's name is also an option of the select: wait for the form to be swapped out first.
    expect(owner_select).to_have_count(0)
    expect(row).to_contain_text(contributor.display_name())
    expect(page.locator("h1")).to_have_text("Improvement plan")
    target.refresh_from_db()
    assert target.owner == contributor

    # Ask to accept the risk of another item: nothing changes until someone else approves.
    accepted = ImprovementItem.objects.get(workload=review.workload, bp_code="SEC01-BP08")
    page.locator(f"#item-{accepted.pk}").locator("text=Request acceptance").click()
    expect(page.locator("h1")).to_contain_text("Request acceptance of the risk of SEC01-BP08")
    expires = timezone.localdate() + timedelta(days=120)
    page.fill("#id_justification", "Low-risk practice; revisit after the account migration in spring.")
    page.fill("#id_compensating_controls", "Quarterly manual review of new AWS features.")
    page.fill("#id_expires_on", expires.isoformat())
    page.click("form button.primary")
    expect(page.locator(".messages")).to_contain_text("applies once approved")
    expect(page.locator("#acceptance-history")).to_contain_text("Requested")
    accepted.refresh_from_db()
    assert accepted.status == "OPEN"

    # The team owner finds the request in the dashboard queue and approves it with a comment.
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1300, "height": 1000})
    approver = context.new_page()
    sign_in(approver, owner.username, PASSWORD)
    approver.goto("/dashboard/")
    queue = approver.locator("#acceptance-queue")
    expect(queue).to_contain_text("Risk acceptances awaiting your decision (1)")
    queue.locator("text=Decide").click()
    expect(approver.locator("h1")).to_contain_text("accept the risk of SEC01-BP08")
    expect(approver.locator("main")).to_contain_text("Quarterly manual review of new AWS features.")
    approver.fill("#id_comment", "Agreed until the migration; the quarterly review stays.")
    approver.click("button[value=approve]")
    expect(approver.locator(".messages")).to_contain_text("approved")
    expect(approver.locator(f"#item-{accepted.pk}")).to_contain_text("Risk accepted")
    context.close()
    accepted.refresh_from_db()
    assert (accepted.status, accepted.acceptance_expires_on, accepted.accepted_by) == (
        "RISK_ACCEPTED",
        expires,
        owner,
    )
