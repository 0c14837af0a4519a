"""The evidence import page, an import's page, and `manage.py import_findings`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from checks.imports.samples import Sample, asff_file, csv_file, ocsf_file, ocsf_finding
from checks.models import EvidenceImport, Finding

from .factories import target_for

pytestmark = pytest.mark.django_db
ACCOUNT = "111122223333"
SCAN = [
    Sample("iam_root_mfa_enabled", "PASS", ACCOUNT, title="Ensure MFA is enabled for the root account"),
    Sample("s3_bucket_secure_transport_policy", "FAIL", ACCOUNT, resource="arn:aws:s3:::shop-assets"),
    Sample("s3_bucket_no_mfa_delete", "FAIL", ACCOUNT, resource="arn:aws:s3:::shop-assets"),
]


def post_file(client, workload, content: bytes, name: str = "scan.json", file_format: str = ""):
    return client.post(
        reverse("evidence_import", args=[workload.pk]),
        {"file": SimpleUploadedFile(name, content), "file_format": file_format},
    )


@pytest.mark.parametrize(
    "content, badge",
    [
        (ocsf_file(SCAN), "Prowler"),
        (csv_file(SCAN), "Prowler"),
        (
            asff_file([Sample("S3.5", "FAILED", ACCOUNT, resource="arn:aws:s3:::shop-assets")]),
            "Security Hub CSPM",
        ),
    ],
)
def test_a_contributor_imports_a_file_and_sees_it_per_practice_with_its_source(
    client, contributor, workload, content, badge
):
    target_for(workload, ACCOUNT)
    client.force_login(contributor)
    response = post_file(client, workload, content)
    evidence_import = EvidenceImport.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "evidence_import_detail", args=[evidence_import.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert "Findings read" in page and f"source-badge source-{evidence_import.source}" in page
    # SEC09-BP02 (TLS only) is contradicted by the imported finding, shown with its source badge.
    detail = client.get(reverse("evidence_bp", args=[workload.pk, "SEC09-BP02"])).content.decode()
    assert "Evidence contradicts" in detail and badge in detail and "arn:aws:s3:::shop-assets" in detail
    home = client.get(reverse("evidence_home", args=[workload.pk])).content.decode()
    assert "includes imported scanner findings" in home and "scan.json" in home


def test_unmapped_check_ids_are_listed_with_their_counts(client, owner, workload):
    target_for(workload, ACCOUNT)
    client.force_login(owner)
    response = post_file(client, workload, ocsf_file(SCAN))
    page = client.get(response["Location"]).content.decode()
    assert "Check ids no mapping covers" in page and "s3_bucket_no_mfa_delete</code> (1)" in page
    only = client.get(response["Location"], {"unmapped": "1"}).content.decode()
    assert "s3_bucket_no_mfa_delete" in only and "iam_root_mfa_enabled</code>" not in only


def test_a_malformed_file_shows_where_and_stores_nothing(client, owner, workload):
    target_for(workload, ACCOUNT)
    client.force_login(owner)
    broken = json.dumps(
        [
            ocsf_finding(SCAN[0]),
            {**ocsf_finding(SCAN[1]), "cloud": {"provider": "aws", "account": {"uid": "12"}}},
        ]
    )
    response = post_file(client, workload, broken.encode())
    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "The file was not imported" in page
        and "$[1].cloud.account.uid" in page
        and "Nothing was stored" in page
    )
    assert not EvidenceImport.objects.exists() and not Finding.objects.exists()


def test_a_file_for_another_account_is_refused_with_the_account_named(client, owner, workload):
    target_for(workload, ACCOUNT)
    client.force_login(owner)
    response = post_file(
        client, workload, csv_file([Sample("iam_root_mfa_enabled", "PASS", "999988887777")]), "x.csv"
    )
    assert response.status_code == 400 and "999988887777" in response.content.decode()
    assert not EvidenceImport.objects.exists()


def test_a_chosen_format_that_does_not_fit_is_a_form_error_not_a_500(client, owner, workload):
    target_for(workload, ACCOUNT)
    client.force_login(owner)
    response = post_file(client, workload, ocsf_file(SCAN), file_format="prowler-csv")
    assert response.status_code == 400 and "The file was not imported" in response.content.decode()


def test_the_import_page_keeps_a_fixed_query_count(client, owner, workload, django_assert_num_queries):
    target_for(workload, ACCOUNT)
    client.force_login(owner)
    location = post_file(client, workload, ocsf_file(SCAN))["Location"]
    client.get(location)
    # Session, user, roles, the import with its workload (access.get_evidence_import_for_user), the unmapped
    # counts, then count and page the findings.
    with django_assert_num_queries(7):
        client.get(location)
    post_file(client, workload, ocsf_file(SCAN * 40))
    bigger = EvidenceImport.objects.order_by("-created_at").first()
    with django_assert_num_queries(7):
        client.get(reverse("evidence_import_detail", args=[bigger.pk]))
    with django_assert_num_queries(4):
        client.get(reverse("evidence_import", args=[workload.pk]))


def test_the_command_imports_and_prints_the_import_id(tmp_path, owner, workload):
    target_for(workload, ACCOUNT)
    path = tmp_path / "findings.json"
    path.write_bytes(asff_file([Sample("IAM.6", "PASSED", ACCOUNT)]))
    out, err = StringIO(), StringIO()
    call_command(
        "import_findings",
        str(path),
        "--workload",
        str(workload.pk),
        "--as",
        owner.username,
        stdout=out,
        stderr=err,
    )
    evidence_import = EvidenceImport.objects.get()
    assert out.getvalue().strip() == str(evidence_import.pk)
    assert "Imported 1 Security Hub CSPM findings" in err.getvalue()


def test_the_command_refuses_with_the_place_and_writes_nothing(tmp_path, owner, viewer, workload):
    target_for(workload, ACCOUNT)
    path = tmp_path / "scan.csv"
    path.write_bytes(csv_file(SCAN).replace(b";PASS;", b";PERHAPS;"))
    with pytest.raises(CommandError, match=r"nothing was stored: Unknown STATUS 'PERHAPS'.*\(at line 2\)"):
        call_command("import_findings", str(path), "--workload", str(workload.pk), "--as", owner.username)
    with pytest.raises(CommandError, match="cannot change"):
        call_command("import_findings", str(path), "--workload", str(workload.pk), "--as", viewer.username)
    assert not EvidenceImport.objects.exists()
