"""/api/v1/improvement-items/: the plan across workloads and per workload, and tracking changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from questionnaire.models import Question
from reviewapp.models import AuditEvent, ImprovementItem
from reviewapp.services import answer_record

from .conftest import as_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(review, owner):
    """SEC1 answered with BP01-BP04 selected: BP05-BP08 are on the plan."""
    question = Question.objects.get(lens_version=review.lens_version, code="SEC1")
    selected = ["SEC01-BP01", "SEC01-BP02", "SEC01-BP03", "SEC01-BP04"]
    answer_record(review=review, question=question, actor=owner, base_version=1, selected=selected)
    return {item.bp_code: item for item in ImprovementItem.objects.filter(workload=review.workload)}


def detail(item) -> str:
    return reverse("api_item_detail", kwargs={"item_id": item.pk})


def change(client, item, data, **kwargs):
    """PATCH the item as a client that has just read it: If-Match names the version stored now."""
    version = ImprovementItem.objects.values_list("version", flat=True).get(pk=item.pk)
    return client.patch(detail(item), data, headers={"If-Match": f'"{version}"'}, **kwargs)


def test_it_lists_items_in_priority_order(api, viewer, items):
    body = as_user(api, viewer).get(reverse("api_item_list")).json()
    # SEC01-BP07 is High, BP05/BP06 Medium, BP08 Low.
    assert [row["bp_code"] for row in body["results"]] == [
        "SEC01-BP07",
        "SEC01-BP05",
        "SEC01-BP06",
        "SEC01-BP08",
    ]
    first = body["results"][0]
    assert first["question"] == "SEC1" and first["question_risk"] == "HIGH" and first["level"] == "HIGH"
    assert first["status"] == "OPEN" and first["owner"] is None


def test_an_outsider_sees_no_items_and_gets_404_for_one(api, outsider, items, workload):
    as_user(api, outsider)
    assert api.get(reverse("api_item_list")).json()["results"] == []
    assert api.get(detail(items["SEC01-BP07"])).status_code == 404
    assert change(api, items["SEC01-BP07"], {"status": "IN_PROGRESS"}, format="json").status_code == 404
    assert api.get(reverse("api_workload_item_list", kwargs={"workload_id": workload.pk})).status_code == 404


def test_it_filters_items(api, owner, items, workload):
    item = items["SEC01-BP05"]
    item.owner = owner
    item.status = "IN_PROGRESS"
    item.due_date = timezone.localdate() - timedelta(days=1)
    item.save()
    as_user(api, owner)
    url = reverse("api_workload_item_list", kwargs={"workload_id": workload.pk})

    def codes(**params):
        response = api.get(url, params)
        assert response.status_code == 200, response.json()
        return [row["bp_code"] for row in response.json()["results"]]

    assert codes(status="IN_PROGRESS") == ["SEC01-BP05"]
    assert codes(owner="me") == ["SEC01-BP05"]
    assert codes(owner="olivia_owner") == ["SEC01-BP05"]
    assert codes(owner="none") == ["SEC01-BP07", "SEC01-BP06", "SEC01-BP08"]
    assert codes(level="LOW") == ["SEC01-BP08"]
    assert codes(overdue="true") == ["SEC01-BP05"]
    assert codes(ordering="due_date")[0] == "SEC01-BP05"
    assert codes(ordering="-priority")[0] == "SEC01-BP08"
    assert api.get(url, {"status": "LOST", "ordering": "owner__password"}).status_code == 400


def test_closed_items_are_left_out_unless_asked_for(api, owner, review, items):
    question = Question.objects.get(lens_version=review.lens_version, code="SEC1")
    everything = [f"SEC01-BP0{n}" for n in range(1, 9)]
    answer_record(review=review, question=question, actor=owner, base_version=2, selected=everything)
    as_user(api, owner)
    assert api.get(reverse("api_item_list")).json()["results"] == []
    rows = api.get(reverse("api_item_list"), {"include_closed": "true"}).json()["results"]
    assert {row["status"] for row in rows} == {"DONE"}


def test_the_item_list_query_count_does_not_grow(
    api, owner, review, items, django_assert_num_queries, django_assert_max_num_queries
):
    as_user(api, owner)
    api.get(reverse("api_item_list"))
    with django_assert_max_num_queries(4) as few:  # token, items, best practices, answer risks
        api.get(reverse("api_item_list"))
    baseline = len(few.captured_queries)
    question = Question.objects.get(lens_version=review.lens_version, code="SEC2")
    answer_record(review=review, question=question, actor=owner, base_version=1, none_of_these=True)
    with django_assert_num_queries(baseline):
        assert len(api.get(reverse("api_item_list")).json()["results"]) > 4


def test_a_contributor_tracks_an_item(api, contributor, items):
    item = items["SEC01-BP07"]
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = change(
        as_user(api, contributor),
        item,
        {
            "status": "IN_PROGRESS",
            "owner": "carl_contributor",
            "due_date": due,
            "ticket_url": "https://tickets.example.test/SEC-1",
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["status"], body["owner"], body["due_date"]) == ("IN_PROGRESS", "carl_contributor", due)
    assert AuditEvent.objects.filter(action="item.update", object_id=str(item.pk)).exists()
    # Fields left out keep their value.
    response = change(api, item, {"notes": "Waiting on the platform team."}, format="json")
    assert response.json()["owner"] == "carl_contributor" and response.json()["status"] == "IN_PROGRESS"


def test_the_api_cannot_accept_a_risk_without_approval(api, owner, items):
    item = items["SEC01-BP07"]
    expires = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = change(
        as_user(api, owner),
        item,
        {
            "status": "RISK_ACCEPTED",
            "acceptance_justification": "Compensating control: nightly review.",
            "acceptance_expires_on": expires,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "approves it" in response.json()["status"][0]
    item.refresh_from_db()
    assert item.status == "OPEN"


def test_done_cannot_be_set_by_hand(api, owner, items):
    response = change(as_user(api, owner), items["SEC01-BP07"], {"status": "DONE"}, format="json")
    assert response.status_code == 400
    assert "selected in the review" in response.json()["status"][0]


def test_an_owner_must_be_a_known_team_member(api, owner, outsider, items):
    as_user(api, owner)
    response = change(api, items["SEC01-BP07"], {"owner": "nobody_here"}, format="json")
    assert response.json() == {"owner": ["No such user."]}
    response = change(api, items["SEC01-BP07"], {"owner": outsider.username}, format="json")
    assert response.status_code == 400 and "owner" in response.json()


def test_bad_types_are_400(api, owner, items):
    response = change(
        as_user(api, owner), items["SEC01-BP07"], {"due_date": "next week", "status": "SOON"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"due_date", "status"}


def test_a_viewer_reads_but_cannot_track(api, viewer, items):
    as_user(api, viewer)
    response = api.get(detail(items["SEC01-BP07"]))
    assert response.status_code == 200 and response.json()["bp_code"] == "SEC01-BP07"
    assert change(api, items["SEC01-BP07"], {"status": "IN_PROGRESS"}, format="json").status_code == 403
    items["SEC01-BP07"].refresh_from_db()
    assert items["SEC01-BP07"].status == "OPEN"


def test_a_security_lead_may_plan_any_workload(api, lead, items):
    response = change(as_user(api, lead), items["SEC01-BP07"], {"status": "IN_PROGRESS"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "IN_PROGRESS"
    items["SEC01-BP07"].refresh_from_db()
    assert items["SEC01-BP07"].status == "IN_PROGRESS"
    event = AuditEvent.objects.filter(object_id=str(items["SEC01-BP07"].pk)).latest("id")
    assert event.actor == lead and event.after["status"] == "IN_PROGRESS"


@pytest.mark.parametrize("ordering", ["priority", "-priority", "due_date", "-updated_at"])
def test_cursor_pages_show_every_item_once_in_order(api, owner, items, ordering):
    as_user(api, owner)
    whole = api.get(reverse("api_item_list"), {"ordering": ordering, "page_size": 200}).json()
    assert whole["next"] is None
    seen, url, params = [], reverse("api_item_list"), {"ordering": ordering, "page_size": 2}
    while url:
        body = api.get(url, params).json()
        seen += [row["id"] for row in body["results"]]
        url, params = body["next"], None
    assert seen == [row["id"] for row in whole["results"]]
    assert len(seen) == len(set(seen)) == len(items)


def test_a_forged_cursor_gets_400_with_a_reason(api, owner, items):
    as_user(api, owner)
    response = api.get(reverse("api_item_list"), {"cursor": "not-ours"})
    assert response.status_code == 400
    assert "cursor" in response.json()


def test_a_change_without_if_match_gets_428_and_saves_nothing(api, owner, items):
    item = items["SEC01-BP07"]
    response = as_user(api, owner).patch(detail(item), {"notes": "no precondition"}, format="json")
    assert response.status_code == 428
    assert '"1"' in response.json()["detail"]
    item.refresh_from_db()
    assert item.notes == "" and item.version == 1


def test_reading_an_item_gives_its_version_as_etag(api, owner, items):
    response = as_user(api, owner).get(detail(items["SEC01-BP07"]))
    assert response.headers["ETag"] == '"1"' and response.json()["version"] == 1
    response = change(api, items["SEC01-BP07"], {"notes": "first"}, format="json")
    assert response.headers["ETag"] == '"2"' and response.json()["version"] == 2


def test_concurrent_item_edits_get_412_and_nothing_is_overwritten(api, owner, contributor, items):
    """Two automations read the item at version 1; the second save is refused with the first's result."""
    item = items["SEC01-BP07"]
    stale = {"If-Match": '"1"'}
    first = as_user(api, owner).patch(detail(item), {"notes": "Owner's plan"}, headers=stale, format="json")
    assert first.status_code == 200
    second = as_user(api, contributor).patch(
        detail(item), {"notes": "Contributor's plan", "status": "IN_PROGRESS"}, headers=stale, format="json"
    )
    assert second.status_code == 412
    body = second.json()
    assert body["current"]["notes"] == "Owner's plan" and body["current"]["version"] == 2
    assert second.headers["ETag"] == '"2"' and "nothing was saved" in body["detail"]
    item.refresh_from_db()
    assert (item.notes, item.status, item.version) == ("Owner's plan", "OPEN", 2)
    assert AuditEvent.objects.filter(action="item.update", object_id=str(item.pk)).count() == 1
    # Retrying with the ETag from the conflict succeeds.
    retry = api.patch(
        detail(item), {"notes": "Merged plan"}, headers={"If-Match": second.headers["ETag"]}, format="json"
    )
    assert retry.status_code == 200 and retry.json()["notes"] == "Merged plan"


def test_a_weak_or_malformed_etag_never_matches(api, owner, items):
    as_user(api, owner)
    for tag in ('W/"1"', "1", '"one"'):
        response = api.patch(
            detail(items["SEC01-BP07"]), {"notes": "x"}, headers={"If-Match": tag}, format="json"
        )
        assert response.status_code == 412, tag


BULK = reverse("api_item_bulk_update")


def test_a_bulk_update_changes_every_item_at_once(api, owner, contributor, items):
    first, second = items["SEC01-BP05"], items["SEC01-BP06"]
    changes = [
        {"id": str(first.pk), "version": 1, "owner": "carl_contributor", "status": "IN_PROGRESS"},
        {"id": str(second.pk), "version": 1, "due_date": "2030-01-31"},
    ]
    response = as_user(api, owner).post(BULK, {"items": changes}, format="json")
    assert response.status_code == 200, response.json()
    by_code = {row["bp_code"]: row for row in response.json()}
    assert (by_code["SEC01-BP05"]["owner"], by_code["SEC01-BP05"]["status"]) == (
        "carl_contributor",
        "IN_PROGRESS",
    )
    assert by_code["SEC01-BP06"]["due_date"] == "2030-01-31" and by_code["SEC01-BP06"]["version"] == 2


def test_a_bulk_update_writes_nothing_if_one_change_is_refused(api, owner, outsider, items):
    good, stale, bad = items["SEC01-BP05"], items["SEC01-BP06"], items["SEC01-BP07"]
    change(as_user(api, owner), stale, {"notes": "changed meanwhile"}, format="json")
    audited = AuditEvent.objects.count()
    changes = [
        {"id": str(good.pk), "version": 1, "notes": "fine on its own"},
        {"id": str(stale.pk), "version": 1, "notes": "based on an old read"},
        {"id": str(bad.pk), "version": 1, "owner": outsider.username},
        {"id": "00000000-0000-0000-0000-000000000000", "version": 1, "notes": "x"},
    ]
    response = api.post(BULK, {"items": changes}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert "3 of 4 changes were refused: nothing was saved" in body["detail"]
    refused = {entry["index"]: entry["problems"] for entry in body["refused"]}
    assert set(refused) == {1, 2, 3}
    assert "version 2" in refused[1]["version"][0]
    assert "not a member" in refused[2]["owner"][0]
    assert refused[3] == {"id": ["No such improvement item."]}
    good.refresh_from_db()
    assert (good.notes, good.version) == ("", 1)
    assert AuditEvent.objects.count() == audited


def test_a_bulk_update_refuses_items_the_caller_may_not_change(api, viewer, outsider, items):
    target = items["SEC01-BP05"]
    changes = {"items": [{"id": str(target.pk), "version": 1, "notes": "not mine"}]}
    viewer_answer = as_user(api, viewer).post(BULK, changes, format="json").json()
    assert "role does not allow" in viewer_answer["refused"][0]["problems"]["id"][0]
    outsider_answer = as_user(api, outsider).post(BULK, changes, format="json").json()
    assert outsider_answer["refused"][0]["problems"] == {"id": ["No such improvement item."]}
    target.refresh_from_db()
    assert target.notes == ""


def test_a_bulk_update_cannot_accept_risks_or_be_empty(api, owner, items):
    as_user(api, owner)
    entry = {"id": str(items["SEC01-BP05"].pk), "version": 1, "status": "RISK_ACCEPTED"}
    assert api.post(BULK, {"items": [entry]}, format="json").status_code == 400
    assert api.post(BULK, {"items": []}, format="json").status_code == 400
