"""Report pages: asking for a PDF and downloading it, the list that polls while one is made, direct JSON and
spreadsheet exports, importing a review file, and who may do each."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from reviewapp.models import AuditEvent, ReportJob, Workload
from reviewapp.reports.review_json import review_json_bytes
from reviewapp.services import milestone_create, team_create
from tests.api.conftest import make_token
from tests.conftest import login

from .reports_world import fill_review, pdf_text, record

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    """The embedded default (tasks run in-process) even when the suite runs with REDIS_URL set; tests of the
    queue switch it off themselves."""
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def reports_url(review) -> str:
    return reverse("review_reports", kwargs={"review_id": review.pk})


def jobs_url(review) -> str:
    return reverse("report_jobs", kwargs={"review_id": review.pk})


def export_url(review, fmt: str) -> str:
    return reverse("review_export", kwargs={"review_id": review.pk, "fmt": fmt})


def download_url(job) -> str:
    return reverse("report_download", kwargs={"review_id": job.review_id, "job_id": job.pk})


IMPORT_URL = reverse("review_import")


def make_job(review, user, **fields) -> ReportJob:
    values = {"state": ReportJob.State.QUEUED, "created_by": user} | fields
    return ReportJob.objects.create(review=review, **values)


def test_asking_for_a_pdf_renders_it_and_it_can_be_downloaded(
    client, owner, review, django_capture_on_commit_callbacks
):
    fill_review(review, owner)
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reports_url(review), {"kind": "executive", "source": "", "format": "pdf"})
    assert response.status_code == 302 and response["Location"] == reports_url(review)
    job = ReportJob.objects.get()
    assert job.state == ReportJob.State.DONE and job.kind == "executive" and job.created_by == owner
    page = client.get(reports_url(review))
    assert download_url(job).encode() in page.content
    download = client.get(download_url(job))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="checkout-api-executive-summary-' + (
        f'{job.created_at.date().isoformat()}.pdf"'
    )
    assert download["Cache-Control"] == "private, no-store"
    assert "Executive summary" in pdf_text(download.content)
    assert AuditEvent.objects.filter(action="report.request", workload_id=review.workload_id).exists()


def test_a_report_of_a_milestone_names_it(client, owner, review, django_capture_on_commit_callbacks):
    milestone = milestone_create(review=review, actor=owner, name="Spring audit")
    login(client, owner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reports_url(review), {"kind": "full", "source": str(milestone.pk), "format": "pdf"})
    job = ReportJob.objects.get()
    assert job.milestone == milestone and job.filename.endswith("-spring-audit.pdf")
    text = pdf_text(client.get(download_url(job)).content)
    assert "Spring audit" in text and "DRAFT" not in text


def test_viewers_download_reports_but_cannot_ask_for_new_ones(client, owner, viewer, review):
    job = make_job(review, owner, state=ReportJob.State.DONE, content=b"%PDF-1.7", filename="x.pdf")
    login(client, viewer)
    refused = client.post(reports_url(review), {"kind": "full", "source": "", "format": "pdf"})
    assert refused.status_code == 403
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {make_token(viewer)}")
    api_refused = api.post(
        reverse("api_report_list", kwargs={"review_id": review.pk}), {"kind": "full"}, format="json"
    )
    assert api_refused.status_code == 403
    assert ReportJob.objects.count() == 1  # no job was queued
    download = client.get(download_url(job))
    assert download.status_code == 200 and download.content.startswith(b"%PDF")
    assert download["Content-Disposition"] == f'attachment; filename="{job.filename}"'


def test_outsiders_can_neither_ask_for_nor_download_reports(client, owner, outsider, review):
    job = make_job(review, owner, state=ReportJob.State.DONE, content=b"%PDF-1.7", filename="x.pdf")
    login(client, outsider)
    assert client.post(reports_url(review), {"kind": "full", "format": "pdf"}).status_code == 404
    assert client.get(download_url(job)).status_code == 404
    assert client.get(jobs_url(review)).status_code == 404
    assert ReportJob.objects.count() == 1


def test_anonymous_requests_go_to_the_login_page(client, review):
    response = client.post(reports_url(review), {"kind": "full", "format": "pdf"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_report_of_another_review_is_not_found(client, owner, team, review):
    from reviewapp.services import review_start, workload_create

    other = workload_create(
        team=team,
        actor=owner,
        name="Other",
        description="Another workload.",
        environment="PRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
    )
    job = make_job(
        review_start(workload=other, actor=owner), owner, state="DONE", content=b"x", filename="x.pdf"
    )
    login(client, owner)
    wrong = reverse("report_download", kwargs={"review_id": review.pk, "job_id": job.pk})
    assert client.get(wrong).status_code == 404


def test_a_report_that_is_not_ready_cannot_be_downloaded(client, owner, review):
    job = make_job(review, owner)
    assert login(client, owner).get(download_url(job)).status_code == 404


def test_the_list_polls_while_a_report_is_being_made_and_stops_after(client, owner, review):
    job = make_job(review, owner, state=ReportJob.State.RUNNING)
    login(client, owner)
    fragment = client.get(jobs_url(review)).content.decode()
    assert 'hx-trigger="every 2s"' in fragment and "<progress" in fragment and "style=" not in fragment
    ReportJob.objects.filter(pk=job.pk).update(state="DONE", content=b"%PDF", filename="x.pdf", size=4)
    fragment = client.get(jobs_url(review)).content.decode()
    assert "hx-trigger" not in fragment and download_url(job) in fragment


def test_a_failed_report_shows_why(client, owner, review):
    make_job(review, owner, state=ReportJob.State.FAILED, error="The report took longer than 30 seconds.")
    page = login(client, owner).get(reports_url(review))
    assert b"The report took longer than 30 seconds." in page.content


def test_the_page_reads_a_fixed_number_of_queries_whatever_the_number_of_reports(
    client, owner, review, django_assert_num_queries
):
    milestone = milestone_create(review=review, actor=owner, name="M1")
    make_job(review, owner, milestone=milestone)
    login(client, owner)
    client.get(reports_url(review))  # warm the session
    # Session, user, the review with the member's role, its milestones, its jobs.
    with django_assert_num_queries(5):
        client.get(reports_url(review))
    for _ in range(5):
        make_job(review, owner, milestone=milestone, state="DONE", content=b"%PDF", filename="x.pdf")
    with django_assert_num_queries(5):
        assert client.get(reports_url(review)).status_code == 200


def test_an_unreachable_queue_is_reported_without_an_error_page(client, owner, review, monkeypatch):
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "broker_url", "redis://127.0.0.1:9/0")
    login(client, owner)
    response = client.post(reports_url(review), {"kind": "full", "format": "pdf"}, follow=True)
    assert response.status_code == 200
    assert b"task queue is unreachable" in response.content
    assert not ReportJob.objects.exists()


def test_a_bad_request_is_refused_with_the_reason(client, owner, review):
    response = login(client, owner).post(reports_url(review), {"kind": "everything", "format": "pdf"})
    assert response.status_code == 400 and b"Select a valid choice" in response.content


def test_json_csv_and_xlsx_download_directly(client, owner, review):
    fill_review(review, owner)
    record(review, owner, "SEC11", selected=["SEC11-BP01"], notes='=HYPERLINK("http://evil")')
    login(client, owner)
    document = json.loads(client.get(export_url(review, "json")).content)
    assert document["format"] == "wa-security-review/1" and len(document["answers"]) == 11
    csv = client.get(export_url(review, "csv"))
    assert csv["Content-Type"] == "text/csv; charset=utf-8" and b"SEC02-BP01" in csv.content
    xlsx = client.get(export_url(review, "xlsx"))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["A1"].value == "Workload" and sheet.max_row > 10
    assert client.get(export_url(review, "pdf")).status_code == 404


def test_exports_of_a_milestone_and_a_bad_milestone(client, owner, review):
    milestone = milestone_create(review=review, actor=owner, name="Before")
    login(client, owner)
    response = client.get(export_url(review, "json"), {"milestone": str(milestone.pk)})
    assert json.loads(response.content)["source"]["milestone"]["name"] == "Before"
    assert client.get(export_url(review, "csv"), {"milestone": "not-a-uuid"}).status_code == 400


def upload(review) -> SimpleUploadedFile:
    return SimpleUploadedFile("review.json", review_json_bytes(review), "application/json")


def test_importing_a_file_creates_the_workload_and_leads_to_it(client, owner, review):
    fill_review(review, owner)
    target = team_create(name="Platform", actor=owner)
    response = login(client, owner).post(
        IMPORT_URL, {"file": upload(review), "team": str(target.pk), "name": ""}
    )
    workload = Workload.objects.get(team=target)
    assert response.status_code == 302
    assert response["Location"] == reverse("workload_detail", kwargs={"workload_id": workload.pk})
    assert (
        workload.name == "Checkout API"
        and workload.reviews.get().answers.exclude(risk="UNANSWERED").count() == 10
    )


def test_a_refused_import_lists_the_problems_and_creates_nothing(client, owner, review):
    bad = json.loads(review_json_bytes(review))
    bad["answers"][0]["selected"] = ["SEC99-BP01"]
    file = SimpleUploadedFile("review.json", json.dumps(bad).encode(), "application/json")
    login(client, owner)
    response = client.post(IMPORT_URL, {"file": file, "team": str(review.workload.team_id), "name": "Copy"})
    assert response.status_code == 400
    assert (
        b"$.answers[0].selected[0]: &#x27;SEC99-BP01&#x27; is not a best practice of SEC1" in response.content
    )
    assert Workload.objects.count() == 1


def test_viewers_cannot_import_into_a_team_they_only_view(client, viewer, review):
    login(client, viewer)
    page = client.get(IMPORT_URL)
    assert b"you have none" in page.content
    response = client.post(IMPORT_URL, {"file": upload(review), "team": str(review.workload.team_id)})
    assert response.status_code == 400
    assert Workload.objects.count() == 1


def test_a_team_outside_the_users_teams_is_refused(client, owner, outsider, review):
    elsewhere = outsider.memberships.get().team
    login(client, owner)
    response = client.post(IMPORT_URL, {"file": upload(review), "team": str(elsewhere.pk), "name": "Copy"})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    assert Workload.objects.count() == 1
