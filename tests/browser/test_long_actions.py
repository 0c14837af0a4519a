"""Long actions show progress and disable their buttons; PDFs print every script (issue 15, problems 4 and 5).

A page records every moment a form turns busy (in sessionStorage, which survives the navigation), and a download's
request is held by Playwright's router until the test has seen the waiting state: nothing depends on how fast
this machine renders.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from checks.services import target_create
from tests.conftest import PASSWORD
from tests.pdf_fonts import fonts_drawing

from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

WORLD_TEXT = "安全 مرحبا ✅ 🚀"


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    """The embedded default: reports render in-process, as `make run` does."""
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


# Records, in sessionStorage so it survives the navigation that follows, every moment a form turns busy: which
# buttons were disabled and what its note said. Evaluated through DevTools, so the page's CSP does not apply.
BUSY_RECORDER = """
new MutationObserver(() => {
  document.querySelectorAll("form[aria-busy=true]").forEach(form => {
    const note = form.querySelector(".busy-note.is-busy");
    const disabled = [...form.querySelectorAll("button:disabled")].map(b => b.textContent.trim());
    const entry = JSON.stringify({ note: note ? note.textContent : "", disabled });
    const log = JSON.parse(sessionStorage.getItem("busy") || "[]");
    if (!log.includes(entry)) sessionStorage.setItem("busy", JSON.stringify([...log, entry]));
  });
}).observe(document, { subtree: true, childList: true, attributes: true, characterData: true });
"""


class Held:
    """Requests of one method to URLs matching a glob, held until released (for fetches: no navigation)."""

    def __init__(self, page, glob: str, method: str) -> None:
        self.routes: list = []
        self.method = method
        page.route(glob, self._hold)

    def _hold(self, route) -> None:
        if route.request.method == self.method:
            self.routes.append(route)
        else:
            route.continue_()

    def wait(self, page, timeout: float = 10.0) -> None:
        """Until the request reached the router; each round trip to the browser lets Playwright dispatch it."""
        deadline = time.monotonic() + timeout
        while not self.routes:
            if time.monotonic() > deadline:
                raise AssertionError("the request never left the page")
            page.evaluate("() => new Promise(requestAnimationFrame)")

    def release(self) -> None:
        self.routes.pop(0).continue_()


def busy_moments(page) -> list[dict]:
    return [
        json.loads(entry) for entry in json.loads(page.evaluate("sessionStorage.getItem('busy') || '[]'"))
    ]


def test_a_pdf_shows_progress_and_prints_chinese_arabic_and_emoji(page, owner, review):
    sign_in(page, owner.username, PASSWORD)
    page.goto(reverse("review_question", kwargs={"review_id": review.pk, "question_code": "SEC1"}))
    page.fill("#id_notes", WORLD_TEXT)
    expect(page.locator("#save-status")).to_have_text("All changes saved.")

    page.add_init_script(BUSY_RECORDER)
    page.goto(reverse("review_reports", kwargs={"review_id": review.pk}))
    page.get_by_role("button", name="Create PDF").click()
    # Before the answer came back, the button was disabled and the page said what it was doing.
    assert {"note": "Asking for the PDF…", "disabled": ["Create PDF"]} in busy_moments(page)
    expect(page.locator(".messages")).to_contain_text("ready to download")
    with page.expect_download() as download:
        page.locator("#report-jobs").get_by_role("link", name="Download").first.click()
    pdf = Path(download.value.path()).read_bytes()
    drawn = fonts_drawing(pdf, WORLD_TEXT.replace(" ", ""))
    assert set(drawn) == set(WORLD_TEXT.replace(" ", "")), drawn
    assert "CJK" in drawn["安"] and "Emoji" in drawn["🚀"], drawn


def test_an_export_shows_progress_then_downloads_and_gives_the_button_back(page, owner, review):
    sign_in(page, owner.username, PASSWORD)
    page.goto(reverse("review_reports", kwargs={"review_id": review.pk}))
    held = Held(page, "**/export.csv*", method="GET")
    csv = page.get_by_role("button", name="Plan as CSV")
    csv.click()
    expect(csv).to_be_disabled()
    expect(page.get_by_role("button", name="Review as JSON")).to_be_disabled()
    expect(page.locator(".busy-note.is-busy")).to_have_text("Preparing the CSV file…")
    held.wait(page)
    with page.expect_download() as download:
        held.release()
    assert download.value.suggested_filename.endswith(".csv")
    expect(csv).to_be_enabled()
    expect(page.locator(".busy-note")).to_contain_text("Downloaded")


def test_collecting_evidence_shows_progress_and_cannot_be_clicked_twice(page, owner, review):
    target_create(
        workload=review.workload,
        actor=owner,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/ReviewAudit",
        regions=["eu-west-1"],
    )
    sign_in(page, owner.username, PASSWORD)
    page.add_init_script(BUSY_RECORDER)
    page.goto(reverse("evidence_home", kwargs={"workload_id": review.workload_id}))
    # Only the waiting state is under test here: the request is answered by the test, no AWS call is made.
    page.route(
        "**/evidence/collect/", lambda route: route.fulfill(status=303, headers={"Location": page.url})
    )
    page.get_by_role("button", name="Collect evidence").click()
    assert {"note": "Starting the collection…", "disabled": ["Collect evidence"]} in busy_moments(page)
