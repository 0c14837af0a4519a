"""/api/v1/workloads/<id>/milestones/ and /api/v1/milestones/<id>/: save, list, read and compare."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questionnaire.models import Question
from reviewapp.models import AuditEvent, Milestone
from reviewapp.services import answer_record
from reviewapp.services.milestones import milestone_create
from tests.tampering import disable_append_only

from .conftest import as_user

pytestmark = pytest.mark.django_db


def list_url(workload) -> str:
    return reverse("api_milestone_list", kwargs={"workload_id": workload.pk})


def answer(review, owner, base: int = 1, **values):
    question = Question.objects.get(lens_version=review.lens_version, code="SEC1")
    return answer_record(review=review, question=question, actor=owner, base_version=base, **values)


def test_it_saves_a_milestone_of_the_only_review(api, contributor, review):
    response = as_user(api, contributor).post(list_url(review.workload), {"name": "Baseline"}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Baseline" and body["review"] == str(review.pk)
    assert body["counts"]["unanswered"] == 11
    milestone = Milestone.objects.get(pk=body["id"])
    assert body["sha256"] == milestone.sha256
    assert AuditEvent.objects.filter(action="milestone.create", object_id=str(milestone.pk)).exists()


def test_it_gives_field_messages(api, owner, review, workload):
    as_user(api, owner)
    milestone_create(review=review, actor=owner, name="Baseline")
    response = api.post(list_url(workload), {"name": "baseline"}, format="json")
    assert response.status_code == 400 and "already has a milestone" in response.json()["name"][0]
    response = api.post(list_url(workload), {"name": "x", "review": "1a2b"}, format="json")
    assert response.status_code == 400 and "review" in response.json()
    assert api.post(list_url(workload), {}, format="json").json().keys() == {"name"}


def test_it_needs_a_review_to_freeze(api, owner, workload):
    response = as_user(api, owner).post(list_url(workload), {"name": "Too early"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"review": ["The workload has no review yet."]}


def test_a_viewer_cannot_save_a_milestone(api, viewer, review):
    response = as_user(api, viewer).post(list_url(review.workload), {"name": "Nope"}, format="json")
    assert response.status_code == 403
    assert not Milestone.objects.exists()


def test_an_outsider_gets_404(api, owner, outsider, review):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    as_user(api, outsider)
    assert api.get(list_url(review.workload)).status_code == 404
    assert api.post(list_url(review.workload), {"name": "x"}, format="json").status_code == 404
    assert api.get(reverse("api_milestone_detail", kwargs={"milestone_id": milestone.pk})).status_code == 404
    assert api.get(reverse("api_milestone_compare", kwargs={"milestone_id": milestone.pk})).status_code == 404


def test_it_lists_milestones_with_counts_in_fixed_queries(
    api, owner, review, django_assert_num_queries, django_assert_max_num_queries
):
    milestone_create(review=review, actor=owner, name="First")
    as_user(api, owner)
    api.get(list_url(review.workload))
    with django_assert_max_num_queries(4) as few:  # token, workload, role, milestones (counts from JSON)
        api.get(list_url(review.workload))
    baseline = len(few.captured_queries)
    for index in range(5):
        milestone_create(review=review, actor=owner, name=f"Sprint {index}")
    with django_assert_num_queries(baseline):
        body = api.get(list_url(review.workload), {"ordering": "-created_at"}).json()
    assert body["count"] == 6 and body["results"][0]["name"] == "Sprint 4"


def test_it_shows_a_milestone_with_its_verified_snapshot(api, viewer, owner, review):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    body = (
        as_user(api, viewer)
        .get(reverse("api_milestone_detail", kwargs={"milestone_id": milestone.pk}))
        .json()
    )
    assert body["verified"] is True
    assert body["snapshot"]["name"] == "Baseline"
    disable_append_only("reviewapp_milestone")
    Milestone.objects.filter(pk=milestone.pk).update(name="Renamed behind our back")
    body = api.get(reverse("api_milestone_detail", kwargs={"milestone_id": milestone.pk})).json()
    assert body["verified"] is False


def test_it_compares_a_milestone_with_now_and_with_another(api, owner, review):
    before = milestone_create(review=review, actor=owner, name="Before")
    answer(review, owner, none_of_these=True)
    after = milestone_create(review=review, actor=owner, name="After")
    as_user(api, owner)
    url = reverse("api_milestone_compare", kwargs={"milestone_id": before.pk})
    for params in ({}, {"to": str(after.pk)}):
        body = api.get(url, params).json()
        sec1 = next(question for question in body["questions"] if question["code"] == "SEC1")
        assert (sec1["risk_before"], sec1["risk_after"], sec1["changed"]) == ("UNANSWERED", "HIGH", True)
        assert body["counts_after"]["high"] == 1
        assert len(body["items_opened"]) == 8
    assert body["after_name"] == "After"


def test_comparing_with_something_else_is_400(api, owner, outsider, review):
    milestone = milestone_create(review=review, actor=owner, name="Before")
    as_user(api, owner)
    url = reverse("api_milestone_compare", kwargs={"milestone_id": milestone.pk})
    assert api.get(url, {"to": "yesterday"}).status_code == 400
    assert api.get(url, {"to": "00000000-0000-0000-0000-000000000000"}).json().keys() == {"to"}
