"""/api/v1/workloads/: list with filters, create, read, update and archive, with access.py's rules."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.models import AuditEvent, Workload
from reviewapp.services import workload_create

from .conftest import as_user

pytestmark = pytest.mark.django_db

NEW = {
    "name": "Refunds",
    "description": "Pays money back.",
    "environment": "PREPRODUCTION",
    "review_owner": "olivia@example.test",
    "aws_regions": ["eu-west-1", "eu-central-1"],
    "account_ids": ["444455556666"],
    "tags": {"cost-centre": "42"},
}


def detail(workload) -> str:
    return reverse("api_workload_detail", kwargs={"workload_id": workload.pk})


def test_it_lists_the_workloads_i_may_see(api, owner, workload, outsider):
    body = as_user(api, owner).get(reverse("api_workload_list")).json()
    assert [row["name"] for row in body["results"]] == ["Checkout API"]
    assert body["results"][0]["team_name"] == "Payments"
    assert as_user(api, outsider).get(reverse("api_workload_list")).json()["count"] == 0


def test_it_filters_by_environment_name_and_archive_state(api, owner, team, workload):
    other = workload_create(team=team, actor=owner, **NEW)
    other.is_archived = True
    other.save()
    as_user(api, owner)
    url = reverse("api_workload_list")
    assert [r["name"] for r in api.get(url).json()["results"]] == ["Checkout API"]
    assert [r["name"] for r in api.get(url, {"archived": "true"}).json()["results"]] == ["Refunds"]
    assert [r["name"] for r in api.get(url, {"archived": "all", "ordering": "-name"}).json()["results"]] == [
        "Refunds",
        "Checkout API",
    ]
    assert api.get(url, {"archived": "all", "environment": "PREPRODUCTION"}).json()["count"] == 1
    assert api.get(url, {"archived": "all", "q": "check"}).json()["count"] == 1
    assert api.get(url, {"team": str(team.pk)}).json()["count"] == 1


def test_it_rejects_bad_filters_with_field_messages(api, owner, workload):
    response = as_user(api, owner).get(reverse("api_workload_list"), {"environment": "TEST", "team": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"environment", "team"}


def test_the_list_query_count_does_not_grow(
    api, owner, team, workload, django_assert_num_queries, django_assert_max_num_queries
):
    as_user(api, owner)
    api.get(reverse("api_workload_list"))
    with django_assert_max_num_queries(3) as few:  # token, count, page
        api.get(reverse("api_workload_list"))
    for index in range(8):
        workload_create(team=team, actor=owner, **(NEW | {"name": f"Workload {index}"}))
    with django_assert_num_queries(len(few.captured_queries)):
        api.get(reverse("api_workload_list"))


def test_it_creates_a_workload_and_audits_it(api, contributor, team):
    response = as_user(api, contributor).post(
        reverse("api_workload_list"), NEW | {"team": str(team.pk)}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Refunds" and body["aws_regions"] == ["eu-west-1", "eu-central-1"]
    workload = Workload.objects.get(pk=body["id"])
    assert workload.created_by == contributor
    assert AuditEvent.objects.filter(action="workload.create", object_id=str(workload.pk)).exists()


def test_create_gives_field_messages(api, owner, team, workload):
    response = as_user(api, owner).post(
        reverse("api_workload_list"),
        {
            "team": str(team.pk),
            "name": "Checkout API",
            "description": "",
            "environment": "TEST",
            "review_owner": "x",
            "aws_regions": ["Ireland"],
            "account_ids": ["123"],
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"description", "environment", "aws_regions", "account_ids"}
    assert "Ireland" in response.json()["aws_regions"][0]


def test_create_reports_a_duplicate_name(api, owner, team, workload):
    response = as_user(api, owner).post(
        reverse("api_workload_list"), NEW | {"team": str(team.pk), "name": "checkout api"}, format="json"
    )
    assert response.status_code == 400
    assert "already has a workload" in response.json()["name"][0]


def test_a_viewer_cannot_create_in_their_team(api, viewer, team):
    response = as_user(api, viewer).post(
        reverse("api_workload_list"), NEW | {"team": str(team.pk)}, format="json"
    )
    assert response.status_code == 403
    assert not Workload.objects.filter(name="Refunds").exists()


def test_an_outsider_cannot_tell_the_team_exists(api, outsider, team):
    response = as_user(api, outsider).post(
        reverse("api_workload_list"), NEW | {"team": str(team.pk)}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"team": ["No such team."]}


def test_it_reads_a_workload(api, viewer, workload):
    body = as_user(api, viewer).get(detail(workload)).json()
    assert body["id"] == str(workload.pk)
    assert body["account_ids"] == ["111122223333"]


def test_an_outsider_gets_404(api, outsider, workload):
    as_user(api, outsider)
    assert api.get(detail(workload)).status_code == 404
    assert api.patch(detail(workload), {"notes": "x"}, format="json").status_code == 404
    archive = reverse("api_workload_archive", kwargs={"workload_id": workload.pk})
    assert api.post(archive, {"archived": True}, format="json").status_code == 404


def test_it_updates_only_the_fields_sent(api, contributor, workload):
    response = as_user(api, contributor).patch(
        detail(workload), {"review_owner": "priya@example.test"}, format="json"
    )
    assert response.status_code == 200
    workload.refresh_from_db()
    assert workload.review_owner == "priya@example.test"
    assert workload.description == "Takes card payments for the web shop."
    event = AuditEvent.objects.get(action="workload.update", object_id=str(workload.pk))
    assert event.after == {"review_owner": "priya@example.test"}


def test_update_gives_field_messages_and_changes_nothing(api, owner, workload):
    response = as_user(api, owner).patch(detail(workload), {"name": "", "tags": {"": "x"}}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"name", "tags"}
    workload.refresh_from_db()
    assert workload.name == "Checkout API"


def test_a_viewer_cannot_update(api, viewer, workload):
    response = as_user(api, viewer).patch(detail(workload), {"notes": "x"}, format="json")
    assert response.status_code == 403
    workload.refresh_from_db()
    assert workload.notes == ""


def test_the_owner_archives_and_restores(api, owner, workload):
    url = reverse("api_workload_archive", kwargs={"workload_id": workload.pk})
    as_user(api, owner)
    assert api.post(url, {"archived": True}, format="json").json()["is_archived"] is True
    assert api.post(url, {"archived": False}, format="json").json()["is_archived"] is False
    assert list(
        AuditEvent.objects.filter(object_id=str(workload.pk), action__startswith="workload.").values_list(
            "action", flat=True
        )
    ) == ["workload.create", "workload.archive", "workload.unarchive"]


def test_archive_needs_the_administer_right(api, contributor, viewer, workload):
    url = reverse("api_workload_archive", kwargs={"workload_id": workload.pk})
    assert as_user(api, contributor).post(url, {"archived": True}, format="json").status_code == 403
    assert as_user(api, viewer).post(url, {"archived": True}, format="json").status_code == 403
    workload.refresh_from_db()
    assert not workload.is_archived
    assert not AuditEvent.objects.filter(action="workload.archive").exists()


def test_archive_needs_a_boolean(api, owner, workload):
    url = reverse("api_workload_archive", kwargs={"workload_id": workload.pk})
    response = as_user(api, owner).post(url, {}, format="json")
    assert response.status_code == 400
    assert "archived" in response.json()
