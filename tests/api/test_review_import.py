"""/api/v1/teams/<id>/review-import/: a review JSON document becomes a new workload of the team."""

from __future__ import annotations

import copy

import pytest
from django.urls import reverse

from reviewapp.models import Workload
from reviewapp.reports.review_json import export_review_json
from reviewapp.services import team_create
from tests.reviewapp.reports_world import fill_review

from .conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def document(review, owner):
    fill_review(review, owner)
    return export_review_json(review)


@pytest.fixture
def platform(owner):
    return team_create(name="Platform", actor=owner)


def url(team) -> str:
    return reverse("api_team_review_import", kwargs={"team_id": team.pk})


def test_an_owner_imports_a_review_into_their_team(api, owner, document, platform):
    response = as_user(api, owner).post(url(platform) + "?name=Checkout copy", document, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    workload = Workload.objects.get(pk=body["workload"])
    assert (workload.name, workload.team) == ("Checkout copy", platform)
    assert body["answers"] == 10 and body["items"] == 2
    assert any("imported as a request" in warning for warning in body["warnings"])


def test_a_broken_document_lists_every_problem_and_writes_nothing(api, owner, document, platform):
    broken = copy.deepcopy(document)
    broken["answers"][0]["selected"] = ["SEC99-BP99"]
    broken["improvement_items"][0]["status"] = "WONT_FIX"
    before = Workload.objects.count()
    response = as_user(api, owner).post(url(platform), broken, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "nothing was written" in body["detail"] and len(body["problems"]) == 2
    assert any("$.improvement_items[0].status" in problem for problem in body["problems"])
    assert Workload.objects.count() == before


def test_only_people_who_may_create_workloads_in_the_team_import(api, viewer, outsider, document, team):
    assert as_user(api, viewer).post(url(team), document, format="json").status_code == 403
    assert as_user(api, outsider).post(url(team), document, format="json").status_code == 404
