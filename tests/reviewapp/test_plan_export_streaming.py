"""The plan export across workloads at any size (issue 13, item 2): the CSV streams in chunks with the same rows
as the plain export, its query count does not grow with the rows, and above EXPORT_INLINE_MAX_ROWS both formats
become a background job with progress and a download that only its requester (and admins) may open."""

from __future__ import annotations

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from openpyxl import load_workbook

from reviewapp.models import AuditEvent, ReportJob
from reviewapp.reports.sheets import HEADER, csv_bytes, plan_table
from reviewapp.selectors import workload_plan_rows
from reviewapp.selectors.dashboard import DashboardFilters, dashboard_workloads
from reviewapp.services import team_create
from tests.conftest import login
from tests.test_list_scale import SIZES, seed, web

from .test_views_dashboard import make

pytestmark = pytest.mark.django_db

CSV = reverse("plan_export", kwargs={"fmt": "csv"})
XLSX = reverse("plan_export", kwargs={"fmt": "xlsx"})
PORTFOLIO_LIST = reverse("portfolio_report_jobs")
# A streamed export: the request's own queries (session, user, filter choices), the count that chooses between
# serving and offering a job, the ids' server-side cursor; then three queries per chunk (plan_rows).
FIXED = 6
PER_CHUNK = 3


@pytest.fixture(autouse=True)
def _eager(monkeypatch):
    from reviewapp.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


def streamed(response) -> bytes:
    assert isinstance(response, StreamingHttpResponse)
    return b"".join(response.streaming_content)


def test_the_streamed_csv_holds_the_plain_exports_rows_with_formulas_neutralised(
    client, owner, team, settings
):
    settings.EXPORT_CHUNK_ROWS = 3  # several chunks, one of them partly filled
    for name in ["Ledger", "Search", "Billing", "Audit"]:
        make(team, owner, name)
    response = login(client, owner).get(CSV)
    assert response["Content-Disposition"].startswith('attachment; filename="improvement-plans-')
    body = streamed(response)
    rows = workload_plan_rows(owner, dashboard_workloads(owner, DashboardFilters()).values("pk"))
    assert body == csv_bytes(HEADER, plan_table(rows))
    parsed = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["Workload"] for row in parsed] == ["Audit"] * 2 + ["Billing"] * 2 + ["Ledger"] * 2 + [
        "Search"
    ] * 2
    assert {row["Notes"] for row in parsed} == {"", "'=1+1"}


def test_the_workbook_is_written_row_by_row_with_the_same_rows_and_no_formulas(client, owner, team, settings):
    settings.EXPORT_CHUNK_ROWS = 1
    make(team, owner, "Ledger")
    make(team, owner, "Search")
    sheet = load_workbook(io.BytesIO(login(client, owner).get(XLSX).content)).active
    values = list(sheet.values)
    assert values[0] == HEADER and [row[0] for row in values[1:]] == ["Ledger", "Ledger", "Search", "Search"]
    assert "'=1+1" in {row[12] for row in values[1:]}
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:O5"


def _export_queries(client, django_assert_num_queries, expected: int) -> bytes:
    client.get(CSV)  # the session's first use writes to it
    with django_assert_num_queries(expected):
        return streamed(client.get(CSV))


@pytest.mark.parametrize("size", SIZES)
def test_the_streamed_export_costs_the_same_queries_at_100_and_1000_workloads(
    size, owner, lead, settings, django_assert_num_queries
):
    settings.EXPORT_CHUNK_ROWS = 2 * SIZES[-1]  # one chunk at either size: the count must not move
    seed(size, owner)
    body = _export_queries(web(lead), django_assert_num_queries, FIXED + PER_CHUNK)
    assert body.count(b"\n") == 1 + 2 * size


def test_each_chunk_adds_a_fixed_number_of_queries(owner, lead, settings, django_assert_num_queries):
    settings.EXPORT_CHUNK_ROWS = 50
    seed(100, owner)  # 200 items: four chunks
    body = _export_queries(web(lead), django_assert_num_queries, FIXED + 4 * PER_CHUNK)
    assert body.count(b"\n") == 201


def test_above_the_threshold_both_formats_become_a_job_only_its_requester_downloads(
    client, owner, contributor, admin_user, team, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 3
    settings.EXPORT_CHUNK_ROWS = 2
    make(team, owner, "Ledger")
    make(team, owner, "Search", environment="PREPRODUCTION")
    offer = login(client, owner).get(CSV, {"environment": "PRODUCTION"})
    # Two items pass the filter: under the threshold, served at once.
    assert isinstance(offer, StreamingHttpResponse)
    offer = client.get(CSV)
    text = offer.content.decode()
    assert offer.status_code == 200 and "4 improvement items" in text
    assert 'method="post"' in text and ReportJob.objects.count() == 0
    for fmt in ("csv", "xlsx"):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("plan_export", kwargs={"fmt": fmt}))
        assert response.status_code == 302 and response["Location"] == reverse("portfolio_reports")
    jobs = {job.format: job for job in ReportJob.objects.filter(kind="plan_export")}
    assert {job.state for job in jobs.values()} == {"DONE"} and {job.progress for job in jobs.values()} == {
        100
    }
    assert AuditEvent.objects.filter(action="report.request", object_id=str(jobs["csv"].pk)).exists()
    download = reverse("portfolio_report_download", kwargs={"job_id": jobs["csv"].pk})
    assert download in client.get(PORTFOLIO_LIST).content.decode()
    file = client.get(download)
    parsed = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert [row["Workload"] for row in parsed] == ["Ledger", "Ledger", "Search", "Search"]
    assert {row["Notes"] for row in parsed} == {"", "'=1+1"}
    assert file["Content-Disposition"].startswith('attachment; filename="improvement-plans-')
    book = load_workbook(
        io.BytesIO(
            client.get(reverse("portfolio_report_download", kwargs={"job_id": jobs["xlsx"].pk})).content
        )
    )
    assert [row[0] for row in list(book.active.values)[1:]] == ["Ledger", "Ledger", "Search", "Search"]
    # A teammate who sees the same workloads cannot open it, nor list it; an administrator can open it.
    assert login(client, contributor).get(download).status_code == 404
    assert download not in client.get(PORTFOLIO_LIST).content.decode()
    assert login(client, admin_user).get(download).status_code == 200


def test_a_job_holds_only_what_its_requester_sees_and_filters(
    client, owner, outsider, team, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 1
    make(team, owner, "Ledger")
    make(team, owner, "Search", environment="PREPRODUCTION")
    make(team_create(name="Platform", actor=outsider), outsider, "Hidden")
    with django_capture_on_commit_callbacks(execute=True):
        login(client, owner).post(CSV, {"environment": "PRODUCTION"})
    job = ReportJob.objects.get(kind="plan_export")
    assert job.scope == {"filters": {"environment": "PRODUCTION"}, "label": "Production"}
    content = bytes(ReportJob.objects.values_list("content", flat=True).get(pk=job.pk)).decode("utf-8-sig")
    assert "Ledger" in content and "Search" not in content and "Hidden" not in content


def test_a_bad_filter_queues_nothing_and_says_why(client, owner, team):
    response = login(client, owner).post(CSV, {"team": "00000000-0000-0000-0000-000000000000"})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    assert not ReportJob.objects.exists()
    assert client.post(reverse("plan_export", kwargs={"fmt": "json"})).status_code == 404


@pytest.mark.parametrize("kind", ["plan_export", "consolidated"])
def test_a_reviews_report_cannot_take_a_kind_that_spans_workloads(client, owner, review, kind):
    url = reverse("review_reports", kwargs={"review_id": review.pk})
    response = login(client, owner).post(url, {"kind": kind, "format": "pdf"})
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    assert not ReportJob.objects.exists()
