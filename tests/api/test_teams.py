"""GET /api/v1/teams/: the teams a user may see, with their role; a team's members."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.services import team_create

from .conftest import as_user

pytestmark = pytest.mark.django_db


def test_it_lists_my_teams_with_my_role(api, owner, team, outsider):
    response = as_user(api, owner).get(reverse("api_team_list"))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"][0] | {"id": None, "created_at": None} == {
        "id": None,
        "name": "Payments",
        "description": "",
        "my_role": "OWNER",
        "created_at": None,
    }


def test_a_security_lead_sees_every_team_without_a_role(api, lead, team, outsider):
    rows = as_user(api, lead).get(reverse("api_team_list")).json()["results"]
    assert [(row["name"], row["my_role"]) for row in rows] == [("Elsewhere", None), ("Payments", None)]


def test_it_filters_and_orders_teams(api, admin_user, owner):
    for name in ("Alpha", "Beta", "Gamma"):
        team_create(name=name, actor=owner)
    as_user(api, admin_user)
    rows = api.get(reverse("api_team_list"), {"ordering": "-name"}).json()["results"]
    assert [row["name"] for row in rows] == ["Gamma", "Beta", "Alpha"]
    rows = api.get(reverse("api_team_list"), {"q": "et"}).json()["results"]
    assert [row["name"] for row in rows] == ["Beta"]


def test_it_refuses_ordering_by_an_unlisted_field(api, owner, team):
    response = as_user(api, owner).get(reverse("api_team_list"), {"ordering": "memberships__user__password"})
    assert response.status_code == 400
    assert "ordering" in response.json()


def test_it_pages_the_list(api, admin_user, owner):
    for index in range(5):
        team_create(name=f"Team {index}", actor=owner)
    body = as_user(api, admin_user).get(reverse("api_team_list"), {"page_size": 2, "page": 2}).json()
    assert body["count"] == 5
    assert len(body["results"]) == 2
    assert body["next"] and body["previous"]


def test_the_list_query_count_does_not_grow_with_teams(
    api, admin_user, owner, django_assert_num_queries, django_assert_max_num_queries
):
    as_user(api, admin_user)
    team_create(name="First", actor=owner)
    api.get(reverse("api_team_list"))
    with django_assert_max_num_queries(3) as few:  # token, count, page (token use is audited once a minute)
        api.get(reverse("api_team_list"))
    for index in range(10):
        team_create(name=f"Team {index}", actor=owner)
    with django_assert_num_queries(len(few.captured_queries)):
        api.get(reverse("api_team_list"))


def test_it_shows_a_team_with_its_members(api, viewer, team):
    response = as_user(api, viewer).get(reverse("api_team_detail", kwargs={"team_id": team.pk}))
    assert response.status_code == 200
    body = response.json()
    assert body["my_role"] == "VIEWER"
    assert [(m["username"], m["role"]) for m in body["members"]] == [
        ("olivia_owner", "OWNER"),
        ("vera_viewer", "VIEWER"),
    ]


def test_an_outsider_gets_404_for_a_team(api, outsider, team):
    response = as_user(api, outsider).get(reverse("api_team_detail", kwargs={"team_id": team.pk}))
    assert response.status_code == 404
