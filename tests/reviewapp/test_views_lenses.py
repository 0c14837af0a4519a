"""The browser's custom-lens import: upload, preview with every warning, confirm without a second upload."""

from __future__ import annotations

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from questionnaire.models import BestPractice, Lens, LensVersion
from reviewapp.models import AuditEvent
from tests.questionnaire.lens_shapes import as_text, published_lens, wide_lens

pytestmark = pytest.mark.django_db

PAGE = "/lenses/import/"


def upload(client, text: str, **extra):
    file = SimpleUploadedFile("lens.json", text.encode(), "application/json")
    return client.post(PAGE, {"file": file, **extra})


def hidden(response, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match, f"no hidden {name}"
    return match.group(1)


def confirm_fields(response) -> dict:
    return {name: hidden(response, name) for name in ("upload_sha256", "content_sha256")}


def test_the_page_is_reachable_from_the_admins_account_page(client, admin_user):
    client.force_login(admin_user)
    assert PAGE.encode() in client.get(reverse("account")).content
    assert reverse("lens_import") == PAGE


def test_an_upload_is_previewed_with_every_warning_and_nothing_is_written(client, admin_user):
    client.force_login(admin_user)
    before = LensVersion.objects.count()

    response = upload(client, as_text(published_lens()))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Preview: Serverless Data Controls" in page
    assert "1 pillar,\n    4 questions,\n    10 choices,\n    8 risk rules." in page
    assert "9 repairs</strong> made to read this file" in page
    assert "<code>$.pillars[0].questions[1].title</code>: is NaN, not text; the question is skipped" in page
    assert "<code>bk_daily &amp;&amp; bk_tested</code> → NO_RISK" in page
    assert "<code>default</code> → HIGH_RISK" in page
    assert LensVersion.objects.count() == before
    assert not AuditEvent.objects.filter(action="lens.import").exists()


def test_confirming_imports_what_was_previewed_without_a_second_upload(client, admin_user):
    client.force_login(admin_user)
    preview = upload(client, as_text(published_lens()))

    response = client.post(PAGE, confirm_fields(preview), follow=True)

    assert response.redirect_chain == [(PAGE, 302)]
    assert (
        b"Imported Serverless Data Controls as version 1 of the lens serverless-data-controls."
        in response.content
    )
    lens = Lens.objects.get(slug="serverless-data-controls")
    assert lens.versions.get().content_sha256 == hidden(preview, "content_sha256")
    event = AuditEvent.objects.get(action="lens.import")
    assert event.actor == admin_user and len(event.after["warnings"]) == 9
    # The held upload is released: confirming again finds nothing to import.
    again = client.post(PAGE, confirm_fields(preview))
    assert again.status_code == 400 and b"no longer held" in again.content


def test_a_big_lens_previews_and_imports(client, admin_user):
    client.force_login(admin_user)
    preview = upload(client, as_text(wide_lens()))
    assert b"22 pillars,\n    88 questions,\n    440 choices" in preview.content

    client.post(PAGE, confirm_fields(preview))

    assert BestPractice.objects.filter(question__lens_version__lens__slug="wide-lens").count() == 440


def test_a_file_with_problems_is_refused_with_each_path(client, admin_user):
    client.force_login(admin_user)
    data = published_lens()
    data["schemaVersion"] = "2020-01-01"

    response = upload(client, as_text(data))

    assert response.status_code == 400
    assert b"The file was not imported" in response.content
    refusal = "<code>$.schemaVersion: must be &#x27;2021-11-01&#x27;, not &#x27;2020-01-01&#x27;</code>"
    assert refusal.encode() in response.content
    assert b'name="upload_sha256"' not in response.content


def test_strict_refuses_a_file_that_needed_repairs(client, admin_user):
    client.force_login(admin_user)

    response = upload(client, as_text(published_lens()), strict="on")

    assert response.status_code == 400
    assert b"(refused: strict)" in response.content


def test_a_file_that_is_not_utf8_is_a_form_error(client, admin_user):
    client.force_login(admin_user)
    file = SimpleUploadedFile("lens.json", b"\xff\xfe{", "application/json")

    response = client.post(PAGE, {"file": file})

    assert response.status_code == 400 and b"not UTF-8 text" in response.content


def test_nobody_else_can_confirm_an_admins_upload(client, admin_user, django_user_model):
    client.force_login(admin_user)
    fields = confirm_fields(upload(client, as_text(published_lens())))
    other = django_user_model.objects.create_user("second_admin", org_role="ADMIN")
    client.force_login(other)

    response = client.post(PAGE, fields)

    assert response.status_code == 400 and b"no longer held" in response.content
    assert not Lens.objects.filter(slug="serverless-data-controls").exists()


def test_a_tampered_confirmation_writes_nothing(client, admin_user):
    client.force_login(admin_user)
    fields = confirm_fields(upload(client, as_text(published_lens())))
    fields["content_sha256"] = "0" * 64

    response = client.post(PAGE, fields)

    assert response.status_code == 409 and b"not what was previewed" in response.content
    assert not Lens.objects.filter(slug="serverless-data-controls").exists()


def test_team_owners_may_not_import_lenses(client, owner):
    client.force_login(owner)
    assert client.get(PAGE).status_code == 403
    assert upload(client, json.dumps(published_lens())).status_code == 403


def test_the_page_query_count_does_not_grow_with_lenses(client, admin_user, django_assert_num_queries):
    client.force_login(admin_user)
    client.get(PAGE)
    with django_assert_num_queries(3) as queries:  # session, user, lenses with their version counts
        client.get(PAGE)
    baseline = len(queries.captured_queries)
    client.post(PAGE, confirm_fields(upload(client, as_text(wide_lens()))))
    with django_assert_num_queries(baseline):
        assert b"Wide Lens" in client.get(PAGE).content
