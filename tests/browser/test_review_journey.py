"""The main journey: sign in, create a workload, start a review, answer three questions, see risk update, reload."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from reviewapp.models import Answer
from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def wait_saved(page) -> None:
    expect(page.locator("#save-status")).to_contain_text("All changes saved")


def test_an_architect_completes_questions_and_finds_them_saved(page, owner, team):
    sign_in(page, owner.username, PASSWORD)

    page.goto("/workloads/new/")
    page.fill("#id_name", "Browser shop")
    page.fill("#id_description", "Sells things in the browser test.")
    page.check("input[name=environment][value=PRODUCTION]")
    page.fill("#id_review_owner", "olivia@example.test")
    page.check("input[name=aws_regions][value=eu-west-1]")
    page.fill("#id_account_ids", "111122223333")
    page.click("form button[type=submit].primary")
    expect(page.locator("h1")).to_contain_text("Browser shop")

    page.click("text=Start review")
    expect(page.locator("h1")).to_contain_text("SEC1.")

    # SEC1: one High BP missing -> High risk, and the side list follows without a reload.
    for code in ["SEC01-BP01", "SEC01-BP03", "SEC01-BP04", "SEC01-BP07"]:
        page.check(f"input[value={code}]")
    expect(page.locator("#question-risk")).to_have_text("High risk")
    page.check("input[value=SEC01-BP02]")
    expect(page.locator("#question-risk")).to_have_text("Medium risk")
    expect(page.locator("#nav-risk-SEC1")).to_have_text("Medium risk")
    page.fill("#id_notes", "Org with separate prod and dev accounts.")
    expect(page.locator("#notes-count")).to_contain_text("40 / 2,084")
    wait_saved(page)
    page.click("button[value=next]")

    # SEC2: "None of these".
    expect(page.locator("h1")).to_contain_text("SEC2.")
    page.check("#id_none_of_these")
    expect(page.locator("#question-risk")).to_have_text("High risk")
    wait_saved(page)
    page.click("button[value=next]")

    # SEC3: does not apply, with a reason.
    expect(page.locator("h1")).to_contain_text("SEC3.")
    page.select_option("#id_reason", "OUT_OF_SCOPE")
    page.check("#id_not_applicable")
    expect(page.locator("#question-risk")).to_have_text("Not applicable")
    wait_saved(page)

    page.goto(page.url.split("/questions/")[0] + "/")
    counts = page.locator("#review-counts .count strong").all_inner_texts()
    assert counts == ["1", "1", "0", "1", "8"]

    page.goto(page.url + "questions/SEC1/")
    page.reload()
    expect(page.locator("input[value=SEC01-BP02]")).to_be_checked()
    expect(page.locator("#id_notes")).to_have_value("Org with separate prod and dev accounts.")
    expect(page.locator("#nav-risk-SEC2")).to_have_text("High risk")
    expect(page.locator("#nav-risk-SEC3")).to_have_text("Not applicable")
    assert (
        Answer.objects.get(question__code="SEC3", review__workload__name="Browser shop").reason
        == "OUT_OF_SCOPE"
    )
