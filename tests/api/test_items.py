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
    assert api.patch(detail(items["SEC01-BP07"]), {"status": "IN_PROGRESS"}, format="json").status_code == 404
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
    response = as_user(api, contributor).patch(
        detail(item),
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
    response = api.patch(detail(item), {"notes": "Waiting on the platform team."}, format="json")
    assert response.json()["owner"] == "carl_contributor" and response.json()["status"] == "IN_PROGRESS"


def test_accepting_a_risk_needs_a_justification_and_expiry(api, owner, items):
    item = items["SEC01-BP07"]
    as_user(api, owner)
    response = api.patch(detail(item), {"status": "RISK_ACCEPTED"}, format="json")
    assert response.status_code == 400
    assert {"acceptance_justification", "acceptance_expires_on"} <= set(response.json())
    expires = (timezone.localdate() + timedelta(days=90)).isoformat()
    response = api.patch(
        detail(item),
        {
            "status": "RISK_ACCEPTED",
            "acceptance_justification": "Compensating control: nightly review.",
            "acceptance_expires_on": expires,
        },
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["accepted_by"] == "olivia_owner"
    assert AuditEvent.objects.filter(action="item.accept_risk", object_id=str(item.pk)).exists()
    item.refresh_from_db()
    assert (item.status, item.accepted_by, item.acceptance_expires_on.isoformat()) == (
        "RISK_ACCEPTED",
        owner,
        expires,
    )
    assert item.acceptance_justification == "Compensating control: nightly review."


def test_done_cannot_be_set_by_hand(api, owner, items):
    response = as_user(api, owner).patch(detail(items["SEC01-BP07"]), {"status": "DONE"}, format="json")
    assert response.status_code == 400
    assert "selected in the review" in response.json()["status"][0]


def test_an_owner_must_be_a_known_team_member(api, owner, outsider, items):
    as_user(api, owner)
    response = api.patch(detail(items["SEC01-BP07"]), {"owner": "nobody_here"}, format="json")
    assert response.json() == {"owner": ["No such user."]}
    response = api.patch(detail(items["SEC01-BP07"]), {"owner": outsider.username}, format="json")
    assert response.status_code == 400 and "owner" in response.json()


def test_bad_types_are_400(api, owner, items):
    response = as_user(api, owner).patch(
        detail(items["SEC01-BP07"]), {"due_date": "next week", "status": "SOON"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"due_date", "status"}


def test_a_viewer_reads_but_cannot_track(api, viewer, items):
    as_user(api, viewer)
    response = api.get(detail(items["SEC01-BP07"]))
    assert response.status_code == 200 and response.json()["bp_code"] == "SEC01-BP07"
    assert api.patch(detail(items["SEC01-BP07"]), {"status": "IN_PROGRESS"}, format="json").status_code == 403
    items["SEC01-BP07"].refresh_from_db()
    assert items["SEC01-BP07"].status == "OPEN"


def test_a_security_lead_may_plan_any_workload(api, lead, items):
    response = as_user(api, lead).patch(detail(items["SEC01-BP07"]), {"status": "IN_PROGRESS"}, format="json")
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
