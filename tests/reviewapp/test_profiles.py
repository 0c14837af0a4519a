"""Workload profiles: answered once per workload, they put prioritised questions first in the review, rank the
plan by priority then risk, are counted on the dashboard and stated in the PDF; rules are validated with paths."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from questionnaire.lensformat import LensFormatError
from questionnaire.models import Question
from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT
from reviewapp.models import AuditEvent, ProfilePriority
from reviewapp.reports.content import build_report
from reviewapp.selectors import improvement_plan
from reviewapp.services import answer_record
from reviewapp.services.lenses import lens_import
from reviewapp.services.profiles import profile_update

pytestmark = pytest.mark.django_db


def none_of_these(review, owner, *codes: str) -> None:
    for code in codes:
        question = Question.objects.get(lens_version=review.lens_version, code=code)
        answer_record(review=review, question=question, actor=owner, base_version=1, none_of_these=True)


def test_an_internet_facing_profile_prioritises_network_and_compute(review, owner):
    profile_update(
        workload=review.workload, actor=owner, answers={"internet_facing": True, "personal_data": False}
    )
    questions = set(
        ProfilePriority.objects.filter(workload=review.workload, kind="QUESTION").values_list(
            "code", flat=True
        )
    )
    assert questions == {"SEC5", "SEC6"}
    event = AuditEvent.objects.get(action="profile.update")
    assert event.after["internet_facing"] is True and event.workload_id == review.workload_id


def test_a_combined_rule_needs_both_answers(review, owner):
    profile_update(
        workload=review.workload, actor=owner, answers={"internet_facing": True, "personal_data": True}
    )
    found = dict(
        ProfilePriority.objects.filter(workload=review.workload, kind="QUESTION").values_list(
            "code", "priority"
        )
    )
    assert found["SEC2"] == 2 and found["SEC3"] == 2 and found["SEC7"] == 2


def test_unknown_profile_questions_are_refused_and_nothing_is_saved(review, owner):
    with pytest.raises(ValidationError, match="cloud_native is not a profile question"):
        profile_update(workload=review.workload, actor=owner, answers={"cloud_native": True})
    assert (
        not ProfilePriority.objects.exists()
        and not AuditEvent.objects.filter(action="profile.update").exists()
    )


def test_the_review_lists_prioritised_questions_first_and_marks_them(client, review, owner):
    profile_update(workload=review.workload, actor=owner, answers={"regulated_data": True})
    client.force_login(owner)
    page = client.get(reverse("review_overview", kwargs={"review_id": review.pk})).content.decode()
    order = [page.index(f'data-question="{code}"') for code in ("SEC7", "SEC8", "SEC1")]
    assert order == sorted(order)
    assert "High priority</span>" in page


def test_the_plan_ranks_by_profile_priority_before_risk(review, owner):
    # Every question has "None of these": all items are high risk, so only the profile can reorder them.
    none_of_these(review, owner, "SEC1", "SEC5", "SEC8")
    before = [row.item.bp_code for row in improvement_plan(review.workload)]
    assert before[0].startswith("SEC01")
    profile_update(workload=review.workload, actor=owner, answers={"regulated_data": True})
    rows = improvement_plan(review.workload)
    codes = [row.item.bp_code for row in rows]
    # SEC8 (data at rest) is prioritised as a whole; SEC01-BP01 is not, so it drops below all of SEC8.
    assert codes.index("SEC08-BP04") < codes.index("SEC01-BP01")
    assert rows[0].priority == 2
    assert [row.priority for row in rows] == sorted((row.priority for row in rows), reverse=True)


def test_the_plan_query_count_does_not_grow_with_priorities(client, review, owner, django_assert_num_queries):
    none_of_these(review, owner, "SEC1", "SEC5")
    client.force_login(owner)
    url = reverse("workload_plan", kwargs={"workload_id": review.workload_id})
    client.get(url)
    with CaptureQueriesContext(connection) as before:
        client.get(url)
    profile_update(
        workload=review.workload, actor=owner, answers={"internet_facing": True, "multi_account": True}
    )
    with django_assert_num_queries(len(before.captured_queries)):
        page = client.get(url).content.decode()
    assert "High priority" in page


def test_the_dashboard_counts_prioritised_open_items(client, review, owner, lead):
    none_of_these(review, owner, "SEC5")
    profile_update(workload=review.workload, actor=owner, answers={"internet_facing": True})
    client.force_login(lead)
    rows = client.get(reverse("dashboard")).context["rows"]
    assert rows[0].prioritised == 4  # the four practices of SEC5


def test_the_pdf_states_the_profile(review, owner):
    assert build_report(review).profile == []
    profile_update(
        workload=review.workload, actor=owner, answers={"personal_data": True, "multi_account": False}
    )
    profile = dict(build_report(review).profile)
    assert profile["Does it hold personal data?"] == "Yes"
    assert profile["Does it span several AWS accounts?"] == "No"
    assert profile["Is it critical to revenue?"] == "Not known"


def test_the_profile_page_saves_answers_and_shows_what_comes_first(client, review, owner, viewer):
    client.force_login(owner)
    url = reverse("workload_profile", kwargs={"workload_id": review.workload_id})
    response = client.post(url, {"internet_facing": "yes", "regulated_data": "no"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "SEC5</strong> — high priority" in page
    client.force_login(viewer)
    assert client.post(url, {"internet_facing": "no"}).status_code == 403


def test_the_api_reads_and_writes_the_profile(client, review, owner):
    client.force_login(owner)
    url = reverse("api_workload_profile", kwargs={"workload_id": review.workload_id})
    response = client.put(url, {"answers": {"internet_facing": True}}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["answers"]["internet_facing"] is True and body["answers"]["personal_data"] is None
    assert {"SEC5", "SEC6"} <= {p["code"] for p in body["priorities"] if p["kind"] == "QUESTION"}
    bad = client.put(url, {"answers": {"internet_facing": "maybe"}}, content_type="application/json")
    assert bad.status_code == 400 and "internet_facing" in bad.json()["non_field_errors"][0]


def _custom_lens_with(rules) -> str:
    document = json.loads(json.dumps(CUSTOM_LENS_DOCUMENT))
    document["profileRules"] = rules
    return json.dumps(document)


def test_a_custom_lens_with_rules_naming_unknown_questions_is_refused_with_the_path(admin_user):
    rules = [{"when": "internet_facing", "priority": "HIGH", "questions": ["nope"]}]
    with pytest.raises(LensFormatError) as refused:
        lens_import(text=_custom_lens_with(rules), actor=admin_user)
    paths = [problem.path for problem in refused.value.problems]
    assert "$.profileRules[0].questions[0]" in paths


def test_a_custom_lens_carries_its_profile_rules(admin_user, review, owner):
    question = CUSTOM_LENS_DOCUMENT["pillars"][0]["questions"][0]["id"]
    rules = [{"when": "revenue_critical", "priority": "ELEVATED", "questions": [question], "why": "Money."}]
    version, _ = lens_import(text=_custom_lens_with(rules), actor=admin_user)
    assert version.profile_rules == rules
    profile_update(workload=review.workload, actor=owner, answers={"revenue_critical": True})
    assert ProfilePriority.objects.filter(lens=version.lens, code=question, priority=1).exists()
