"""/api/v1/workloads/<id>/evidence-imports/ and /api/v1/evidence-imports/<id>/: upload scanner findings as
evidence, read what each import brought."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from checks.imports.samples import Sample, asff_file, csv_file, ocsf_file, ocsf_finding
from checks.models import EvidenceImport, Finding
from tests.checks.factories import target_for

from .conftest import as_user

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"


def imports_url(workload) -> str:
    return reverse("api_import_list", kwargs={"workload_id": workload.pk})


def upload(content: bytes, name: str = "scan.json", **extra):
    return {"file": SimpleUploadedFile(name, content), **extra}


@pytest.mark.parametrize(
    "content, source, file_format",
    [
        (ocsf_file([Sample("iam_root_mfa_enabled", "PASS", ACCOUNT)]), "PROWLER", "prowler-ocsf"),
        (csv_file([Sample("iam_root_mfa_enabled", "FAIL", ACCOUNT)]), "PROWLER", "prowler-csv"),
        (
            asff_file([Sample("IAM.6", "PASSED", ACCOUNT), Sample("Zzz.1", "FAILED", ACCOUNT)]),
            "SECURITY_HUB",
            "asff",
        ),
    ],
)
def test_a_contributor_imports_each_format(api, contributor, workload, content, source, file_format):
    target_for(workload, ACCOUNT)
    response = as_user(api, contributor).post(imports_url(workload), upload(content), format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["source"], body["file_format"], body["accounts"]) == (source, file_format, [ACCOUNT])
    assert body["imported_by"] == contributor.username
    findings = as_user(api, contributor).get(reverse("api_import_findings", kwargs={"import_id": body["id"]}))
    [first, *_] = findings.json()["results"]
    assert first["source"] == source and first["account_id"] == ACCOUNT and first["last_seen_at"]


def test_unmapped_findings_are_counted_and_listed(api, owner, workload):
    target_for(workload, ACCOUNT)
    content = asff_file([Sample("IAM.6", "PASSED", ACCOUNT), Sample("Zzz.1", "FAILED", ACCOUNT)])
    body = as_user(api, owner).post(imports_url(workload), upload(content), format="multipart").json()
    assert (body["total"], body["mapped"], body["unmapped"]) == (2, 1, 1)
    url = reverse("api_import_findings", kwargs={"import_id": body["id"]})
    unmapped = as_user(api, owner).get(url, {"unmapped": "true"}).json()["results"]
    assert [(f["check_id"], f["best_practices"]) for f in unmapped] == [("Zzz.1", [])]


def test_a_malformed_file_is_a_400_with_its_json_path_and_stores_nothing(api, owner, workload):
    target_for(workload, ACCOUNT)
    broken = json.dumps([{**ocsf_finding(Sample("iam_root_mfa_enabled", "PASS", ACCOUNT)), "metadata": {}}])
    response = as_user(api, owner).post(imports_url(workload), upload(broken.encode()), format="multipart")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The Prowler check id is missing.",
        "location": "$[0].metadata.event_code",
    }
    assert not EvidenceImport.objects.exists() and not Finding.objects.exists()


def test_an_account_the_workload_is_not_connected_to_is_refused_by_id(api, owner, workload):
    target_for(workload, ACCOUNT)
    content = ocsf_file([Sample("iam_root_mfa_enabled", "PASS", "999988887777")])
    response = as_user(api, owner).post(imports_url(workload), upload(content), format="multipart")
    assert response.status_code == 400 and "999988887777" in response.json()["detail"]
    assert not EvidenceImport.objects.exists()


def test_a_file_over_the_limit_is_a_413(api, owner, workload, settings):
    target_for(workload, ACCOUNT)
    settings.EVIDENCE_IMPORT_MAX_BYTES = 10_000
    content = ocsf_file([Sample("iam_root_mfa_enabled", "PASS", ACCOUNT)] * 30)
    response = as_user(api, owner).post(imports_url(workload), upload(content), format="multipart")
    assert response.status_code in (400, 413) and "MB" in response.json()["detail"]
    assert not EvidenceImport.objects.exists()


def test_viewers_and_read_only_tokens_cannot_import_and_outsiders_see_nothing(
    api, viewer, owner, outsider, workload
):
    target_for(workload, ACCOUNT)
    content = ocsf_file([Sample("iam_root_mfa_enabled", "PASS", ACCOUNT)])
    assert (
        as_user(api, viewer).post(imports_url(workload), upload(content), format="multipart").status_code
        == 403
    )
    read_only = as_user(APIClient(), owner, read_only=True)
    assert read_only.post(imports_url(workload), upload(content), format="multipart").status_code == 403
    created = as_user(api, owner).post(imports_url(workload), upload(content), format="multipart").json()
    detail = reverse("api_import_detail", kwargs={"import_id": created["id"]})
    assert as_user(api, outsider).get(detail).status_code == 404
    assert as_user(api, outsider).get(imports_url(workload)).status_code == 404


def test_the_list_keeps_a_fixed_query_count(api, owner, workload, django_assert_num_queries):
    target_for(workload, ACCOUNT)
    client = as_user(api, owner)
    content = ocsf_file([Sample("iam_root_mfa_enabled", "PASS", ACCOUNT)])
    client.post(imports_url(workload), upload(content), format="multipart")
    client.get(imports_url(workload))
    # Token, user, team roles, the workload, then count and page in the database.
    with django_assert_num_queries(5):
        client.get(imports_url(workload))
    for _ in range(4):
        client.post(imports_url(workload), upload(content), format="multipart")
    with django_assert_num_queries(5):
        assert client.get(imports_url(workload)).json()["count"] == 5


def test_a_chosen_format_is_used_and_a_wrong_one_is_a_400(api, owner, workload):
    target_for(workload, ACCOUNT)
    content = csv_file([Sample("iam_root_mfa_enabled", "PASS", ACCOUNT)])
    client = as_user(api, owner)
    wrong = client.post(imports_url(workload), upload(content, file_format="asff"), format="multipart")
    assert wrong.status_code == 400 and wrong.json()["location"].startswith("$")
    right = client.post(imports_url(workload), upload(content, file_format="prowler-csv"), format="multipart")
    assert right.status_code == 201 and right.json()["file_format"] == "prowler-csv"
