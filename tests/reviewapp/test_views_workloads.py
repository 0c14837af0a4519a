"""Workload pages: list (search, filters, risk, query counts), create, edit, archive, and who may do what."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from reviewapp.models import Answer, AuditEvent, Review, Workload
from reviewapp.services import review_start, workload_create
from tests.conftest import login

pytestmark = pytest.mark.django_db

LIST = reverse("workload_list")
CREATE = reverse("workload_create")


def fields(**overrides) -> dict:
    data = {
        "name": "Ledger service",
        "description": "Keeps the books for every shop.",
        "environment": "PRODUCTION",
        "review_owner": "olivia@example.test",
        "aws_regions": ["eu-west-1", "us-east-1"],
        "other_locations": "Frankfurt data centre",
        "account_ids": "111122223333\n444455556666",
        "architecture_url": "https://wiki.example.test/ledger",
        "industry": "Financial services",
        "notes": "Card data never leaves the vault.",
        "tags": "cost-centre=1234\nowner=finance",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def make(team, actor, name: str, **extra) -> Workload:
    values = {
        "description": f"{name} description",
        "environment": "PRODUCTION",
        "review_owner": "someone@example.test",
        "aws_regions": ["eu-west-1"],
    }
    values.update(extra)
    return workload_create(team=team, actor=actor, name=name, **values)


def set_risks(review: Review, *risks: str) -> None:
    """Give the first questions of `review` these stored risks (the rest stay UNANSWERED)."""
    answers = list(Answer.objects.filter(review=review).order_by("question__order"))
    for answer, risk in zip(answers, risks, strict=False):
        answer.risk = risk
        answer.save(update_fields=["risk"])


def names_in(response) -> list[str]:
    return [row.name for row in response.context["page"].object_list]


# --- Create ---


def test_it_creates_a_workload_from_the_form(client, owner, team):
    login(client, owner)
    response = client.post(CREATE, fields(team=team.pk))
    workload = Workload.objects.get(name="Ledger service")
    assert response.status_code == 302
    assert response["Location"] == reverse("workload_detail", kwargs={"workload_id": workload.pk})
    assert workload.team == team
    assert workload.created_by == owner
    assert workload.aws_regions == ["eu-west-1", "us-east-1"]
    assert workload.account_ids == ["111122223333", "444455556666"]
    assert workload.tags == {"cost-centre": "1234", "owner": "finance"}
    assert workload.industry == "Financial services"
    assert workload.architecture_url == "https://wiki.example.test/ledger"


def test_it_audits_the_creation(client, owner, team):
    login(client, owner)
    client.post(CREATE, fields(team=team.pk))
    workload = Workload.objects.get(name="Ledger service")
    event = AuditEvent.objects.get(action="workload.create", workload_id=workload.pk)
    assert event.actor == owner
    assert event.after["account_ids"] == ["111122223333", "444455556666"]


def test_it_offers_only_teams_the_user_may_write_to(client, contributor, team, outsider):
    login(client, contributor)
    response = client.get(CREATE)
    assert response.status_code == 200
    assert list(response.context["form"].fields["team"].queryset) == [team]
    # The only team is preselected, so a one-team user never has to pick it.
    assert response.context["form"]["team"].value() == team.pk


def test_it_refuses_a_team_the_user_cannot_write_to(client, owner, team, outsider):
    elsewhere = outsider.memberships.get().team
    login(client, owner)
    response = client.post(CREATE, fields(team=elsewhere.pk))
    assert response.status_code == 400
    assert "Choose one of the teams you may add workloads to." in response.context["form"].errors["team"]
    assert not Workload.objects.filter(name="Ledger service").exists()


def test_it_explains_why_a_viewer_cannot_create(client, viewer):
    login(client, viewer)
    response = client.get(CREATE)
    assert response.status_code == 403
    assert "only a team's owners and contributors" in unescape(response.content.decode())
    assert client.post(CREATE, fields()).status_code == 403


def test_a_contributor_can_create(client, contributor, team):
    login(client, contributor)
    assert client.post(CREATE, fields(team=team.pk)).status_code == 302
    assert Workload.objects.filter(name="Ledger service", team=team).exists()


def test_it_accepts_another_location_instead_of_regions(client, owner, team):
    login(client, owner)
    response = client.post(CREATE, fields(team=team.pk, aws_regions=[], other_locations="On premises, Leeds"))
    assert response.status_code == 302
    assert Workload.objects.get(name="Ledger service").aws_regions == []


def test_it_cleans_up_account_ids(client, owner, team):
    login(client, owner)
    text = "111122223333, 444455556666\n111122223333\n\n7777-8888-9999 ,"
    client.post(CREATE, fields(team=team.pk, account_ids=text))
    assert Workload.objects.get(name="Ledger service").account_ids == [
        "111122223333",
        "444455556666",
        "777788889999",
    ]


def test_it_adds_https_to_a_link_without_a_scheme(client, owner, team):
    login(client, owner)
    client.post(CREATE, fields(team=team.pk, architecture_url="wiki.example.test/diagram"))
    assert Workload.objects.get(name="Ledger service").architecture_url == "https://wiki.example.test/diagram"


LONG_TAGS = "\n".join(f"key{n}=value" for n in range(51))
MANY_ACCOUNTS = "\n".join(f"{n:012d}" for n in range(1, 102))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": ""}, "name", "Give the workload a name."),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"name": "ab"}, "name", "at least 3 characters"),
        ({"description": "ok"}, "description", "at least 3 characters"),
        ({"review_owner": "me"}, "review_owner", "at least 3 characters"),
        ({"description": ""}, "description", "Describe the workload"),
        ({"description": "x" * 251}, "description", "at most 250 characters"),
        ({"environment": "STAGING"}, "environment", "Select a valid choice"),
        ({"environment": None}, "environment", "Choose Production or Pre-production."),
        ({"review_owner": ""}, "review_owner", "Name the person accountable"),
        ({"review_owner": "x" * 256}, "review_owner", "at most 255 characters"),
        (
            {"aws_regions": [], "other_locations": ""},
            "aws_regions",
            "Choose at least one AWS Region or enter another location.",
        ),
        ({"aws_regions": ["eu-west-9"]}, "aws_regions", "“eu-west-9” is not an AWS Region code."),
        ({"other_locations": "x" * 251}, "other_locations", "at most 250 characters"),
        ({"account_ids": "111122223333\n12345"}, "account_ids", "“12345” is not an AWS account ID"),
        ({"account_ids": "abcdefghijkl"}, "account_ids", "“abcdefghijkl” is not an AWS account ID"),
        ({"account_ids": "1111222233334"}, "account_ids", "“1111222233334” is not an AWS account ID"),
        ({"account_ids": MANY_ACCOUNTS}, "account_ids", "at most 100 AWS account IDs (you have 101)"),
        ({"architecture_url": "javascript:alert(1)"}, "architecture_url", "starts with https:// or http://"),
        (
            {"architecture_url": "ftp://files.example.test/d.png"},
            "architecture_url",
            "starts with https:// or http://",
        ),
        ({"architecture_url": "https://" + "a" * 2050 + ".test"}, "architecture_url", "at most 2048"),
        ({"industry": "Piracy"}, "industry", "Select a valid choice"),
        ({"notes": "x" * 2085}, "notes", "at most 2084 characters"),
        ({"tags": "env=prod\nnovalue"}, "tags", "Line 2: “novalue” is not key=value."),
        ({"tags": "=prod"}, "tags", "Line 1: “=prod” has no key"),
        ({"tags": "k" * 129 + "=v"}, "tags", "longer than 128 characters"),
        ({"tags": "env=" + "v" * 257}, "tags", "the value of “env” is longer than 256 characters"),
        ({"tags": "env=prod\nenv=test"}, "tags", "Line 2: the key “env” is already used on line 1."),
        ({"tags": LONG_TAGS}, "tags", "at most 50 tags (you have 51)"),
    ],
)
def test_it_explains_each_invalid_field(client, owner, team, overrides, field, message):
    login(client, owner)
    response = client.post(CREATE, fields(team=team.pk, **overrides))
    assert response.status_code == 400
    errors = response.context["form"].errors[field]
    assert any(message in error for error in errors), errors
    assert message in unescape(response.content.decode())
    assert not Workload.objects.filter(name__startswith="Ledger").exists()
    assert not AuditEvent.objects.filter(action="workload.create").exists()


def test_a_failed_submit_keeps_everything_typed(client, owner, team):
    login(client, owner)
    data = fields(
        team=team.pk, account_ids="111122223333\nnot-an-id", aws_regions=["eu-west-1", "ap-southeast-2"]
    )
    response = client.post(CREATE, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"account_ids"}
    html = response.content.decode()
    for value in (
        "Ledger service",
        "Keeps the books for every shop.",
        "olivia@example.test",
        "Frankfurt data centre",
        "111122223333\nnot-an-id",
        "https://wiki.example.test/ledger",
        "Card data never leaves the vault.",
        "cost-centre=1234\nowner=finance",
    ):
        assert value in html, value
    assert form["aws_regions"].value() == ["eu-west-1", "ap-southeast-2"]
    checked = [line for line in html.splitlines() if 'name="aws_regions"' in line and "checked" in line]
    assert len(checked) == 1 and 'value="ap-southeast-2"' in checked[0] and 'value="eu-west-1"' in checked[0]
    assert '<option value="Financial services" selected>' in html
    assert form["team"].value() == str(team.pk)
    assert "The workload was not saved" in html


def test_a_duplicate_name_is_refused_on_the_name_field_whatever_its_case(client, owner, team, workload):
    login(client, owner)
    response = client.post(CREATE, fields(team=team.pk, name="CHECKOUT api"))
    assert response.status_code == 400
    assert response.context["form"].errors["name"] == [
        "Payments already has a workload called 'CHECKOUT api'."
    ]
    assert Workload.objects.filter(team=team).count() == 1


def test_the_same_name_is_fine_in_another_team(client, admin_user, team, workload, outsider):
    elsewhere = outsider.memberships.get().team
    login(client, admin_user)
    assert client.post(CREATE, fields(team=elsewhere.pk, name="Checkout API")).status_code == 302
    assert Workload.objects.filter(name="Checkout API").values_list("team", flat=True).count() == 2
    assert Workload.objects.filter(team=elsewhere, name="Checkout API").exists()


# --- Edit ---


def test_the_edit_form_shows_the_stored_values(client, contributor, workload):
    workload.tags = {"env": "prod", "tier": "1"}
    workload.account_ids = ["111122223333", "444455556666"]
    workload.save()
    login(client, contributor)
    response = client.get(reverse("workload_edit", kwargs={"workload_id": workload.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "111122223333\n444455556666" in html
    assert "env=prod\ntier=1" in html
    assert "team" not in response.context["form"].fields


def test_a_contributor_can_edit_and_the_change_is_audited(client, contributor, workload):
    login(client, contributor)
    url = reverse("workload_edit", kwargs={"workload_id": workload.pk})
    response = client.post(url, fields(name="Checkout API v2", environment="PREPRODUCTION"))
    assert response.status_code == 302
    workload.refresh_from_db()
    assert workload.name == "Checkout API v2"
    assert workload.environment == "PREPRODUCTION"
    event = AuditEvent.objects.filter(action="workload.update", workload_id=workload.pk).get()
    assert event.actor == contributor
    assert event.before["name"] == "Checkout API"
    assert event.after["name"] == "Checkout API v2"


def test_an_invalid_edit_changes_nothing_and_keeps_what_was_typed(client, owner, workload):
    login(client, owner)
    url = reverse("workload_edit", kwargs={"workload_id": workload.pk})
    response = client.post(url, fields(name="Renamed", tags="broken line"))
    assert response.status_code == 400
    assert "Renamed" in response.content.decode()
    workload.refresh_from_db()
    assert workload.name == "Checkout API"
    assert not AuditEvent.objects.filter(action="workload.update").exists()


def test_an_edit_to_a_taken_name_lands_on_the_name_field(client, owner, team, workload):
    make(team, owner, "Billing")
    login(client, owner)
    url = reverse("workload_edit", kwargs={"workload_id": workload.pk})
    response = client.post(url, fields(name="billing"))
    assert response.status_code == 400
    assert "already has a workload called 'billing'" in response.context["form"].errors["name"][0]
    # The page heading still shows the stored name, not the refused one.
    assert response.context["workload"].name == "Checkout API"


def test_an_industry_outside_the_list_stays_selectable(client, owner, workload):
    workload.industry = "Retail"
    workload.save()
    login(client, owner)
    response = client.get(reverse("workload_edit", kwargs={"workload_id": workload.pk}))
    assert '<option value="Retail" selected>' in response.content.decode()


def test_a_viewer_cannot_edit(client, viewer, workload):
    login(client, viewer)
    url = reverse("workload_edit", kwargs={"workload_id": workload.pk})
    assert client.get(url).status_code == 403
    assert client.post(url, fields(name="Hijacked")).status_code == 403
    workload.refresh_from_db()
    assert workload.name == "Checkout API"


def test_an_outsider_gets_404_everywhere(client, outsider, workload):
    login(client, outsider)
    for name in ("workload_detail", "workload_edit"):
        assert client.get(reverse(name, kwargs={"workload_id": workload.pk})).status_code == 404
    for name in ("workload_edit", "workload_archive", "workload_unarchive"):
        assert client.post(reverse(name, kwargs={"workload_id": workload.pk}), fields()).status_code == 404


# --- Archive ---


def test_the_owner_archives_and_unarchives_with_audit(client, owner, workload):
    login(client, owner)
    response = client.post(reverse("workload_archive", kwargs={"workload_id": workload.pk}))
    assert response.status_code == 302
    workload.refresh_from_db()
    assert workload.is_archived
    client.post(reverse("workload_unarchive", kwargs={"workload_id": workload.pk}))
    workload.refresh_from_db()
    assert not workload.is_archived
    actions = list(AuditEvent.objects.filter(workload_id=workload.pk).values_list("action", flat=True))
    assert actions[-2:] == ["workload.archive", "workload.unarchive"]


def test_a_contributor_cannot_archive(client, contributor, workload):
    login(client, contributor)
    assert client.post(reverse("workload_archive", kwargs={"workload_id": workload.pk})).status_code == 403
    workload.refresh_from_db()
    assert not workload.is_archived


def test_archiving_needs_a_post(client, owner, workload):
    login(client, owner)
    assert client.get(reverse("workload_archive", kwargs={"workload_id": workload.pk})).status_code == 405


# --- Detail ---


def test_the_page_offers_to_start_a_review(client, contributor, workload):
    login(client, contributor)
    response = client.get(reverse("workload_detail", kwargs={"workload_id": workload.pk}))
    html = response.content.decode()
    assert reverse("review_start", kwargs={"workload_id": workload.pk}) in html
    assert reverse("workload_edit", kwargs={"workload_id": workload.pk}) in html
    # Archiving is for owners and administrators only.
    assert reverse("workload_archive", kwargs={"workload_id": workload.pk}) not in html


def test_the_page_links_to_an_existing_review(client, owner, workload, review):
    set_risks(review, "HIGH", "MEDIUM", "NONE", "NOT_APPLICABLE")
    login(client, owner)
    response = client.get(reverse("workload_detail", kwargs={"workload_id": workload.pk}))
    html = response.content.decode()
    assert reverse("review_overview", kwargs={"review_id": review.pk}) in html
    assert reverse("review_start", kwargs={"workload_id": workload.pk}) not in html
    row = response.context["reviews"][0]
    assert (row.answered_count, row.applicable_count, row.high_count, row.medium_count) == (3, 10, 1, 1)
    assert reverse("workload_archive", kwargs={"workload_id": workload.pk}) in html


def test_a_viewer_sees_the_page_without_write_buttons(client, viewer, workload):
    login(client, viewer)
    response = client.get(reverse("workload_detail", kwargs={"workload_id": workload.pk}))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("workload_edit", "workload_archive"):
        assert reverse(name, kwargs={"workload_id": workload.pk}) not in html
    assert reverse("review_start", kwargs={"workload_id": workload.pk}) not in html


def test_user_text_is_escaped(client, owner, team):
    make(team, owner, "<script>alert(1)</script>", tags={"<b>k</b>": "<i>v</i>"})
    login(client, owner)
    html = client.get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    detail = client.get(
        reverse("workload_detail", kwargs={"workload_id": Workload.objects.get(team=team).pk})
    ).content.decode()
    assert "<b>k</b>" not in detail and "&lt;b&gt;k&lt;/b&gt;" in detail


# --- List: search, filters, risk ---


@pytest.fixture
def catalogue(owner, team, outsider, admin_user):
    """Workloads in two teams with different environments, tags, archive states and risks."""
    elsewhere = outsider.memberships.get().team
    checkout = make(team, owner, "Checkout", description="Takes card payments", tags={"env": "prod"})
    search = make(team, owner, "Search", environment="PREPRODUCTION", tags={"env": "staging", "tier": "gold"})
    legacy = make(team, owner, "Legacy billing", description="Old invoices")
    legacy.is_archived = True
    legacy.save()
    hidden = make(elsewhere, outsider, "Other team's secret")
    set_risks(review_start(workload=checkout, actor=owner), "HIGH", "MEDIUM", "NONE")
    set_risks(review_start(workload=search, actor=owner), "MEDIUM", "NONE")
    return {"checkout": checkout, "search": search, "legacy": legacy, "hidden": hidden}


def test_the_list_shows_only_visible_active_workloads(client, owner, catalogue):
    login(client, owner)
    assert names_in(client.get(LIST)) == ["Checkout", "Search"]


def test_archived_workloads_show_on_request(client, owner, catalogue):
    login(client, owner)
    assert names_in(client.get(LIST, {"archived": "on"})) == ["Checkout", "Legacy billing", "Search"]


def test_an_admin_sees_every_team(client, admin_user, catalogue):
    login(client, admin_user)
    assert names_in(client.get(LIST)) == ["Checkout", "Other team's secret", "Search"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "check"}, ["Checkout"]),
        ({"q": "card payments"}, ["Checkout"]),
        ({"q": "staging"}, ["Search"]),
        ({"q": "gold"}, ["Search"]),
        ({"q": "env=prod"}, ["Checkout"]),
        ({"q": "env=STAGING"}, ["Search"]),
        ({"q": "ENV=staging"}, []),
        ({"q": "nothing-like-this"}, []),
        ({"q": "secret"}, []),
        ({"environment": "PREPRODUCTION"}, ["Search"]),
        ({"environment": "PRODUCTION"}, ["Checkout"]),
        ({"risk": "HIGH"}, ["Checkout"]),
        ({"risk": "MEDIUM"}, ["Search"]),
        ({"risk": "NONE"}, []),
        ({"risk": "UNANSWERED", "archived": "on"}, ["Legacy billing"]),
        ({"risk": "bogus"}, ["Checkout", "Search"]),
        ({"sort": "risk"}, ["Checkout", "Search"]),
    ],
)
def test_search_and_filters_narrow_the_list(client, owner, catalogue, query, expected):
    login(client, owner)
    assert names_in(client.get(LIST, query)) == expected


def test_the_team_filter(client, admin_user, owner, team, catalogue):
    login(client, admin_user)
    elsewhere = catalogue["hidden"].team
    assert names_in(client.get(LIST, {"team": str(elsewhere.pk)})) == ["Other team's secret"]
    assert names_in(client.get(LIST, {"team": str(team.pk)})) == ["Checkout", "Search"]


def test_a_team_filter_cannot_reveal_another_teams_workloads(client, owner, catalogue):
    login(client, owner)
    assert names_in(client.get(LIST, {"team": str(catalogue["hidden"].team_id)})) == ["Checkout", "Search"]


def test_each_row_carries_progress_and_risk_counts(client, owner, catalogue):
    login(client, owner)
    rows = {row.name: row for row in client.get(LIST).context["page"].object_list}
    checkout = rows["Checkout"]
    assert (checkout.worst_risk, checkout.high_count, checkout.medium_count) == ("HIGH", 1, 1)
    assert (checkout.answered_count, checkout.applicable_count) == (3, 11)
    assert (rows["Search"].worst_risk, rows["Search"].answered_count) == ("MEDIUM", 2)


def test_the_list_paginates_by_fifty(client, owner, team):
    Workload.objects.bulk_create(
        Workload(
            team=team, name=f"Workload {n:02d}", description="d", environment="PRODUCTION", review_owner="o"
        )
        for n in range(55)
    )
    login(client, owner)
    first = client.get(LIST)
    assert len(names_in(first)) == 50
    assert 'href="?page=2"' in first.content.decode()
    assert names_in(client.get(LIST, {"page": 2})) == [f"Workload {n}" for n in range(50, 55)]
    assert len(names_in(client.get(LIST, {"page": "nonsense"}))) == 50


def _populate(team, owner, count: int) -> None:
    for n in range(count):
        workload = make(team, owner, f"Workload {n:02d}", tags={"n": str(n)})
        set_risks(review_start(workload=workload, actor=owner), "HIGH", "MEDIUM", "NONE", "NOT_APPLICABLE")


LIST_QUERIES = 5  # session, user, teams for the filter, count, one page of rows


@pytest.mark.parametrize("count", [3, 30])
def test_the_list_runs_a_constant_number_of_queries(client, owner, team, django_assert_num_queries, count):
    _populate(team, owner, count)
    login(client, owner)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(LIST, {"q": "workload", "risk": "HIGH", "sort": "risk"})
    assert len(response.context["page"].object_list) == count
    with django_assert_num_queries(LIST_QUERIES):
        client.get(LIST)


def test_the_detail_page_runs_a_constant_number_of_queries(client, owner, team, django_assert_num_queries):
    workload = make(team, owner, "Detail")
    set_risks(review_start(workload=workload, actor=owner), "HIGH", "MEDIUM")
    login(client, owner)
    url = reverse("workload_detail", kwargs={"workload_id": workload.pk})
    # session, user, workload, the user's role, reviews with counts, created_by, recent activity
    with django_assert_num_queries(7):
        client.get(url)
