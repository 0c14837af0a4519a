"""Two journeys: a team owner keeps a review template, starts a review from it and later takes a new version
after its preview; and answers a workload's profile, after which the review puts the prioritised questions
first and the plan ranks their practices ahead of the rest."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from questionnaire.models import Question
from reviewapp.models import Answer
from reviewapp.services import answer_record, review_start
from reviewapp.specs import version_specs
from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


@pytest.fixture
def catalogue(transactional_db):
    # A transactional test before this one flushed every table, the lens catalogue included: load it again.
    call_command("load_lens", verbosity=0, stdout=StringIO())
    version_specs.cache_clear()


def test_a_team_keeps_a_template_and_reviews_take_it(page, chromium_path, catalogue, owner, team, workload):
    sign_in(page, owner.username, PASSWORD)
    page.click("nav.mainnav >> text=Templates")
    page.click("text=New template")
    page.fill("#id_name", "Landing zone")
    page.select_option("#id_keeper", str(team.pk))
    page.check("#q-SEC1 input[name=include]")
    page.check("#q-SEC1 input[value=SEC01-BP01]")
    page.fill("#q-SEC1 textarea", "Accounts come from the landing zone.")
    page.click("#template-form button[type=submit]")
    expect(page.locator(".message")).to_contain_text("saved as version 1")

    # A new review starts from it: SEC1 is answered before anyone opens the question.
    page.goto(f"/workloads/{workload.pk}/")
    page.select_option("#start-template", label="Landing zone (version 1)")
    page.click("#start-review button[type=submit]")
    expect(page.locator(".message")).to_contain_text("1 answered")
    review = workload.reviews.get()
    assert Answer.objects.get(review=review, question__code="SEC1").selected == ["SEC01-BP01"]

    # The team changes the template; the review is offered the new version, not changed.
    page.goto("/templates/")
    page.click("text=Landing zone")
    page.check("#q-SEC1 input[value=SEC01-BP02]")
    page.click("#template-form button[type=submit]")
    expect(page.locator(".message")).to_contain_text("version 2")
    page.goto(f"/reviews/{review.pk}/")
    expect(page.locator(".template-update")).to_contain_text("new version 2 (this review took version 1)")
    page.click(".template-update >> text=See what it would change")
    row = page.locator('#preview-table tr[data-question="SEC1"]')
    expect(row).to_contain_text("Replace the current answer")
    row.locator("input[name=replace]").check()
    page.click("#apply-form button[type=submit]")
    expect(page.locator(".message")).to_contain_text("1 replaced")
    expect(page.locator(".template-update")).to_have_count(0)
    assert Answer.objects.get(review=review, question__code="SEC1").selected == ["SEC01-BP01", "SEC01-BP02"]


def test_a_profile_puts_what_matters_first(page, chromium_path, catalogue, owner, workload):
    review = review_start(workload=workload, actor=owner)
    for code in ("SEC1", "SEC9"):
        question = Question.objects.get(lens_version=review.lens_version, code=code)
        answer_record(review=review, question=question, actor=owner, base_version=1, none_of_these=True)

    sign_in(page, owner.username, PASSWORD)
    page.goto(f"/workloads/{workload.pk}/")
    page.click("nav.subnav >> text=Profile")
    page.check("#profile-internet_facing input[value=yes]")
    page.check("#profile-personal_data input[value=no]")
    page.click("#profile-form button[type=submit]")
    expect(page.locator("#profile-priorities")).to_contain_text("SEC5 — high priority")

    page.goto(f"/reviews/{review.pk}/")
    first = page.locator("#question-table tbody tr").first
    expect(first).to_have_attribute("data-question", "SEC5")
    expect(first).to_contain_text("High priority")

    # Both questions are high risk; the profile puts encryption in transit (SEC09-BP02) above SEC1's items.
    page.goto(f"/workloads/{workload.pk}/plan/")
    expect(page.locator("tbody tr").first).to_contain_text("SEC09-BP02")
    expect(page.locator("tbody tr").first).to_contain_text("High priority")
