"""Evidence files: attached to a practice on the question page or through the API, typed by their content,
hashed, downloaded only as attachments, frozen into milestones and listed in the PDF's appendix; a refused file
leaves nothing behind, and removing one keeps its hash in the audit trail."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from reviewapp.models import AuditEvent, EvidenceFile
from reviewapp.services.evidence_files import evidence_file_attach, evidence_file_delete
from reviewapp.services.milestones import milestone_create

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(64)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _stored_files() -> list[str]:
    root = storages["evidence"].location
    return [os.path.join(path, name) for path, _, names in os.walk(root) for name in names]


def _upload(client, review, name: str, content: bytes, bp: str = "SEC01-BP01", **extra):
    return client.post(
        reverse("review_question_files", args=[review.pk, "SEC1"]),
        {"bp_code": bp, "file": SimpleUploadedFile(name, content), **extra},
    )


def test_a_file_attached_on_the_question_page_is_listed_with_its_hash(client, review, owner):
    client.force_login(owner)
    until = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = _upload(client, review, "root-mfa.png", PNG, valid_until=until, description="Root MFA on")
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert (evidence.kind, evidence.size, evidence.uploaded_by) == ("PNG", len(PNG), owner)
    assert evidence.sha256 == hashlib.sha256(PNG).hexdigest()
    page = client.get(reverse("review_question", args=[review.pk, "SEC1"])).content.decode()
    assert "root-mfa.png" in page and evidence.sha256[:14] in page and "Root MFA on" in page
    assert AuditEvent.objects.get(action="evidence_file.attach").after["sha256"] == evidence.sha256


def test_htmx_upload_swaps_the_list_in_place(client, review, owner):
    client.force_login(owner)
    response = client.post(
        reverse("review_question_files", args=[review.pk, "SEC1"]),
        {"bp_code": "SEC01-BP02", "file": SimpleUploadedFile("policy.json", b'{"Version": "2012-10-17"}')},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith("{#") is False
    assert 'id="evidence-files"' in body and "policy.json" in body and "Attached policy.json" in body


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("report.pdf", b"<html><script>alert(1)</script></html>", "named .pdf but its content is plain text"),
        ("shot.png", PDF, "named .png but its content is a PDF file"),
        ("data.json", b"{not json", "not valid JSON"),
        ("tool.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", "not a PDF, PNG or JPEG"),
        ("empty.txt", b"", "empty"),
    ],
)
def test_a_mistyped_file_is_refused_with_a_reason_and_nothing_is_stored(
    client, review, owner, name, content, reason
):
    client.force_login(owner)
    response = _upload(client, review, name, content)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not EvidenceFile.objects.exists()
    assert _stored_files() == []
    assert not AuditEvent.objects.filter(action="evidence_file.attach").exists()


def test_an_oversize_file_is_refused_before_it_is_stored(client, review, owner, settings):
    settings.EVIDENCE_FILE_MAX_BYTES = 1024
    client.force_login(owner)
    response = _upload(client, review, "big.txt", b"a" * 2048)
    assert response.status_code == 400
    assert "evidence files may be at most" in response.content.decode()
    assert not EvidenceFile.objects.exists() and _stored_files() == []


def test_a_failure_after_storing_removes_the_stored_file(review, owner, monkeypatch):
    from reviewapp.services import evidence_files

    def broken_audit(**kwargs):
        raise RuntimeError("the audit trail is unavailable")

    monkeypatch.setattr(evidence_files, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        evidence_file_attach(
            review=review, bp_code="SEC01-BP01", upload=SimpleUploadedFile("a.txt", b"text\n"), actor=owner
        )
    assert not EvidenceFile.objects.exists() and _stored_files() == []


def test_downloads_are_attachments_that_are_never_sniffed(client, review, owner, viewer):
    evidence = evidence_file_attach(
        review=review,
        bp_code="SEC01-BP01",
        upload=SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>"),
        actor=owner,
    )
    assert evidence.kind == "TXT"
    client.force_login(viewer)
    response = client.get(reverse("evidence_file_download", args=[review.pk, evidence.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    # A .html saved as text downloads with a .txt ending, so no program opens it as a web page.
    assert 'filename="page.html.txt"' in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"].startswith("text/plain")
    assert b"".join(response.streaming_content) == b"<html><script>alert(1)</script></html>"


def test_a_viewer_cannot_attach_or_remove(client, review, owner, viewer):
    evidence = evidence_file_attach(
        review=review, bp_code="SEC01-BP01", upload=SimpleUploadedFile("a.txt", b"text\n"), actor=owner
    )
    client.force_login(viewer)
    assert _upload(client, review, "b.txt", b"more\n").status_code == 403
    assert client.post(reverse("evidence_file_delete", args=[review.pk, evidence.pk])).status_code == 403
    page = client.get(reverse("review_question", args=[review.pk, "SEC1"])).content.decode()
    assert "a.txt" in page and "Attach a file" not in page


def test_removing_a_file_is_audited_with_its_hash_and_deletes_the_bytes(
    client, review, owner, django_capture_on_commit_callbacks
):
    evidence = evidence_file_attach(
        review=review,
        bp_code="SEC01-BP01",
        upload=SimpleUploadedFile("a.csv", b"account,mfa\n1,yes\n"),
        actor=owner,
    )
    assert evidence.kind == "CSV" and len(_stored_files()) == 1
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("evidence_file_delete", args=[review.pk, evidence.pk]))
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists() and _stored_files() == []
    trail = AuditEvent.objects.get(action="evidence_file.delete")
    assert trail.before["sha256"] == hashlib.sha256(b"account,mfa\n1,yes\n").hexdigest()
    assert trail.before["name"] == "a.csv"


def test_milestones_record_the_hashes_and_the_pdf_lists_them(review, owner):
    from reviewapp.reports.content import build_report

    evidence = evidence_file_attach(
        review=review, bp_code="SEC02-BP01", upload=SimpleUploadedFile("sso.pdf", PDF), actor=owner
    )
    milestone = milestone_create(review=review, actor=owner, name="With files")
    frozen = milestone.snapshot["evidence_files"]
    assert [(line["name"], line["sha256"]) for line in frozen] == [("sso.pdf", evidence.sha256)]
    # Removing the file later does not change what the milestone froze, nor its report.
    evidence_file_delete(evidence=evidence, actor=owner)
    report = build_report(review, milestone=milestone)
    assert [line["sha256"] for line in report.evidence_files] == [evidence.sha256]
    assert build_report(review).evidence_files == []


def test_the_pdf_appendix_shows_each_file_and_hash(review, owner):
    from reviewapp.reports.content import build_report
    from reviewapp.reports.pdf import report_html

    evidence = evidence_file_attach(
        review=review,
        bp_code="SEC02-BP01",
        upload=SimpleUploadedFile("sso.txt", b"SSO everywhere\n"),
        actor=owner,
    )
    html = report_html(build_report(review))
    assert "Evidence files" in html and "sso.txt" in html and evidence.sha256 in html


def test_the_api_attaches_lists_downloads_and_removes(client, review, owner, django_assert_num_queries):
    client.force_login(owner)
    url = reverse("api_evidence_file_list", args=[review.pk])
    created = client.post(url, {"bp_code": "SEC01-BP03", "file": SimpleUploadedFile("n.json", b"[1, 2]")})
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "JSON" and body["sha256"] == hashlib.sha256(b"[1, 2]").hexdigest()
    refused = client.post(url, {"bp_code": "SEC01-BP03", "file": SimpleUploadedFile("x.png", b"not a png")})
    assert refused.status_code == 400 and "named .png" in refused.json()["file"][0]
    unknown = client.post(url, {"bp_code": "SEC99-BP01", "file": SimpleUploadedFile("n.txt", b"x\n")})
    assert unknown.status_code == 400 and "bp_code" in unknown.json()
    # Session and user, the review with the member's role (its access decision), the count and the page.
    with django_assert_num_queries(5):
        listed = client.get(url, {"question": "SEC1"}).json()
    assert [row["name"] for row in listed["results"]] == ["n.json"]
    content = client.get(reverse("api_evidence_file_content", args=[review.pk, body["id"]]))
    assert (
        content["Content-Disposition"].startswith("attachment;")
        and content["X-Content-Type-Options"] == "nosniff"
    )
    assert client.delete(reverse("api_evidence_file_detail", args=[review.pk, body["id"]])).status_code == 204
    assert not EvidenceFile.objects.exists()


def test_the_question_page_query_count_does_not_grow_with_files(
    client, review, owner, django_assert_num_queries
):
    for number in range(4):
        evidence_file_attach(
            review=review,
            bp_code="SEC01-BP01",
            upload=SimpleUploadedFile(f"{number}.txt", b"x\n"),
            actor=owner,
        )
    client.force_login(owner)
    url = reverse("review_question_files", args=[review.pk, "SEC1"])
    client.get(url)
    # Session and user, the review with the member's role (its access decision), the files; the question and
    # its practices come from the in-memory catalogue of the lens version.
    with django_assert_num_queries(5):
        assert client.get(url).status_code == 200


def test_s3_storage_keeps_evidence_files_in_the_bucket(review, owner, settings):
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("s3", region_name="eu-west-1").create_bucket(
            Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "evidence": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {"bucket_name": "evidence", "region_name": "eu-west-1", "file_overwrite": False},
            },
        }
        evidence = evidence_file_attach(
            review=review,
            bp_code="SEC01-BP01",
            upload=SimpleUploadedFile("s3.txt", b"in a bucket\n"),
            actor=owner,
        )
        stored = boto3.client("s3", region_name="eu-west-1").get_object(
            Bucket="evidence", Key=evidence.file.name
        )
        assert stored["Body"].read() == b"in a bucket\n"
        assert evidence.file.open("rb").read() == b"in a bucket\n"
