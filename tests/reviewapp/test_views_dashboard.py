"""The dashboard, "my items" and the plan export across workloads: what each user sees, filters and
query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reviewapp.models import Answer, ImprovementItem
from reviewapp.services import review_start, team_create, workload_create
from tests.conftest import login

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DASHBOARD = reverse("dashboard")
MY_ITEMS = reverse("my_items")


def make(team, actor, name, environment="PRODUCTION", with_items=True):
    workload = workload_create(
        team=team,
        actor=actor,
        name=name,
        description=f"{name}.",
        environment=environment,
        review_owner="someone@example.test",
        aws_regions=["eu-west-1"],
    )
    review = review_start(workload=workload, actor=actor)
    Answer.objects.filter(review=review, question__code="SEC1").update(risk="HIGH")
    if with_items:
        ImprovementItem.objects.bulk_create(
            [
                ImprovementItem(
                    workload=workload,
                    lens=review.lens,
                    bp_code="SEC01-BP02",
                    level="HIGH",
                    owner=actor,
                    due_date=TODAY,
                ),
                ImprovementItem(
                    workload=workload, lens=review.lens, bp_code="SEC01-BP05", level="MEDIUM", notes="=1+1"
                ),
            ]
        )
    return workload


def names(response) -> list[str]:
    return [row.workload.name for row in response.context["rows"]]


def test_a_lead_sees_every_workload_and_a_member_only_their_teams(client, owner, outsider, lead, workload):
    platform = team_create(name="Platform", actor=outsider)
    make(platform, outsider, "Ledger")
    # Ordered by team, then workload: Payments before Platform.
    assert names(login(client, lead).get(DASHBOARD)) == ["Checkout API", "Ledger"]
    assert names(login(client, owner).get(DASHBOARD)) == ["Checkout API"]
    assert names(login(client, outsider).get(DASHBOARD)) == ["Ledger"]


def test_the_filters_narrow_the_rows(client, owner, lead, team, workload, review):
    platform = team_create(name="Platform", actor=owner)
    make(platform, owner, "Ledger", environment="PREPRODUCTION")
    make(team, owner, "Search", with_items=False)
    login(client, lead)
    assert names(client.get(DASHBOARD, {"team": str(platform.pk)})) == ["Ledger"]
    assert names(client.get(DASHBOARD, {"environment": "PREPRODUCTION"})) == ["Ledger"]
    assert sorted(names(client.get(DASHBOARD, {"risk": "HIGH"}))) == ["Ledger", "Search"]
    assert names(client.get(DASHBOARD, {"risk": "UNANSWERED"})) == ["Checkout API"]
    assert names(client.get(DASHBOARD, {"owner": str(owner.pk)})) == ["Ledger"]
    bad = client.get(DASHBOARD, {"team": "not-a-team"})
    assert bad.status_code == 200 and b"Select a valid choice" in bad.content


@pytest.mark.parametrize("count", [3, 50])
def test_the_dashboard_query_count_does_not_depend_on_the_workload_count(client, owner, lead, count):
    team = team_create(name="Platform", actor=owner)
    login(client, lead)
    make(team, owner, "Only one")
    client.get(DASHBOARD)
    with CaptureQueriesContext(connection) as one:
        client.get(DASHBOARD)
    for n in range(count - 1):
        make(team, owner, f"Service {n:02}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(DASHBOARD)
    assert len(response.context["rows"]) == count
    assert len(many) == len(one)
    assert response.context["totals"].overdue == 0 and response.context["totals"].open_high == count


def test_the_dashboard_counts_overdue_and_expiring_items(client, owner, lead, team):
    workload = make(team, owner, "Ledger")
    ImprovementItem.objects.filter(workload=workload, bp_code="SEC01-BP02").update(
        due_date=TODAY - timedelta(days=3)
    )
    ImprovementItem.objects.filter(workload=workload, bp_code="SEC01-BP05").update(
        status="RISK_ACCEPTED",
        acceptance_justification="ok",
        acceptance_expires_on=TODAY + timedelta(days=10),
    )
    [row] = login(client, lead).get(DASHBOARD).context["rows"]
    assert (row.overdue, row.expiring, row.open_by_level["HIGH"], row.open_by_level["MEDIUM"]) == (1, 1, 1, 0)


def test_my_items_lists_what_i_own(client, owner, contributor, team):
    workload = make(team, owner, "Ledger")
    ImprovementItem.objects.filter(workload=workload, bp_code="SEC01-BP05").update(owner=contributor)
    response = login(client, contributor).get(MY_ITEMS)
    assert [row.item.bp_code for row in response.context["rows"]] == ["SEC01-BP05"]
    assert b"Ledger" in response.content and b' style="' not in response.content
    owner_page = login(client, owner).get(MY_ITEMS)
    assert [row.item.bp_code for row in owner_page.context["rows"]] == ["SEC01-BP02"]
    assert owner_page.context["overdue"] == 0


def test_the_navigation_links_to_the_dashboard_and_my_items(client, owner):
    response = login(client, owner).get(DASHBOARD)
    assert (
        f'href="{DASHBOARD}"'.encode() in response.content
        and f'href="{MY_ITEMS}"'.encode() in response.content
    )


def test_the_export_across_workloads_holds_only_visible_filtered_plans(client, owner, outsider, lead, team):
    make(team, owner, "Ledger")
    make(team, owner, "Search", environment="PREPRODUCTION")
    make(team_create(name="Platform", actor=outsider), outsider, "Hidden")
    login(client, owner)
    response = client.get(reverse("plan_export", kwargs={"fmt": "csv"}))
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    assert sorted({row["Workload"] for row in rows}) == ["Ledger", "Search"]
    assert len(rows) == 4 and {row["Notes"] for row in rows} == {"", "'=1+1"}
    filtered = client.get(reverse("plan_export", kwargs={"fmt": "xlsx"}), {"environment": "PREPRODUCTION"})
    sheet = load_workbook(io.BytesIO(filtered.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert {row[0] for row in values} == {"Search"} and len(values) == 2
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    everything = login(client, lead).get(reverse("plan_export", kwargs={"fmt": "csv"}))
    assert b"Hidden" in everything.getvalue()
    assert client.get(reverse("plan_export", kwargs={"fmt": "json"})).status_code == 404


def test_the_table_is_paged_but_the_totals_count_every_workload(client, owner, lead, team, monkeypatch):
    monkeypatch.setattr("reviewapp.views.dashboard.DASHBOARD_PAGE_SIZE", 2)
    for name in ["Alpha", "Bravo", "Charlie"]:
        make(team, owner, name)
    first = login(client, lead).get(DASHBOARD, {"environment": "PRODUCTION"})
    assert names(first) == ["Alpha", "Bravo"]
    assert first.context["totals"].workloads == 3
    page = first.content.decode()
    assert "Workloads 1–2 of 3" in page and "environment=PRODUCTION&amp;page=2" in page
    assert names(client.get(DASHBOARD, {"environment": "PRODUCTION", "page": 2})) == ["Charlie"]


def test_every_column_sorts_on_the_server_with_a_stable_order(client, owner, lead, team, workload):
    make(team, owner, "Ledger")
    make(team, owner, "Search", with_items=False)
    login(client, lead)
    assert names(client.get(DASHBOARD, {"sort": "name"})) == ["Checkout API", "Ledger", "Search"]
    assert names(client.get(DASHBOARD, {"sort": "-name"})) == ["Search", "Ledger", "Checkout API"]
    # Ties (Checkout API and Search have no open items) keep the name order whichever way the column goes.
    assert names(client.get(DASHBOARD, {"sort": "-open"})) == ["Ledger", "Checkout API", "Search"]
    assert names(client.get(DASHBOARD, {"sort": "open"})) == ["Checkout API", "Search", "Ledger"]
    assert names(client.get(DASHBOARD, {"sort": "-risk"}))[-1] == "Checkout API"  # unanswered below HIGH
    for column in ("team", "environment", "progress", "high", "medium", "open_high", "overdue", "expiring"):
        assert sorted(names(client.get(DASHBOARD, {"sort": column}))) == ["Checkout API", "Ledger", "Search"]
    # An unknown column falls back to the default order rather than failing.
    assert client.get(DASHBOARD, {"sort": "password"}).status_code == 200


def test_sort_links_keep_the_filters_and_a_second_click_reverses(client, owner, lead, team, workload):
    make(team, owner, "Ledger")
    response = login(client, lead).get(DASHBOARD, {"sort": "name", "environment": "PRODUCTION", "page": "1"})
    links = response.context["sort_links"]
    assert links["name"]["state"] == "ascending" and "sort=-name" in links["name"]["query"]
    assert "environment=PRODUCTION" in links["high"]["query"] and "page=" not in links["high"]["query"]
    assert 'aria-sort="ascending"' in response.content.decode()


def test_the_portfolio_charts_and_oldest_high_items_show(client, owner, lead, team, workload):
    make(team, owner, "Ledger")
    body = login(client, lead).get(DASHBOARD).content.decode()
    assert "Question risk by area" in body and "<svg" in body
    assert "High-risk questions over time" in body
    assert "Oldest open high-level items" in body and "SEC01-BP02" in body


def test_the_totals_api_matches_the_page_and_shows_outsiders_nothing(
    client, owner, lead, outsider, team, workload
):
    from rest_framework.test import APIClient

    from tests.api.conftest import as_user

    make(team, owner, "Ledger")
    page_totals = login(client, lead).get(DASHBOARD).context["totals"]
    body = as_user(APIClient(), lead).get(reverse("api_dashboard_totals")).json()
    assert body["workloads"] == page_totals.workloads == 2
    assert body["open_high"] == page_totals.open_high == 1 and body["questions"]["high"] == 1
    assert {area["area"] for area in body["by_area"]}
    assert as_user(APIClient(), outsider).get(reverse("api_dashboard_totals")).json()["workloads"] == 0
    assert (
        as_user(APIClient(), lead).get(reverse("api_dashboard_totals"), {"risk": "LOST"}).status_code == 400
    )
