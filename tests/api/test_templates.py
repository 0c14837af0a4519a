"""The review templates API: create, preview (dry_run) and apply; bad input is a 400 with the reason."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.models import Answer
from reviewapp.services.templates import template_create

from .conftest import as_user

pytestmark = pytest.mark.django_db

ENTRIES = {
    "SEC1": {"selected": ["SEC01-BP01", "SEC01-BP02"], "notes": "Accounts come from the landing zone."},
    "SEC2": {"applicable": False, "reason": "OUT_OF_SCOPE", "notes": "No human users."},
}


def answer(review, code: str) -> Answer:
    return Answer.objects.get(review=review, question__code=code)


def test_the_api_creates_previews_and_applies(api, owner, team, review, lens):
    as_user(api, owner)
    created = api.post(
        reverse("api_template_list"),
        {"name": "API", "team": str(team.pk), "lens": lens.slug, "entries": ENTRIES},
        format="json",
    )
    assert created.status_code == 201, created.content
    template_id = created.json()["id"]
    url = reverse("api_review_template", kwargs={"review_id": review.pk})
    preview = api.post(url, {"template": template_id, "dry_run": True}, format="json").json()
    assert [(c["code"], c["change"]) for c in preview["changes"]] == [("SEC1", "fills"), ("SEC2", "fills")]
    assert answer(review, "SEC1").risk == "UNANSWERED"
    applied = api.post(url, {"template": template_id}, format="json").json()
    assert applied["filled"] == ["SEC1", "SEC2"]
    assert answer(review, "SEC2").risk == "NOT_APPLICABLE"


def test_the_api_refuses_unknown_questions_with_a_reason(api, owner, team, lens):
    as_user(api, owner)
    response = api.post(
        reverse("api_template_list"),
        {"name": "Bad", "team": str(team.pk), "lens": lens.slug, "entries": {"SEC42": {}}},
        format="json",
    )
    assert response.status_code == 400
    assert "SEC42 is not a question of" in response.json()["non_field_errors"][0]


def test_the_api_list_query_count_does_not_grow(api, owner, team, lens, django_assert_num_queries):
    as_user(api, owner)
    template_create(actor=owner, lens=lens, team=team, name="One", entries={"SEC1": {}})
    url = reverse("api_template_list")
    api.get(url)
    with django_assert_num_queries(3) as first:  # token, count, templates with their lens
        api.get(url)
    template_create(actor=owner, lens=lens, team=team, name="Two", entries={"SEC1": {}})
    with django_assert_num_queries(len(first.captured_queries)):
        assert api.get(url).json()["count"] == 2
