"""/api/v1/audit/: the whole audit trail for security leads and administrators, filtered, paged, exported."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.urls import reverse

from reviewapp.audit import audit_record
from reviewapp.models import AuditEvent

from .conftest import as_user

pytestmark = pytest.mark.django_db

URL = reverse("api_audit_list")


@pytest.fixture
def trail(workload, owner):
    audit_record(actor=owner, action="item.update", object_type="ImprovementItem", workload_id=workload.pk)
    audit_record(actor=owner, action="auth.login", object_type="User", after={"ip": "=cmd"})
    audit_record(actor=None, actor_label="system", action="item.acceptance_expired", workload_id=workload.pk)


def test_a_lead_filters_the_trail_newest_first(api, lead, trail, workload):
    body = as_user(api, lead).get(URL, {"action": "item"}).json()
    assert [row["action"] for row in body["results"]] == ["item.acceptance_expired", "item.update"]
    body = api.get(URL, {"actor": "olivia_owner", "workload": str(workload.pk), "action": "item"}).json()
    assert [row["action"] for row in body["results"]] == ["item.update"]
    assert body["results"][0]["actor"] == "olivia_owner" and len(body["results"][0]["hash"]) == 64


def test_team_owners_and_members_are_refused(api, owner, viewer, trail):
    assert as_user(api, owner).get(URL).status_code == 403
    assert as_user(api, viewer).get(URL).status_code == 403


def test_bad_filters_get_400_with_the_reason(api, lead, trail):
    response = as_user(api, lead).get(URL, {"since": "2026-02-01", "until": "2026-01-01"})
    assert response.status_code == 400 and "before the start" in response.json()["until"][0]
    assert api.get(URL, {"export": "xml"}).status_code == 400


def test_the_csv_export_is_whole_safe_and_audited(api, lead, trail):
    response = as_user(api, lead).get(URL, {"export": "csv", "action": "auth"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == ["auth.login"]
    assert not rows[0]["after"].startswith("=")
    export = AuditEvent.objects.filter(action="audit.export").latest("id")
    assert export.actor == lead and export.after["format"] == "csv" and export.after["action"] == "auth"


def test_the_json_export_lists_every_matching_entry(api, lead, trail):
    response = as_user(api, lead).get(URL, {"export": "json", "action": "item"})
    rows = json.loads(b"".join(response.streaming_content))
    assert {row["action"] for row in rows} == {"item.update", "item.acceptance_expired"}


def test_the_page_query_count_does_not_grow(api, lead, trail, workload, owner, django_assert_num_queries):
    as_user(api, lead)
    api.get(URL)  # the first call also records the token's use
    with django_assert_num_queries(3) as first:
        api.get(URL)
    for _ in range(20):
        audit_record(actor=owner, action="item.update", workload_id=workload.pk)
    with django_assert_num_queries(len(first.captured_queries)):  # token, count, page
        api.get(URL)
