"""/api/v1/workloads/<id>/reviews/ and /api/v1/reviews/<id>/: list, start, per-question risk with counts."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from questionnaire.models import Question
from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT
from reviewapp.models import AuditEvent, Review
from reviewapp.services import answer_record, review_start
from reviewapp.services.lenses import lens_import

from .conftest import as_user

pytestmark = pytest.mark.django_db


def reviews_url(workload) -> str:
    return reverse("api_review_list", kwargs={"workload_id": workload.pk})


def test_it_starts_a_review_on_the_default_lens(api, contributor, workload):
    response = as_user(api, contributor).post(reviews_url(workload), {}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["lens"] == "wellarchitected-security"
    assert body["counts"] == {"high": 0, "medium": 0, "none": 0, "not_applicable": 0, "unanswered": 11}
    review = Review.objects.get(pk=body["id"])
    assert AuditEvent.objects.filter(action="review.start", object_id=str(review.pk)).exists()


def test_starting_twice_is_a_400_with_the_reason(api, owner, review):
    response = as_user(api, owner).post(reviews_url(review.workload), {}, format="json")
    assert response.status_code == 400
    assert "already has a review" in response.json()["non_field_errors"][0]


def test_starting_on_an_unknown_lens_names_the_field(api, owner, workload):
    response = as_user(api, owner).post(reviews_url(workload), {"lens": "no-such-lens"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"lens": ["No such lens."]}


def test_a_viewer_cannot_start_a_review(api, viewer, workload):
    assert as_user(api, viewer).post(reviews_url(workload), {}, format="json").status_code == 403
    assert not Review.objects.exists()


def test_an_outsider_gets_404(api, outsider, review):
    as_user(api, outsider)
    assert api.get(reviews_url(review.workload)).status_code == 404
    assert api.post(reviews_url(review.workload), {}, format="json").status_code == 404
    assert api.get(reverse("api_review_detail", kwargs={"review_id": review.pk})).status_code == 404


def test_it_lists_reviews_with_risk_counts(api, owner, review):
    question = Question.objects.get(lens_version=review.lens_version, code="SEC1")
    answer_record(review=review, question=question, actor=owner, base_version=1, none_of_these=True)
    body = as_user(api, owner).get(reviews_url(review.workload)).json()
    assert body["count"] == 1
    assert body["results"][0]["counts"] == {
        "high": 1,
        "medium": 0,
        "none": 0,
        "not_applicable": 0,
        "unanswered": 10,
    }


def test_the_review_list_query_count_does_not_grow(
    api, owner, admin_user, review, django_assert_num_queries, django_assert_max_num_queries
):
    as_user(api, owner)
    url = reviews_url(review.workload)
    api.get(url)
    with django_assert_max_num_queries(4) as few:  # token, workload, role, reviews with their counts
        api.get(url)
    # A second review needs a second lens: reviews are one per lens.
    lens_version, _ = lens_import(text=json.dumps(CUSTOM_LENS_DOCUMENT), actor=admin_user)
    review_start(workload=review.workload, actor=owner, lens=lens_version.lens)
    with django_assert_num_queries(len(few.captured_queries)):
        assert api.get(url).json()["count"] == 2


def test_it_shows_each_question_with_its_risk(api, viewer, owner, review):
    question = Question.objects.get(lens_version=review.lens_version, code="SEC1")
    selected = [f"SEC01-BP0{n}" for n in range(1, 8)]  # all but the Low BP08
    answer_record(review=review, question=question, actor=owner, base_version=1, selected=selected)
    response = as_user(api, viewer).get(reverse("api_review_detail", kwargs={"review_id": review.pk}))
    assert response.status_code == 200
    body = response.json()
    assert len(body["questions"]) == 11
    first = body["questions"][0]
    assert first | {"title": None, "area": None} == {
        "code": "SEC1",
        "title": None,
        "area": None,
        "risk": "NONE",
        "answered": True,
        "not_applicable": False,
        "missing": ["SEC01-BP08"],
    }
    assert body["counts"]["none"] == 1 and body["counts"]["unanswered"] == 10
    assert body["percent_done"] == 9
    assert sum(area["counts"]["unanswered"] for area in body["areas"]) == 10
