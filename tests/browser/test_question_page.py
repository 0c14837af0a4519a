"""The question page an architect keeps open all day, each test one problem a new user met (issue 15).

Every wait is for a condition in the page (Playwright's expect), never a fixed sleep.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from reviewapp.models import Answer
from reviewapp.services import answer_record
from tests.conftest import PASSWORD

from .axe import axe_violations
from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def question_url(review, code: str) -> str:
    return reverse("review_question", kwargs={"review_id": review.pk, "question_code": code})


def stored(review, code: str) -> Answer:
    return Answer.objects.get(review=review, question__code=code)


def record(review, user, code: str, **values) -> Answer:
    question = review.lens_version.questions.get(code=code)
    return answer_record(
        review=review, question=question, actor=user, base_version=stored(review, code).version, **values
    )


def saved(page) -> None:
    expect(page.locator("#save-status")).to_have_text("All changes saved.")


def test_a_refused_save_is_shown_in_view_and_stays_red_until_fixed(page, owner, review):
    sign_in(page, owner.username, PASSWORD)
    page.goto(question_url(review, "SEC3"))
    page.check("#pick-SEC03-BP01")
    saved(page)

    # Far down the page, mark the question as not applying but forget the reason: the server refuses.
    page.locator("#id_notes").scroll_into_view_if_needed()
    page.check("#id_not_applicable")
    status = page.locator("#save-status")
    expect(status).to_contain_text("Not saved:")
    expect(status).to_contain_text("Choose why the question does not apply.")
    bar = page.locator("#answer-bar")
    expect(bar).to_be_in_viewport()
    assert bar.evaluate("bar => getComputedStyle(bar).backgroundColor") == "rgb(253, 232, 230)"
    expect(page.locator(".savebar")).not_to_contain_text("automatically")
    # Nothing changed on the server, and the tick is out of reach (not lost) while the question does not apply.
    assert (stored(review, "SEC3").selected, stored(review, "SEC3").is_applicable) == (["SEC03-BP01"], True)
    expect(page.locator("#pick-SEC03-BP01")).to_be_disabled()
    expect(status).to_contain_text("Not saved:")

    page.select_option("#id_reason", "OUT_OF_SCOPE")
    saved(page)
    assert bar.evaluate("bar => getComputedStyle(bar).backgroundColor") != "rgb(253, 232, 230)"
    answer = stored(review, "SEC3")
    assert (answer.is_applicable, answer.reason, answer.selected) == (False, "OUT_OF_SCOPE", [])

    # Undoing "does not apply" gives back the practice that was ticked before.
    page.uncheck("#id_not_applicable")
    expect(page.locator("#pick-SEC03-BP01")).to_be_checked()
    saved(page)
    answer = stored(review, "SEC3")
    assert (answer.is_applicable, answer.selected) == (True, ["SEC03-BP01"])


def test_without_javascript_the_page_promises_no_autosave_and_saves_on_save(
    browser, live_server, owner, review
):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, owner.username, PASSWORD)
        page.goto(question_url(review, "SEC1"))
        expect(page.locator("#save-status .no-js-only")).to_have_text("Press Save to keep your changes.")
        expect(page.locator("#save-status .js-only")).to_be_hidden()
        expect(page.locator(".savebar")).to_contain_text(
            "Changes are kept only when you press a Save button."
        )
        expect(page.get_by_text("saved as you go")).to_be_hidden()
        expect(page.locator(".savebar .keys.js-only")).to_be_hidden()
        page.check("#pick-SEC01-BP01")
        page.locator(".savebar button.primary").click()
        expect(page.locator(".messages")).to_contain_text("SEC1 saved.")
        expect(page.locator("#pick-SEC01-BP01")).to_be_checked()
        assert stored(review, "SEC1").selected == ["SEC01-BP01"]
    finally:
        context.close()


def test_contradictory_choices_are_out_of_reach_with_the_reason_shown(page, owner, review):
    record(review, owner, "SEC3", is_applicable=False, reason="OUT_OF_SCOPE")
    sign_in(page, owner.username, PASSWORD)
    page.goto(question_url(review, "SEC3"))
    expect(page.locator("#practices-locked")).to_contain_text(
        "Practices are switched off while the question does not apply."
    )
    expect(page.locator("input[data-practice]").first).to_be_disabled()
    expect(page.locator("input[data-practice]:enabled")).to_have_count(0)
    expect(page.locator("#id_none_of_these")).to_be_disabled()

    # "None of these" clears and locks the practices, and gives them back when unticked.
    page.goto(question_url(review, "SEC2"))
    page.check("#pick-SEC02-BP01")
    saved(page)
    page.check("#id_none_of_these")
    expect(page.locator("#pick-SEC02-BP01")).not_to_be_checked()
    expect(page.locator("#pick-SEC02-BP01")).to_be_disabled()
    expect(page.locator("#practices-locked")).to_contain_text("while “None of these” is ticked")
    saved(page)
    answer = stored(review, "SEC2")
    assert (answer.none_of_these, answer.selected) == (True, [])
    page.uncheck("#id_none_of_these")
    expect(page.locator("#pick-SEC02-BP01")).to_be_checked()
    saved(page)
    assert stored(review, "SEC2").selected == ["SEC02-BP01"]


def test_a_practice_is_marked_not_applicable_only_when_confirmed_with_a_reason_in_words(page, owner, review):
    sign_in(page, owner.username, PASSWORD)
    page.goto(question_url(review, "SEC3"))
    page.locator("#bp-SEC03-BP08 .na-control summary").click()
    reason = page.locator("#na_SEC03-BP08")
    reason.focus()
    page.keyboard.press("ArrowDown")  # a focused select changes under the arrow keys...
    expect(reason).to_have_value("OUT_OF_SCOPE")
    # ...but nothing is saved until the person confirms.
    expect(page.locator("#save-status")).to_have_text("Not saved yet: press Save to confirm this change.")
    expect(page.locator("#pick-SEC03-BP08")).to_be_disabled()
    assert stored(review, "SEC3").version == 1
    page.fill("#note_SEC03-BP08", "No resources are shared outside this account.")
    page.locator("#na-save-SEC03-BP08").click()
    saved(page)
    answer = stored(review, "SEC3")
    assert answer.choices_not_applicable == {"SEC03-BP08": "OUT_OF_SCOPE"}
    assert answer.choice_notes == {"SEC03-BP08": "No resources are shared outside this account."}


def test_a_pasted_note_is_kept_and_leaving_with_unsaved_changes_warns(page, owner, review):
    sign_in(page, owner.username, PASSWORD)
    page.goto(question_url(review, "SEC1"))
    # fill() sets the text the way a mouse paste does: an input event, no key press, focus kept in the field.
    page.locator("#id_notes").fill("Pasted from the design document.")
    saved(page)
    page.reload()
    expect(page.locator("#id_notes")).to_have_value("Pasted from the design document.")
    assert stored(review, "SEC1").notes == "Pasted from the design document."

    # A change that is not stored yet (a reason waiting for its Save) makes the browser ask before leaving.
    page.locator("#bp-SEC01-BP01 .na-control summary").click()
    page.select_option("#na_SEC01-BP01", "OTHER")
    dialogs: list[str] = []

    def stay(dialog) -> None:
        dialogs.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    with page.expect_event("dialog"):
        page.locator("#qnav a[href$='/SEC2/']").click()
    assert dialogs == ["beforeunload"]
    expect(page.locator("h1")).to_contain_text("SEC1.")


def test_a_practice_is_ticked_with_three_key_presses_from_page_load(page, owner, review):
    sign_in(page, owner.username, PASSWORD)
    page.goto(question_url(review, "SEC3"))
    keys = ["Tab", "Enter", "Space"]  # the skip link, onto the first practice, tick it
    for key in keys:
        page.keyboard.press(key)
    assert len(keys) <= 5
    first = page.locator("#pick-SEC03-BP01")
    expect(first).to_be_checked()
    expect(first).to_be_focused()
    saved(page)
    assert stored(review, "SEC3").selected == ["SEC03-BP01"]
    # Shortcuts work with focus on a checkbox: j saves and moves to the next question.
    page.keyboard.press("j")
    expect(page.locator("h1")).to_contain_text("SEC4.")


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{page.url} is {width} px wide on a 360 px screen"


def test_the_question_and_plan_pages_fit_a_360_px_screen(browser, live_server, owner, review):
    record(review, owner, "SEC1", selected=["SEC01-BP01"], notes="A long note " * 20)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 360, "height": 740})
    page = context.new_page()
    try:
        sign_in(page, owner.username, PASSWORD)
        page.goto(question_url(review, "SEC1"))
        menu = page.locator(".qnav-menu")
        expect(menu).not_to_have_attribute("open", "")
        no_horizontal_scroll(page)
        menu.locator("summary").click()
        expect(page.locator("#nav-risk-SEC2")).to_be_visible()
        no_horizontal_scroll(page)
        page.locator("#bp-SEC01-BP02 .na-control summary").click()
        no_horizontal_scroll(page)

        page.goto(reverse("workload_plan", kwargs={"workload_id": review.workload_id}))
        expect(page.locator("h1")).to_have_text("Improvement plan")
        no_horizontal_scroll(page)
    finally:
        context.close()


def test_the_question_plan_and_dashboard_pages_pass_axe(page, owner, review):
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    sign_in(page, owner.username, PASSWORD)
    for url, heading in [
        (question_url(review, "SEC1"), "SEC1."),
        (reverse("workload_plan", kwargs={"workload_id": review.workload_id}), "Improvement plan"),
        (reverse("dashboard"), "Dashboard"),
    ]:
        page.goto(url)
        expect(page.locator("h1").first).to_contain_text(heading)
        assert axe_violations(page) == [], url
