"""The lens upgrade page: the notice and preview, the upgrade, the report after it, and who may upgrade."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from questionnaire.catalogue import LENS_DIR, lens_version_store, own_lens_doc
from reviewapp.models import Milestone
from reviewapp.specs import clear_caches
from tests.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_specs():
    # Versions created here are rolled back after each test and SQLite may reuse their ids.
    clear_caches()
    yield
    clear_caches()


@pytest.fixture
def newer(review):
    data = json.loads((LENS_DIR / "security-pillar.json").read_text(encoding="utf-8"))
    data["version"] = "2026.1"
    questions = data["pillars"][0]["questions"]
    questions[0]["best_practices"].pop()  # SEC01-BP08 goes
    questions[1]["best_practices"][0]["title"] = "Sign in strongly"
    version, _ = lens_version_store(own_lens_doc(data))
    return version


def url(review) -> str:
    return reverse("review_upgrade", kwargs={"review_id": review.pk})


def test_it_says_when_the_review_is_on_the_newest_version(client, viewer, review):
    response = login(client, viewer).get(url(review))
    assert response.status_code == 200 and b"on the newest version" in response.content


def test_it_previews_a_newer_version_and_upgrades_after_a_milestone(client, owner, review, newer):
    login(client, owner)
    preview = client.get(url(review))
    assert b"A newer lens version is available: 2026.1" in preview.content
    assert b"SEC01-BP08" in preview.content and b"Sign in strongly" in preview.content
    response = client.post(url(review))
    assert response.status_code == 302 and response["Location"].endswith(
        f"?from={review.lens_version.number}"
    )
    review.refresh_from_db()
    assert review.lens_version == newer
    assert Milestone.objects.filter(
        workload=review.workload, name__startswith="Before upgrade to 2026.1"
    ).exists()
    report = client.get(response["Location"])
    assert b"Changes since 2025.2" in report.content and b"SEC01-BP08" in report.content
    again = client.post(url(review))
    assert again.status_code == 302
    assert b"already on the newest version" in client.get(again["Location"]).content


def test_viewers_and_security_leads_cannot_upgrade(client, viewer, lead, review, newer):
    assert login(client, viewer).post(url(review)).status_code == 403
    response = login(client, lead).get(url(review))
    assert response.status_code == 200 and b"Only people who may answer" in response.content
    assert login(client, lead).post(url(review)).status_code == 403
    review.refresh_from_db()
    assert review.lens_version != newer


def test_the_plan_page_shows_the_notice(client, owner, review, newer):
    response = login(client, owner).get(reverse("workload_plan", kwargs={"workload_id": review.workload_id}))
    assert b"A newer lens version is available" in response.content
