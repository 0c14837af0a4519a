"""The consolidated report's page and API, and saved dashboard filters: asking, progress, download, who may
open a report, bad input refused with nothing written, and pinned query counts."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from reviewapp.models import AuditEvent, ReportJob, SavedFilter
from reviewapp.services import team_create
from tests.api.conftest import as_user
from tests.conftest import login

from .reports_world import fill_review, pdf_text

pytestmark = pytest.mark.django_db

PAGE = reverse("portfolio_reports")
LIST = reverse("portfolio_report_jobs")
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def download(job) -> str:
    return reverse("portfolio_report_download", kwargs={"job_id": job.pk})


def ask(client, capture, **data):
    with capture(execute=True):
        return client.post(PAGE, {"format": "pdf"} | data)


def test_asking_renders_the_report_in_the_background_and_only_the_requester_downloads_it(
    client, owner, contributor, admin_user, review, django_capture_on_commit_callbacks
):
    fill_review(review, owner)
    response = ask(login(client, owner), django_capture_on_commit_callbacks, environment="PRODUCTION")
    assert response.status_code == 302
    job = ReportJob.objects.get(kind="consolidated")
    assert (job.state, job.progress, job.created_by, job.review) == ("DONE", 100, owner, None)
    assert job.scope["label"] == "Production" and job.scope["filters"] == {"environment": "PRODUCTION"}
    assert AuditEvent.objects.filter(action="report.request", object_id=str(job.pk)).exists()
    listing = client.get(LIST).content.decode()
    assert "Production" in listing and download(job) in listing
    pdf = client.get(download(job))
    assert pdf["Content-Disposition"].startswith('attachment; filename="portfolio-security-report-')
    assert "Checkout API" in pdf_text(pdf.content)
    # A teammate who sees the same workloads still cannot open someone else's report; an admin can.
    assert login(client, contributor).get(download(job)).status_code == 404
    assert "Production" not in client.get(LIST).content.decode()
    assert login(client, admin_user).get(download(job)).status_code == 200


def test_the_workbook_can_be_asked_for(client, owner, review, django_capture_on_commit_callbacks):
    fill_review(review, owner)
    ask(login(client, owner), django_capture_on_commit_callbacks, format="xlsx")
    job = ReportJob.objects.get(kind="consolidated")
    book = load_workbook(io.BytesIO(client.get(download(job)).content))
    assert list(book["Workloads"].values)[1][0] == "Checkout API"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"since": (TODAY + timedelta(days=1)).isoformat()}, "Choose a date before today"),
        ({"since": "2001-01-01"}, "at most 10 years"),
        ({"format": "docx"}, "Select a valid choice"),
        ({"team": "00000000-0000-0000-0000-000000000000"}, "Select a valid choice"),
        ({"tag": "=CC-1"}, "Name the tag"),
    ],
)
def test_bad_input_is_refused_with_a_reason_and_nothing_queued(client, owner, review, data, message):
    response = login(client, owner).post(PAGE, {"format": "pdf"} | data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReportJob.objects.filter(kind="consolidated").exists()


def test_another_teams_filter_is_refused(client, owner, outsider, review):
    elsewhere = team_create(name="Ledger", actor=outsider)
    response = login(client, owner).post(PAGE, {"format": "pdf", "team": str(elsewhere.pk)})
    assert response.status_code == 400 and not ReportJob.objects.exists()


def test_a_saved_filter_chooses_the_workloads(client, owner, review, django_capture_on_commit_callbacks):
    saved = SavedFilter.objects.create(user=owner, name="Prod only", filters={"environment": "PRODUCTION"})
    ask(login(client, owner), django_capture_on_commit_callbacks, saved_filter=str(saved.pk))
    job = ReportJob.objects.get(kind="consolidated")
    assert job.scope["label"] == "Saved filter “Prod only”: Production"


def test_someone_elses_saved_filter_cannot_be_used(client, owner, contributor, review):
    saved = SavedFilter.objects.create(user=owner, name="Mine", filters={"environment": "PRODUCTION"})
    response = login(client, contributor).post(PAGE, {"format": "pdf", "saved_filter": str(saved.pk)})
    assert response.status_code == 400 and not ReportJob.objects.exists()


def test_the_page_and_its_list_have_pinned_query_counts(client, owner, review, django_assert_num_queries):
    login(client, owner)
    for _ in range(3):
        ReportJob.objects.create(
            kind="consolidated", review=None, created_by=owner, scope={"label": "x", "since": "2025-01-01"}
        )
    # session, user, teams, owners for the filter, saved filters, the person's reports
    with django_assert_num_queries(6):
        assert client.get(PAGE).status_code == 200
    # session, user, the person's reports
    with django_assert_num_queries(3):
        assert client.get(LIST).status_code == 200


# --- Saved filters -------------------------------------------------------------------------------------------


def test_the_dashboards_filter_is_saved_and_listed(client, owner, review):
    login(client, owner)
    response = client.post(reverse("saved_filter_save"), {"name": "Prod", "environment": "PRODUCTION"})
    assert response.status_code == 302 and response["Location"].endswith("?environment=PRODUCTION")
    assert SavedFilter.objects.get(user=owner).filters == {"environment": "PRODUCTION"}
    page = client.get(reverse("dashboard")).content.decode()
    assert ">Prod</a>" in page
    again = client.post(
        reverse("saved_filter_save"), {"name": "prod", "environment": "PRODUCTION"}, follow=True
    )
    assert "already have a filter named" in again.content.decode()
    assert SavedFilter.objects.count() == 1


def test_a_saved_filter_is_private(client, owner, contributor):
    saved = SavedFilter.objects.create(user=owner, name="Mine", filters={"environment": "PRODUCTION"})
    url = reverse("saved_filter_delete", kwargs={"filter_id": saved.pk})
    assert login(client, contributor).post(url).status_code == 404
    assert ">Mine</a>" not in client.get(reverse("dashboard")).content.decode()
    assert login(client, owner).post(url).status_code == 302
    assert not SavedFilter.objects.exists()


def test_the_dashboard_filters_by_tag(client, owner, team, workload):
    workload.tags = {"cost-centre": "CC-1"}
    workload.save(update_fields=["tags"])
    login(client, owner)
    assert "Checkout API" in client.get(reverse("dashboard"), {"tag": "cost-centre=CC-1"}).content.decode()
    assert (
        "Checkout API" not in client.get(reverse("dashboard"), {"tag": "cost-centre=CC-2"}).content.decode()
    )


# --- API -----------------------------------------------------------------------------------------------------


def test_the_api_asks_follows_and_downloads(
    api_client_for, owner, contributor, review, django_capture_on_commit_callbacks
):
    fill_review(review, owner)
    api = api_client_for(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("api_consolidated_report_list"),
            {"format": "xlsx", "environment": "PRODUCTION"},
            format="json",
        )
    assert response.status_code == 202 and response.json()["kind"] == "consolidated"
    job_id = response.json()["id"]
    state = api.get(reverse("api_report_detail", kwargs={"job_id": job_id})).json()
    assert state["state"] == "DONE" and state["progress"] == 100 and state["review"] is None
    file = api.get(state["download"])
    assert load_workbook(io.BytesIO(file.content)).sheetnames[0] == "Workloads"
    assert [entry["id"] for entry in api.get(reverse("api_consolidated_report_list")).json()["results"]] == [
        job_id
    ]
    other = api_client_for(contributor)
    assert other.get(reverse("api_report_detail", kwargs={"job_id": job_id})).status_code == 404
    assert other.get(reverse("api_consolidated_report_list")).json()["results"] == []


def test_the_api_refuses_bad_input_and_writes_nothing(api_client_for, owner, review):
    api = api_client_for(owner)
    url = reverse("api_consolidated_report_list")
    future = api.post(url, {"since": (TODAY + timedelta(days=3)).isoformat()}, format="json")
    assert future.status_code == 400 and "before today" in future.content.decode()
    assert api.post(url, {"format": "docx"}, format="json").status_code == 400
    assert (
        api.post(url, {"saved_filter": "00000000-0000-0000-0000-000000000000"}, format="json").status_code
        == 400
    )
    assert not ReportJob.objects.filter(kind="consolidated").exists()


def test_the_api_keeps_saved_filters(api_client_for, owner, contributor):
    api = api_client_for(owner)
    created = api.post(reverse("api_saved_filter_list"), {"name": "High", "risk": "HIGH"}, format="json")
    assert created.status_code == 201 and created.json()["filters"] == {"risk": "HIGH"}
    empty = api.post(reverse("api_saved_filter_list"), {"name": "Nothing"}, format="json")
    assert empty.status_code == 400 and "at least one filter" in empty.content.decode()
    detail = reverse("api_saved_filter_detail", kwargs={"filter_id": created.json()["id"]})
    assert api_client_for(contributor).delete(detail).status_code == 404
    assert api.delete(detail).status_code == 204 and not SavedFilter.objects.exists()


@pytest.fixture
def api_client_for():
    from django.core.cache import cache
    from rest_framework.test import APIClient

    cache.clear()
    return lambda user: as_user(APIClient(), user)


def test_the_api_lists_have_pinned_query_counts(api_client_for, owner, django_assert_num_queries):
    api = api_client_for(owner)
    for number in range(3):
        SavedFilter.objects.create(user=owner, name=f"F{number}", filters={"risk": "HIGH"})
        ReportJob.objects.create(
            kind="consolidated", review=None, created_by=owner, scope={"label": "x", "since": "2025-01-01"}
        )
    api.get(reverse("api_saved_filter_list"))  # the token's first use is recorded once a minute; not pinned
    # the token, the count, the page
    with django_assert_num_queries(3):
        assert len(api.get(reverse("api_saved_filter_list")).json()["results"]) == 3
    with django_assert_num_queries(2):
        assert len(api.get(reverse("api_consolidated_report_list")).json()["results"]) == 3
