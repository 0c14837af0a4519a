"""/api/v1/reviews/<id>/reports/ and /api/v1/reports/<id>/: request a report, follow it, download it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from reviewapp.models import ReportJob
from reviewapp.reports.jobs import report_run
from reviewapp.services.milestones import milestone_create

from .conftest import as_user, make_token

pytestmark = pytest.mark.django_db


def reports_url(review) -> str:
    return reverse("api_report_list", kwargs={"review_id": review.pk})


def job_url(name: str, job) -> str:
    return reverse(name, kwargs={"job_id": job.pk})


def test_a_contributor_requests_a_report_and_a_viewer_downloads_it(api, contributor, viewer, review):
    as_user(api, viewer)
    refused = api.post(reports_url(review), {"format": "json"}, format="json")
    assert refused.status_code == 403 and not ReportJob.objects.exists()
    response = APIClient().post(
        reports_url(review),
        {"format": "json"},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {make_token(contributor)}",
    )
    assert response.status_code == 202, response.json()
    job = ReportJob.objects.get(pk=response.json()["id"])
    # In tests the queue never runs (it waits for a commit); render it the way the worker would.
    if job.state == ReportJob.State.QUEUED:
        assert report_run(job.pk) == ReportJob.State.DONE
    body = api.get(job_url("api_report_detail", job)).json()
    assert body["state"] == "DONE" and body["download"] == f"/api/v1/reports/{job.pk}/download/"
    download = api.get(body["download"])
    assert download.status_code == 200
    assert download["Content-Type"].startswith("application/json")
    assert download["Content-Disposition"].startswith('attachment; filename="checkout-api-review-')
    assert download.content.startswith(b"{")


def test_an_unfinished_report_cannot_be_downloaded_yet(api, owner, review):
    job = ReportJob.objects.create(review=review, format="pdf", created_by=owner)
    response = as_user(api, owner).get(job_url("api_report_download", job), HTTP_ACCEPT="application/pdf")
    assert response.status_code == 409
    assert "queued" in response.json()["detail"]


def test_it_reports_a_milestone(api, owner, review):
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    response = as_user(api, owner).post(
        reports_url(review), {"format": "csv", "milestone": str(milestone.pk)}, format="json"
    )
    assert response.status_code == 202
    assert response.json()["milestone"] == str(milestone.pk)


def test_bad_requests_get_field_messages(api, owner, review):
    as_user(api, owner)
    response = api.post(reports_url(review), {"format": "docx", "kind": "novel"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"format", "kind"}
    response = api.post(
        reports_url(review), {"milestone": "00000000-0000-0000-0000-000000000000"}, format="json"
    )
    assert response.json() == {"milestone": ["No such milestone of this review."]}


def test_it_lists_the_reviews_reports(api, owner, review, django_assert_max_num_queries):
    for fmt in ("pdf", "csv"):
        ReportJob.objects.create(review=review, format=fmt, created_by=owner)
    as_user(api, owner)
    api.get(reports_url(review))  # the token's first use is audited; the count below is the steady state
    with django_assert_max_num_queries(4):  # token, review, role, jobs
        body = api.get(reports_url(review)).json()
    assert [row["format"] for row in body["results"]] == ["csv", "pdf"]


def test_an_outsider_gets_404(api, outsider, owner, review):
    job = ReportJob.objects.create(review=review, format="pdf", created_by=owner)
    as_user(api, outsider)
    assert api.get(reports_url(review)).status_code == 404
    assert api.post(reports_url(review), {}, format="json").status_code == 404
    assert api.get(job_url("api_report_detail", job)).status_code == 404
    assert api.get(job_url("api_report_download", job)).status_code == 404


def test_a_read_only_token_cannot_request_reports(api, owner, review):
    response = as_user(api, owner, read_only=True).post(reports_url(review), {}, format="json")
    assert response.status_code == 403
    assert not ReportJob.objects.exists()
