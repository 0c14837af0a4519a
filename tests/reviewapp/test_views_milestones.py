"""Milestone pages: the list with its risk trend, saving, reading and comparing, and who may do what."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviewapp.models import Answer, Milestone
from reviewapp.services import answer_record, milestone_create
from tests.conftest import login
from tests.tampering import disable_append_only

pytestmark = pytest.mark.django_db


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


def list_url(workload) -> str:
    return reverse("milestone_list", kwargs={"workload_id": workload.pk})


def create_url(workload) -> str:
    return reverse("milestone_create", kwargs={"workload_id": workload.pk})


def compare_url(workload) -> str:
    return reverse("milestone_compare", kwargs={"workload_id": workload.pk})


def detail_url(milestone) -> str:
    return reverse(
        "milestone_detail", kwargs={"workload_id": milestone.workload_id, "milestone_id": milestone.pk}
    )


def test_saving_a_milestone_leads_to_its_page(client, owner, review):
    record(review, owner, "SEC1", none_of_these=True)
    response = login(client, owner).post(create_url(review.workload), {"name": "Spring review"})
    milestone = Milestone.objects.get(workload=review.workload)
    assert response.status_code == 302 and response["Location"] == detail_url(milestone)
    page = client.get(detail_url(milestone))
    assert page.status_code == 200
    assert b"Fingerprint verified" in page.content and milestone.sha256.encode() in page.content
    assert b"None of these" in page.content


def test_a_taken_name_is_refused_with_the_reason(client, owner, review):
    milestone_create(review=review, actor=owner, name="Spring review")
    response = login(client, owner).post(create_url(review.workload), {"name": "SPRING REVIEW"})
    assert response.status_code == 400
    assert b"already has a milestone called" in response.content
    assert Milestone.objects.count() == 1


def test_viewers_read_milestones_but_cannot_save_one(client, owner, viewer, review):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    login(client, viewer)
    assert client.get(list_url(review.workload)).status_code == 200
    assert client.get(detail_url(milestone)).status_code == 200
    assert client.post(create_url(review.workload), {"name": "Mine"}).status_code == 403
    assert b"Save milestone" not in client.get(list_url(review.workload)).content


def test_the_list_charts_the_risk_trend_and_its_queries_do_not_grow(client, owner, review):
    login(client, owner)
    milestone_create(review=review, actor=owner, name="Round 1")
    with CaptureQueriesContext(connection) as one:
        client.get(list_url(review.workload))
    record(review, owner, "SEC1", none_of_these=True)
    for n in range(2, 12):
        milestone_create(review=review, actor=owner, name=f"Round {n}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(list_url(review.workload))
    assert len(many) == len(one)
    assert response.content.count(b"<svg") == 1 and b"Round 11" in response.content
    assert b' style="' not in response.content
    assert response.context["points"][-1] == ("Now", 1, 0)


def test_a_tampered_milestone_is_flagged(client, owner, review):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    disable_append_only("reviewapp_milestone")
    Milestone.objects.filter(pk=milestone.pk).update(
        snapshot={**milestone.snapshot, "counts": {**milestone.snapshot["counts"], "high": 5}}
    )
    response = login(client, owner).get(detail_url(milestone))
    assert b"Fingerprint mismatch" in response.content


def test_compare_a_milestone_with_now_and_two_milestones(client, owner, review):
    record(review, owner, "SEC4", none_of_these=True)
    january = milestone_create(review=review, actor=owner, name="January")
    record(review, owner, "SEC4", selected=["SEC04-BP01", "SEC04-BP02", "SEC04-BP03", "SEC04-BP04"])
    june = milestone_create(review=review, actor=owner, name="June")
    login(client, owner)

    default = client.get(compare_url(review.workload))
    assert default.status_code == 200
    assert (default.context["a"], default.context["b"]) == (str(june.pk), "now")

    response = client.get(compare_url(review.workload), {"a": str(january.pk), "b": str(june.pk)})
    comparison = response.context["comparison"]
    [sec4] = comparison.changed_questions
    assert (sec4.code, sec4.risk_before, sec4.risk_after) == ("SEC4", "HIGH", "NONE")
    assert len(comparison.items_closed) == 4
    assert b"SEC04-BP01" in response.content

    reverse_order = client.get(compare_url(review.workload), {"a": "now", "b": str(january.pk)})
    assert len(reverse_order.context["comparison"].items_opened) == 4


def test_compare_explains_bad_choices(client, owner, outsider, review):
    login(client, owner)
    empty = client.get(compare_url(review.workload))
    assert empty.status_code == 200 and b"Save a milestone first" in empty.content
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    same = client.get(compare_url(review.workload), {"a": str(milestone.pk), "b": str(milestone.pk)})
    assert same.status_code == 400
    assert client.get(compare_url(review.workload), {"a": "not-a-uuid", "b": "now"}).status_code == 404
    assert login(client, outsider).get(detail_url(milestone)).status_code == 404
