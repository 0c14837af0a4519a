"""An administrator's lens import in the browser: preview with every repair, confirm, and a busy button."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from questionnaire.models import Lens
from tests.conftest import PASSWORD
from tests.questionnaire.lens_shapes import as_text, published_lens

from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

# Stops the next form submission from leaving the page (after app.js has seen it), so the page's state while a
# slow action runs can be read without racing the server.
HOLD_SUBMISSION = (
    "window.addEventListener('submit', (event) => event.preventDefault(), {capture: true, once: true})"
)


def test_a_slow_form_disables_its_buttons_once_sent(page, chromium_path, admin_user):
    sign_in(page, admin_user.username, PASSWORD)
    page.goto("/lenses/import/")
    page.set_input_files("#id_file", {"name": "x.json", "mimeType": "application/json", "buffer": b"{}"})
    page.evaluate(HOLD_SUBMISSION)

    page.click("button:has-text('Preview')")

    button = page.locator("form[data-busy] button:has-text('Reading the file')")
    expect(button).to_be_disabled()
    expect(page.locator("form[aria-busy=true]")).to_have_count(1)


def test_an_admin_previews_then_imports_a_published_lens(page, chromium_path, admin_user, tmp_path):
    lens_file = tmp_path / "published.json"
    lens_file.write_text(as_text(published_lens()), encoding="utf-8")
    sign_in(page, admin_user.username, PASSWORD)
    page.goto("/lenses/import/")
    page.set_input_files("#id_file", str(lens_file))

    page.click("button:has-text('Preview')")

    expect(page.locator("h2#preview-title")).to_contain_text("Preview: Serverless Data Controls")
    expect(page.locator(".lens-warnings li")).to_have_count(9)
    expect(page.locator(".lens-warnings")).to_contain_text("is NaN, not text; the question is skipped")
    assert not Lens.objects.filter(slug="serverless-data-controls").exists()

    page.click("button:has-text('Import this lens')")
    expect(page.locator(".messages")).to_contain_text("Imported Serverless Data Controls as version 1")
    assert Lens.objects.get(slug="serverless-data-controls").versions.count() == 1
