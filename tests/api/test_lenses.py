"""/api/v1/lenses/: list and read the catalogue, import AWS custom-lens JSON (admins), export any version."""

from __future__ import annotations

import copy
import json

import pytest
from django.urls import reverse

from questionnaire.lensformat import parse_custom_lens
from questionnaire.models import Lens
from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT
from reviewapp.models import AuditEvent

from .conftest import as_user

pytestmark = pytest.mark.django_db


def preview_lens(api, document=None, **extra):
    # Sent as Python writes JSON, so a published lens's bare NaN reaches the server as it would from a client.
    body = json.dumps({"document": document or CUSTOM_LENS_DOCUMENT, **extra})
    return api.post(reverse("api_lens_import_preview"), body, content_type="application/json")


def import_lens(api, document=None, **extra):
    """Preview, then import with the preview's content hash, as a client is meant to."""
    document = document or CUSTOM_LENS_DOCUMENT
    preview = preview_lens(api, document, **extra)
    if preview.status_code != 200:
        return preview
    confirm = preview.json()["content_sha256"]
    body = json.dumps({"document": document, "confirm": confirm, **extra})
    return api.post(reverse("api_lens_import"), body, content_type="application/json")


def test_any_signed_in_user_lists_the_lenses(api, viewer):
    body = as_user(api, viewer).get(reverse("api_lens_list")).json()
    assert body["count"] == 1
    lens = body["results"][0]
    assert lens["slug"] == "wellarchitected-security" and lens["kind"] == "BUILTIN"
    assert lens["current_version"]["questions"] == 11


def test_an_admin_imports_a_custom_lens_once(api, admin_user):
    as_user(api, admin_user)
    response = import_lens(api, slug="payments-controls")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["created"] is True
    assert body["lens"]["slug"] == "payments-controls" and body["lens"]["kind"] == "CUSTOM"
    assert body["lens"]["current_version"] | {"created_at": None} == {
        "number": 1,
        "label": "2025.1",
        "name": "Payments controls",
        "risk_model": "RULES",
        "questions": 1,
        "created_at": None,
    }
    assert AuditEvent.objects.filter(action="lens.import").count() == 1
    again = import_lens(api, slug="payments-controls")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert AuditEvent.objects.filter(action="lens.import").count() == 1


def test_import_reports_every_problem_with_its_path(api, admin_user):
    document = copy.deepcopy(CUSTOM_LENS_DOCUMENT)
    document["schemaVersion"] = "2020-01-01"
    document["pillars"][0]["questions"][0]["riskRules"][0]["condition"] = "card_data_typo"
    response = import_lens(as_user(api, admin_user), document)
    assert response.status_code == 400
    messages = response.json()["document"]
    assert any(message.startswith("$.schemaVersion:") for message in messages)
    path = "$.pillars[0].questions[0].riskRules[0].condition"
    assert f"{path}: unknown choice id 'card_data_typo' at position 0" in messages
    assert not Lens.objects.filter(kind="CUSTOM").exists()


def test_import_needs_a_document(api, admin_user):
    response = as_user(api, admin_user).post(reverse("api_lens_import"), {"slug": "x"}, format="json")
    assert response.status_code == 400
    assert "document" in response.json()


def test_import_refuses_to_add_to_a_built_in_lens(api, admin_user):
    response = import_lens(as_user(api, admin_user), slug="wellarchitected-security")
    assert response.status_code == 400
    assert "built-in" in response.json()["slug"][0]


def test_only_organisation_admins_import(api, owner, lead):
    assert import_lens(as_user(api, owner)).status_code == 403
    assert import_lens(as_user(api, lead)).status_code == 403
    assert not Lens.objects.filter(kind="CUSTOM").exists()


def test_it_shows_a_lens_with_its_versions(api, owner):
    response = as_user(api, owner).get(
        reverse("api_lens_detail", kwargs={"slug": "wellarchitected-security"})
    )
    assert response.status_code == 200
    assert [version["number"] for version in response.json()["versions"]] == [1]
    assert api.get(reverse("api_lens_detail", kwargs={"slug": "nope"})).status_code == 404


def test_it_exports_the_built_in_lens_as_a_valid_custom_lens(api, owner):
    response = as_user(api, owner).get(
        reverse("api_lens_export", kwargs={"slug": "wellarchitected-security"})
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="wellarchitected-security-v1.json"'
    data = response.json()
    assert data["schemaVersion"] == "2021-11-01"
    # What we export imports again without a problem.
    doc = parse_custom_lens(json.dumps(data), slug="exported-copy")
    assert len(doc.questions()) == 11


def test_an_imported_lens_round_trips(api, admin_user):
    as_user(api, admin_user)
    import_lens(api, slug="payments-controls")
    exported = api.get(
        reverse("api_lens_export", kwargs={"slug": "payments-controls"}), {"version": 1}
    ).json()
    assert exported["name"] == "Payments controls"
    assert import_lens(api, exported, slug="payments-controls").json()["created"] is False


def test_export_of_a_missing_version_is_404_and_a_bad_one_400(api, owner):
    as_user(api, owner)
    url = reverse("api_lens_export", kwargs={"slug": "wellarchitected-security"})
    assert api.get(url, {"version": 9}).status_code == 404
    assert api.get(url, {"version": "latest"}).status_code == 400


def test_the_lens_list_query_count_does_not_grow(api, admin_user, django_assert_num_queries):
    as_user(api, admin_user)
    api.get(reverse("api_lens_list"))
    with django_assert_num_queries(3) as few:  # token, lenses, versions with question counts
        api.get(reverse("api_lens_list"))
    baseline = len(few.captured_queries)  # read now: the next request resets Django's query log
    import_lens(api, slug="payments-controls")
    with django_assert_num_queries(baseline):
        assert api.get(reverse("api_lens_list")).json()["count"] == 2


def test_a_published_lens_with_nan_imports_through_the_api(api, admin_user):
    from tests.questionnaire.lens_shapes import published_lens

    response = import_lens(as_user(api, admin_user), published_lens())

    assert response.status_code == 201, response.json()
    assert response.json()["lens"]["current_version"]["questions"] == 4
    event = AuditEvent.objects.get(action="lens.import")
    assert len(event.after["warnings"]) == 9


def test_the_import_url_does_not_read(api, admin_user):
    assert as_user(api, admin_user).get(reverse("api_lens_import")).status_code == 405


def test_a_preview_shows_what_would_be_imported_and_writes_nothing(api, admin_user):
    from tests.questionnaire.lens_shapes import published_lens

    response = preview_lens(as_user(api, admin_user), published_lens())

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["slug"] == "serverless-data-controls" and body["already_stored_as_version"] is None
    assert body["counts"] == {"pillars": 1, "questions": 4, "choices": 10, "risk_rules": 8, "warnings": 9}
    assert body["pillars"][0]["questions"][2]["risk_rules"][-1] == {
        "condition": "default",
        "risk": "HIGH_RISK",
    }
    assert {
        "path": "$.pillars[0].questions[1].title",
        "message": "is NaN, not text; the question is skipped",
    } in body["warnings"]
    assert not Lens.objects.filter(kind="CUSTOM").exists()
    assert not AuditEvent.objects.filter(action="lens.import").exists()


def test_an_import_without_a_confirmed_preview_is_refused(api, admin_user):
    response = as_user(api, admin_user).post(
        reverse("api_lens_import"), {"document": CUSTOM_LENS_DOCUMENT}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["confirm"] == [
        "Preview the file first (POST lens-imports/preview/) and send its content_sha256 here."
    ]
    assert not Lens.objects.filter(kind="CUSTOM").exists()


def test_an_import_of_another_document_than_the_preview_is_a_conflict(api, admin_user):
    as_user(api, admin_user)
    confirm = preview_lens(api).json()["content_sha256"]
    changed = copy.deepcopy(CUSTOM_LENS_DOCUMENT)
    changed["pillars"][0]["questions"][0]["title"] = "Something else?"

    response = api.post(reverse("api_lens_import"), {"document": changed, "confirm": confirm}, format="json")

    assert response.status_code == 409
    assert "not what was previewed" in response.json()["detail"]
    assert not Lens.objects.filter(kind="CUSTOM").exists()


def test_strict_refuses_a_document_that_needed_repairs(api, admin_user):
    from tests.questionnaire.lens_shapes import published_lens

    response = preview_lens(as_user(api, admin_user), published_lens(), strict=True)

    assert response.status_code == 400
    assert len(response.json()["document"]) == 9
    assert response.json()["document"][0].endswith("(refused: strict)")


def test_a_preview_says_when_the_content_is_already_stored(api, admin_user):
    as_user(api, admin_user)
    import_lens(api, slug="payments-controls")

    assert preview_lens(api, slug="payments-controls").json()["already_stored_as_version"] == 1


def test_only_organisation_admins_preview(api, owner):
    assert preview_lens(as_user(api, owner)).status_code == 403
