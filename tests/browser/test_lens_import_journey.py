"""An administrator's lens import in the browser: preview with every repair, confirm, busy buttons meanwhile."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from questionnaire.models import Lens
from tests.conftest import PASSWORD
from tests.questionnaire.lens_shapes import as_text, published_lens

from .conftest import sign_in
from .test_long_actions import BUSY_RECORDER, busy_moments

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_admin_previews_then_imports_a_published_lens(page, chromium_path, admin_user, tmp_path):
    lens_file = tmp_path / "published.json"
    lens_file.write_text(as_text(published_lens()), encoding="utf-8")
    sign_in(page, admin_user.username, PASSWORD)
    page.add_init_script(BUSY_RECORDER)
    page.goto("/lenses/import/")
    page.set_input_files("#id_file", str(lens_file))

    page.click("button:has-text('Preview')")

    expect(page.locator("h2#preview-title")).to_contain_text("Preview: Serverless Data Controls")
    expect(page.locator(".lens-warnings li")).to_have_count(9)
    expect(page.locator(".lens-warnings")).to_contain_text("is NaN, not text; the question is skipped")
    assert not Lens.objects.filter(slug="serverless-data-controls").exists()

    page.click("button:has-text('Import this lens')")
    expect(page.locator(".messages")).to_contain_text("Imported Serverless Data Controls as version 1")
    # While each step ran, its buttons were disabled and the page said what it was doing.
    moments = busy_moments(page)
    assert {"note": "Reading the file…", "disabled": ["Preview"]} in moments
    assert {"note": "Importing…", "disabled": ["Import this lens"]} in moments
    assert Lens.objects.get(slug="serverless-data-controls").versions.count() == 1
