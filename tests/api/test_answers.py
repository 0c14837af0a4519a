"""/api/v1/reviews/<id>/answers/: read answers, and change one by question code with ETag / If-Match."""

from __future__ import annotations

import pytest
from django.urls import reverse

from questionnaire.models import Question
from reviewapp.models import Answer, AuditEvent, ImprovementItem
from reviewapp.services import answer_record

from .conftest import as_user

pytestmark = pytest.mark.django_db


def url(review, code: str = "SEC1") -> str:
    return reverse("api_answer_detail", kwargs={"review_id": review.pk, "question_code": code})


def record(review, owner, code: str = "SEC1", base: int = 1, **values) -> Answer:
    question = Question.objects.get(lens_version=review.lens_version, code=code)
    return answer_record(review=review, question=question, actor=owner, base_version=base, **values)


def test_it_lists_answers_in_catalogue_order(api, viewer, review):
    body = as_user(api, viewer).get(reverse("api_answer_list", kwargs={"review_id": review.pk})).json()
    assert body["count"] == 11
    assert [row["question"] for row in body["results"]][:3] == ["SEC1", "SEC2", "SEC3"]
    assert body["results"][0]["risk"] == "UNANSWERED"


def test_it_filters_answers_by_risk(api, owner, review):
    record(review, owner, none_of_these=True)
    as_user(api, owner)
    list_url = reverse("api_answer_list", kwargs={"review_id": review.pk})
    rows = api.get(list_url, {"risk": "HIGH"}).json()["results"]
    assert [row["question"] for row in rows] == ["SEC1"]
    assert api.get(list_url, {"ordering": "-updated_at"}).json()["results"][0]["question"] == "SEC1"
    assert api.get(list_url, {"risk": "SEVERE"}).status_code == 400


def test_the_answer_list_query_count_is_fixed(api, owner, review, django_assert_max_num_queries):
    as_user(api, owner)
    list_url = reverse("api_answer_list", kwargs={"review_id": review.pk})
    api.get(list_url)
    # Token, review with access, membership role, count, page (answers with questions and users).
    with django_assert_max_num_queries(5):
        api.get(list_url, {"page_size": 200})


def test_it_returns_an_answer_with_its_etag(api, viewer, review):
    response = as_user(api, viewer).get(url(review))
    assert response.status_code == 200
    assert response["ETag"] == '"1"'
    body = response.json()
    assert body["version"] == 1
    assert [bp["code"] for bp in body["best_practices"]][:2] == ["SEC01-BP01", "SEC01-BP02"]
    assert body["best_practices"][0]["level"] == "HIGH"


def test_it_answers_304_when_the_etag_still_matches(api, viewer, review):
    as_user(api, viewer)
    assert api.get(url(review), HTTP_IF_NONE_MATCH='"1"').status_code == 304
    assert api.get(url(review), HTTP_IF_NONE_MATCH='"0"').status_code == 200


def test_an_unknown_question_is_404(api, owner, review):
    assert as_user(api, owner).get(url(review, "SEC99")).status_code == 404


def test_it_replaces_an_answer_with_if_match(api, contributor, review):
    as_user(api, contributor)
    response = api.put(
        url(review),
        {
            "selected": ["SEC01-BP01", "SEC01-BP02"],
            "choices_not_applicable": {"SEC01-BP08": "OUT_OF_SCOPE"},
            "notes": "Checked with the platform team.",
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["risk"] == "HIGH"
    assert body["updated_by"] == "carl_contributor"
    answer = Answer.objects.get(review=review, question__code="SEC1")
    assert answer.selected == ["SEC01-BP01", "SEC01-BP02"]
    assert answer.choices_not_applicable == {"SEC01-BP08": "OUT_OF_SCOPE"}
    assert AuditEvent.objects.filter(action="answer.update", object_id=str(answer.pk)).count() == 1
    # The plan follows the answer: the missing BPs are now improvement items.
    assert ImprovementItem.objects.filter(
        workload=review.workload, bp_code="SEC01-BP03", is_active=True
    ).exists()


def test_patch_keeps_the_fields_left_out(api, owner, review):
    record(review, owner, selected=["SEC01-BP01"], notes="first")
    response = as_user(api, owner).patch(url(review), {"notes": "second"}, format="json", HTTP_IF_MATCH='"2"')
    assert response.status_code == 200
    assert response.json()["selected"] == ["SEC01-BP01"]
    assert response.json()["notes"] == "second"
    answer = Answer.objects.get(review=review, question__code="SEC1")
    assert (answer.selected, answer.notes, answer.version) == (["SEC01-BP01"], "second", 3)


def test_a_stale_if_match_gets_412_with_the_current_answer(api, owner, contributor, review):
    record(review, owner, selected=["SEC01-BP01"], notes="saved by Olivia")
    response = as_user(api, contributor).put(
        url(review), {"notes": "mine"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 412
    assert response["ETag"] == '"2"'
    body = response.json()
    assert body["current"]["notes"] == "saved by Olivia"
    assert body["current"]["version"] == 2
    assert Answer.objects.get(review=review, question__code="SEC1").notes == "saved by Olivia"


def test_a_weak_or_garbled_if_match_never_matches(api, owner, review):
    as_user(api, owner)
    for value in ('W/"1"', "1", '"one"'):
        response = api.put(url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH=value)
        assert response.status_code == 412, value
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1


def test_an_if_match_from_the_future_gets_412_and_saves_nothing(api, owner, review):
    # Only the stored version is a valid base: a higher one (forged, or from another database) is a conflict.
    response = as_user(api, owner).put(url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH='"5"')
    assert response.status_code == 412
    assert response.json()["current"]["version"] == 1
    answer = Answer.objects.get(review=review, question__code="SEC1")
    assert (answer.notes, answer.version) == ("", 1)


def test_if_match_may_list_several_etags(api, owner, review):
    response = as_user(api, owner).put(url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH='"7", "1"')
    assert response.status_code == 200
    assert response["ETag"] == '"2"' and response.json()["notes"] == "x"
    answer = Answer.objects.get(review=review, question__code="SEC1")
    assert (answer.notes, answer.version, answer.updated_by) == ("x", 2, owner)


def test_a_change_without_if_match_gets_428(api, owner, review):
    as_user(api, owner)
    response = api.put(url(review), {"notes": "x"}, format="json")
    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert api.put(url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH="*").status_code == 428


def test_validation_errors_are_400_with_field_messages(api, owner, review):
    as_user(api, owner)
    response = api.put(
        url(review),
        {"selected": ["SEC01-BP01", "SEC09-BP01"], "none_of_these": True, "is_applicable": False},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"selected", "none_of_these", "is_applicable", "reason"}
    assert "SEC09-BP01" in body["selected"][0]
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1


def test_type_errors_are_400_too(api, owner, review):
    response = as_user(api, owner).put(
        url(review),
        {"selected": "SEC01-BP01", "choices_not_applicable": {"SEC01-BP08": "BORED"}, "notes": 5},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert {"selected", "choices_not_applicable"} <= set(response.json())


def test_notes_over_the_limit_are_refused_with_the_numbers(api, owner, review):
    response = as_user(api, owner).patch(
        url(review), {"notes": "x" * 3000}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 400
    assert "2,084" in response.json()["notes"][0]


def test_it_marks_a_question_not_applicable_with_a_reason(api, owner, review):
    response = as_user(api, owner).put(
        url(review), {"is_applicable": False, "reason": "OUT_OF_SCOPE"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 200
    assert response.json()["risk"] == "NOT_APPLICABLE"


def test_an_answer_that_contradicts_itself_is_400_with_the_reason(api, owner, review):
    record(review, owner, selected=["SEC01-BP01"])
    response = as_user(api, owner).patch(
        url(review), {"is_applicable": False, "reason": "OUT_OF_SCOPE"}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert response.status_code == 400
    assert "while best practices are selected" in response.json()["is_applicable"][0]
    stored = Answer.objects.get(review=review, question__code="SEC1")
    assert (stored.version, stored.is_applicable, stored.selected) == (2, True, ["SEC01-BP01"])


def test_none_of_these_on_a_question_that_does_not_apply_is_400(api, owner, review):
    response = as_user(api, owner).put(
        url(review),
        {"none_of_these": True, "is_applicable": False, "reason": "OTHER"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 400
    assert '"None of these" is chosen' in response.json()["is_applicable"][0]


def test_a_practice_takes_a_note_on_why_it_does_not_apply(api, owner, review):
    response = as_user(api, owner).patch(
        url(review),
        {
            "choices_not_applicable": {"SEC01-BP08": "OTHER"},
            "choice_notes": {"SEC01-BP08": "  Reviewed by the platform team.  "},
        },
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200
    assert response.json()["choice_notes"] == {"SEC01-BP08": "Reviewed by the platform team."}
    long = as_user(api, owner).patch(
        url(review), {"choice_notes": {"SEC01-BP08": "x" * 251}}, format="json", HTTP_IF_MATCH='"2"'
    )
    assert long.status_code == 400
    assert "250 characters" in long.json()["choice_notes"][0]


def test_a_viewer_cannot_change_an_answer(api, viewer, review):
    response = as_user(api, viewer).put(url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 403 and "role" in response.json()["detail"]
    answer = Answer.objects.get(review=review, question__code="SEC1")
    assert (answer.notes, answer.version) == ("", 1)
    assert not AuditEvent.objects.filter(action="answer.update").exists()


def test_an_outsider_gets_404(api, outsider, review):
    as_user(api, outsider)
    assert api.get(url(review)).status_code == 404
    assert api.put(url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"').status_code == 404
    assert api.get(reverse("api_answer_list", kwargs={"review_id": review.pk})).status_code == 404
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1


def test_a_read_only_token_cannot_change_an_answer(api, owner, review):
    response = as_user(api, owner, read_only=True).put(
        url(review), {"notes": "x"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert response.status_code == 403
    assert Answer.objects.get(review=review, question__code="SEC1").version == 1
