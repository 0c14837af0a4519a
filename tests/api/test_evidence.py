"""/api/v1/workloads/<id>/evidence-runs/ and /api/v1/evidence-runs/<id>/: start, follow, cancel, findings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from checks.models import EvidenceRun, EvidenceTask, RunState
from reviewapp.models import AuditEvent
from tests.checks.factories import finding, finished_run, target_for

from .conftest import as_user

pytestmark = pytest.mark.django_db


def runs_url(workload) -> str:
    return reverse("api_run_list", kwargs={"workload_id": workload.pk})


def run_url(name: str, run) -> str:
    return reverse(name, kwargs={"run_id": run.pk})


@pytest.fixture
def active_run(workload):
    return EvidenceRun.objects.create(workload=workload, state=RunState.RUNNING, total_tasks=4, done_tasks=1)


def test_it_starts_a_run_over_the_connected_accounts(api, contributor, workload):
    target_for(workload)
    # Nothing is executed here: tasks are queued when the transaction commits, which a test never does.
    response = as_user(api, contributor).post(runs_url(workload), format="json")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert body["state"] == "QUEUED" and body["total_tasks"] > 0
    assert body["tasks"]["queued"] == body["total_tasks"]
    run = EvidenceRun.objects.get(pk=body["id"])
    assert EvidenceTask.objects.filter(run=run).count() == body["total_tasks"]
    assert AuditEvent.objects.filter(action="evidence_run.start", object_id=str(run.pk)).exists()


def test_starting_without_accounts_is_a_400_with_the_reason(api, owner, workload):
    response = as_user(api, owner).post(runs_url(workload), format="json")
    assert response.status_code == 400
    assert "Connect an AWS account" in response.json()["non_field_errors"][0]


def test_starting_while_a_run_is_active_is_a_409(api, owner, workload, active_run):
    target_for(workload)
    response = as_user(api, owner).post(runs_url(workload), format="json")
    assert response.status_code == 409
    assert "still running" in response.json()["detail"]


def test_a_viewer_cannot_start_or_cancel(api, viewer, workload, active_run):
    target_for(workload)
    as_user(api, viewer)
    assert api.post(runs_url(workload), format="json").status_code == 403
    assert api.post(run_url("api_run_cancel", active_run), format="json").status_code == 403
    detail = api.get(run_url("api_run_detail", active_run))
    assert detail.status_code == 200 and detail.json()["state"] == active_run.state
    active_run.refresh_from_db()
    assert workload.evidence_runs.get() == active_run and active_run.state == RunState.RUNNING


def test_an_outsider_gets_404_everywhere(api, outsider, workload, active_run):
    as_user(api, outsider)
    assert api.get(runs_url(workload)).status_code == 404
    assert api.post(runs_url(workload), format="json").status_code == 404
    for name in ("api_run_detail", "api_run_findings"):
        assert api.get(run_url(name, active_run)).status_code == 404
    assert api.post(run_url("api_run_cancel", active_run), format="json").status_code == 404


def test_it_shows_progress_and_cancels(api, owner, workload, active_run):
    as_user(api, owner)
    body = api.get(run_url("api_run_detail", active_run)).json()
    assert (body["state"], body["percent"]) == ("RUNNING", 25)
    response = api.post(run_url("api_run_cancel", active_run), format="json")
    assert response.status_code == 200
    assert response.json()["state"] == "CANCELLED"
    again = api.post(run_url("api_run_cancel", active_run), format="json")
    assert again.status_code == 409 and "already ended" in again.json()["detail"]


def test_it_lists_runs_newest_first_and_filters_by_state(api, owner, workload, active_run):
    finished_run(workload)
    as_user(api, owner)
    rows = api.get(runs_url(workload)).json()["results"]
    assert [row["state"] for row in rows] == ["RUNNING", "SUCCEEDED"]
    assert api.get(runs_url(workload), {"state": "SUCCEEDED"}).json()["count"] == 1
    assert api.get(runs_url(workload), {"state": "DONE"}).status_code == 400


def test_it_lists_findings_failures_first_with_filters(api, viewer, workload, django_assert_max_num_queries):
    run = finished_run(workload)
    finding(run, "iam.root_mfa", "PASS", ["SEC02-BP01"])
    finding(run, "iam.root_mfa", "FAIL", ["SEC02-BP01"], account_id="444455556666")
    finding(run, "s3.public_access_block", "ERROR", ["SEC08-BP04"])
    as_user(api, viewer)
    url = run_url("api_run_findings", run)
    rows = api.get(url).json()["results"]
    assert [row["status"] for row in rows] == ["ERROR", "FAIL", "PASS"]
    assert rows[1]["best_practices"] == ["SEC02-BP01"] and rows[1]["check_title"]
    assert len(api.get(url, {"status": "FAIL"}).json()["results"]) == 1
    assert len(api.get(url, {"account_id": "444455556666"}).json()["results"]) == 1
    assert len(api.get(url, {"check_id": "s3.public_access_block"}).json()["results"]) == 1
    assert api.get(url, {"account_id": "12"}).status_code == 400
    with django_assert_max_num_queries(5):  # token, run, workload, role, page (a keyset page needs no count)
        api.get(url, {"ordering": "-account_id"})


def test_the_run_detail_counts_findings(api, owner, workload):
    run = finished_run(workload)
    finding(run, "iam.root_mfa", "FAIL", ["SEC02-BP01"])
    body = as_user(api, owner).get(run_url("api_run_detail", run)).json()
    assert body["findings"] == {"passed": 0, "failed": 1, "error": 0, "not_applicable": 0}
