from __future__ import annotations

import re

import pytest
from django.urls import reverse

from reviewapp.models import Answer, Review
from reviewapp.risk import AnswerState, question_risk
from reviewapp.services import answer_record
from reviewapp.specs import version_specs

pytestmark = pytest.mark.django_db


def question_url(review, code):
    return reverse("review_question", kwargs={"review_id": review.pk, "question_code": code})


def answer(review, code):
    return Answer.objects.get(review=review, question__code=code)


def post_answer(client, review, code, htmx=False, **fields):
    data = {"base_version": answer(review, code).version, **fields}
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(question_url(review, code), data, **headers)


def badge(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>([^<]+)<', html)
    assert match, f"no #{element_id} in the page"
    return match.group(1).strip()


def test_starting_a_review_opens_the_first_question(client, workload, owner):
    client.force_login(owner)
    response = client.post(reverse("review_start", kwargs={"workload_id": workload.pk}))
    review = Review.objects.get(workload=workload)
    assert response.status_code == 302
    assert response["Location"] == question_url(review, "SEC1")


def test_the_question_page_shows_every_bp_with_its_guidance(client, review, owner):
    client.force_login(owner)
    page = client.get(question_url(review, "SEC3")).content.decode()
    for code in [f"SEC03-BP0{n}" for n in range(1, 10)]:
        assert f'value="{code}"' in page
    assert "Grant least privilege access" in page
    assert "What established looks like" in page
    assert badge(page, "question-risk") == "Unanswered"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"selected": ["SEC03-BP01", "SEC03-BP02"]}, "Medium risk"),
        ({"selected": ["SEC03-BP03"]}, "High risk"),
        ({"none_of_these": "on"}, "High risk"),
        ({"not_applicable": "on", "reason": "OUT_OF_SCOPE"}, "Not applicable"),
        (
            {
                "selected": [
                    "SEC03-BP01",
                    "SEC03-BP03",
                    "SEC03-BP04",
                    "SEC03-BP05",
                    "SEC03-BP06",
                    "SEC03-BP08",
                    "SEC03-BP09",
                ],
                "na_SEC03-BP02": "ARCHITECTURE_CONSTRAINTS",
            },
            "No risk",
        ),
    ],
)
def test_the_risk_shown_matches_the_risk_engine(client, review, owner, fields, expected):
    client.force_login(owner)
    response = post_answer(client, review, "SEC3", htmx=True, **fields)
    stored = answer(review, "SEC3")
    spec = version_specs(review.lens_version_id).by_question_id[stored.question_id]
    engine = question_risk(
        spec,
        AnswerState(
            answered=True,
            question_not_applicable=not stored.is_applicable,
            none_of_these=stored.none_of_these,
            selected=frozenset(stored.selected),
            choices_not_applicable=frozenset(stored.choices_not_applicable),
        ),
    )
    html = response.content.decode()
    assert stored.risk == engine
    assert badge(html, "question-risk") == expected
    assert badge(html, "nav-risk-SEC3") == expected
    page = client.get(reverse("review_overview", kwargs={"review_id": review.pk})).content.decode()
    assert expected in page


def test_a_plain_form_post_saves_and_moves_to_the_next_question(client, review, owner):
    client.force_login(owner)
    response = post_answer(client, review, "SEC1", selected=["SEC01-BP01"], notes="Two accounts.", go="next")
    assert response.status_code == 302 and response["Location"] == question_url(review, "SEC2")
    assert answer(review, "SEC1").notes == "Two accounts."


def test_htmx_saves_return_the_new_version_for_the_next_autosave(client, review, owner):
    client.force_login(owner)
    response = post_answer(client, review, "SEC2", htmx=True, selected=["SEC02-BP01"])
    assert 'id="base-version" value="2"' in response.content.decode()
    response = client.post(
        question_url(review, "SEC2"),
        {"base_version": 2, "selected": ["SEC02-BP01"], "notes": "ok"},
        HTTP_HX_REQUEST="true",
    )
    assert "All changes saved." in response.content.decode()
    assert "(version" not in response.content.decode()
    # app.js reads this header to know the change is stored and no "leave page?" warning is needed.
    assert response["X-Answer-Saved"] == "3"
    assert answer(review, "SEC2").version == 3


def test_the_form_refuses_a_contradiction_with_the_services_reason(client, review, owner):
    client.force_login(owner)
    response = post_answer(
        client, review, "SEC3", selected=["SEC03-BP01"], not_applicable="on", reason="OUT_OF_SCOPE"
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "cannot be marked as not applying while best practices are selected" in page
    # What the person sent stays in the form, not locked, so they can untangle it.
    assert 'value="SEC03-BP01" id="pick-SEC03-BP01" data-practice checked>' in page
    assert (answer(review, "SEC3").version, answer(review, "SEC3").selected) == (1, [])


def test_practices_are_switched_off_with_the_reason_while_the_question_does_not_apply(client, review, owner):
    client.force_login(owner)
    post_answer(client, review, "SEC3", not_applicable="on", reason="OUT_OF_SCOPE")
    page = client.get(question_url(review, "SEC3")).content.decode()
    assert 'id="pick-SEC03-BP01" data-practice disabled>' in page
    assert 'id="id_none_of_these" disabled>' in page
    assert "Practices are switched off while the question does not apply." in page


def test_a_practice_marked_not_applicable_keeps_its_reason_in_words(client, review, owner):
    client.force_login(owner)
    post_answer(client, review, "SEC3", **{"na_SEC03-BP08": "OTHER", "note_SEC03-BP08": "No sharing at all."})
    assert answer(review, "SEC3").choice_notes == {"SEC03-BP08": "No sharing at all."}
    page = client.get(question_url(review, "SEC3")).content.decode()
    assert "Not applicable: Other" in page
    assert 'value="No sharing at all."' in page
    assert 'id="pick-SEC03-BP08" data-practice disabled>' in page


def test_a_stale_save_shows_the_conflict_and_loses_nothing(client, review, owner, contributor):
    client.force_login(owner)
    post_answer(client, review, "SEC4", selected=["SEC04-BP01"], notes="owner's note")
    other = client.__class__()
    other.force_login(contributor)
    response = other.post(
        question_url(review, "SEC4"),
        {"base_version": 1, "selected": ["SEC04-BP02"], "notes": "contributor's note"},
    )
    page = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this question" in page
    assert "owner&#x27;s note" in page and "contributor&#x27;s note" in page
    assert "<td>SEC04-BP01</td><td>SEC04-BP02</td>" in page
    assert answer(review, "SEC4").notes == "owner's note"

    kept = other.post(
        question_url(review, "SEC4"),
        {"base_version": 1, "keep_mine": 2, "selected": ["SEC04-BP02"], "notes": "contributor's note"},
    )
    assert kept.status_code == 302
    assert answer(review, "SEC4").notes == "contributor's note"


def test_invalid_input_is_refused_with_the_reason_and_the_typed_text_kept(client, review, owner):
    client.force_login(owner)
    response = post_answer(client, review, "SEC5", not_applicable="on", notes="kept text")
    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose why the question does not apply." in page
    assert "kept text" in page
    assert answer(review, "SEC5").version == 1


def test_notes_are_escaped(client, review, owner):
    client.force_login(owner)
    post_answer(client, review, "SEC6", notes='<script>alert(1)</script><img src="http://evil.test/x">')
    page = client.get(question_url(review, "SEC6")).content.decode()
    assert "<script>alert(1)" not in page and '<img src="http://evil.test' not in page
    assert "&lt;script&gt;" in page


def test_a_viewer_reads_but_cannot_save(client, review, viewer):
    client.force_login(viewer)
    page = client.get(question_url(review, "SEC1")).content.decode()
    assert "disabled" in page
    assert post_answer(client, review, "SEC1", selected=["SEC01-BP01"]).status_code == 403
    assert answer(review, "SEC1").version == 1


def test_unknown_question_codes_are_404(client, review, owner):
    client.force_login(owner)
    assert client.get(question_url(review, "SEC99")).status_code == 404


def test_the_overview_counts_risks_per_review_and_area(client, review, owner):
    client.force_login(owner)
    post_answer(client, review, "SEC1", none_of_these="on")
    post_answer(client, review, "SEC5", not_applicable="on", reason="BUSINESS_PRIORITIES")
    page = client.get(reverse("review_overview", kwargs={"review_id": review.pk})).content.decode()
    counts = re.findall(r'<div class="count"><strong>(\d+)</strong>', page)
    assert counts == ["1", "0", "0", "1", "9"]
    assert "<svg" in page and "Security foundations: 1 high" in page
    assert "SEC01-BP01 Separate workloads using accounts" in page


def test_page_query_counts_do_not_grow_with_answers(client, review, owner, django_assert_num_queries):
    client.force_login(owner)
    client.get(question_url(review, "SEC1"))  # warm the per-version catalogue and specs
    # Session, user, the review with the member's role and whether the workload has evidence, its answers,
    # the question's evidence files. The question and its practices come from memory.
    with django_assert_num_queries(5):
        client.get(question_url(review, "SEC1"))
    for code in ["SEC1", "SEC2", "SEC3", "SEC4", "SEC5", "SEC6"]:
        post_answer(client, review, code, none_of_these="on")
    with django_assert_num_queries(5):
        client.get(question_url(review, "SEC1"))
    # With evidence: the latest run, then one aggregate over its findings and the imported ones (the question's
    # evidence files are read either way).
    evidence(review.workload, ("SEC01-BP01", "PASS"))
    with django_assert_num_queries(7):
        page = client.get(question_url(review, "SEC1")).content.decode()
    assert "1 passed" in page
    # Session, user, the review with the member's role, its answers, a newer lens version; which templates the
    # review took have a newer version, and the workload profile's question priorities (one query each).
    with django_assert_num_queries(7):
        client.get(reverse("review_overview", kwargs={"review_id": review.pk}))


def test_an_htmx_save_takes_a_fixed_number_of_queries(client, review, owner, django_assert_num_queries):
    client.force_login(owner)
    post_answer(client, review, "SEC1", selected=["SEC01-BP01"])
    data = {"base_version": 2, "selected": ["SEC01-BP01", "SEC01-BP02"]}
    # Session, user, the review with the member's role; in the save's transaction (a savepoint here, as the
    # test runs in a transaction) the answer locked and updated, its audit entry (the chain's advisory lock
    # taken, its tail read, the entry inserted), the question's items locked and one resolved with its audit entry (the
    # same three); then the
    # answers for the status and navigation the response swaps in.
    with django_assert_num_queries(16):
        response = client.post(question_url(review, "SEC1"), data, HTTP_HX_REQUEST="true")
    assert response["X-Answer-Saved"] == "3"
    assert answer(review, "SEC1").selected == ["SEC01-BP01", "SEC01-BP02"]


def evidence(workload, *statuses_by_bp):
    from django.utils import timezone

    from checks.models import EvidenceRun, Finding

    run = EvidenceRun.objects.create(workload=workload, state="SUCCEEDED", finished_at=timezone.now())
    for bp_code, status in statuses_by_bp:
        Finding.objects.create(
            run=run,
            check_id="demo_check",
            bp_codes=[bp_code],
            status=status,
            resource_arn="arn:aws:iam::111122223333:root",
            region="global",
            account_id="111122223333",
            message="demo",
            severity="HIGH",
        )
    return run


def test_evidence_is_shown_next_to_each_bp_but_never_ticks_a_box(client, review, owner):
    evidence(review.workload, ("SEC02-BP01", "PASS"), ("SEC02-BP05", "FAIL"))
    client.force_login(owner)
    page = client.get(question_url(review, "SEC2")).content.decode()
    # Neither is selected: failing evidence agrees with the answer, so it is not shown as a red contradiction.
    assert "Evidence: in place, not selected" in page and "Evidence: not in place" in page
    assert "Evidence contradicts" not in page
    assert "review the suggestions" in page
    assert answer(review, "SEC2").selected == []
    post_answer(client, review, "SEC2", selected=["SEC02-BP05"])
    page = client.get(question_url(review, "SEC2")).content.decode()
    assert "Evidence contradicts your answer" in page


def test_applying_suggestions_needs_confirmation_and_is_recorded_as_the_persons_change(client, review, owner):
    from reviewapp.models import AuditEvent

    evidence(review.workload, ("SEC02-BP01", "PASS"), ("SEC02-BP05", "FAIL"))
    client.force_login(owner)
    url = reverse("review_suggestions", kwargs={"review_id": review.pk, "question_code": "SEC2"})
    confirm = client.get(url).content.decode()
    assert "SEC02-BP01" in confirm and "SEC02-BP05" not in confirm
    assert answer(review, "SEC2").selected == []

    client.post(url, {"base_version": 1})
    assert answer(review, "SEC2").selected == ["SEC02-BP01"]
    actions = list(AuditEvent.objects.filter(actor=owner).values_list("action", flat=True))
    assert "evidence.suggestions_apply" in actions and actions[-1] != "review.start"
    assert AuditEvent.objects.filter(action="answer.update", actor=owner).exists()


def test_suggestions_confirmed_on_a_stale_page_change_nothing_and_say_so(client, review, owner, contributor):
    from reviewapp.models import AuditEvent

    evidence(review.workload, ("SEC02-BP01", "PASS"))
    client.force_login(owner)
    url = reverse("review_suggestions", kwargs={"review_id": review.pk, "question_code": "SEC2"})
    assert 'name="base_version" value="1"' in client.get(url).content.decode()
    question = review.lens_version.questions.get(code="SEC2")
    answer_record(
        review=review, question=question, actor=contributor, base_version=1, selected=["SEC02-BP02"]
    )

    response = client.post(url, {"base_version": 1}, follow=True)

    assert response.redirect_chain[-1][0] == url
    assert "The answer changed while you were looking" in response.content.decode()
    assert answer(review, "SEC2").selected == ["SEC02-BP02"]
    assert not AuditEvent.objects.filter(action="evidence.suggestions_apply").exists()


def test_a_viewer_cannot_apply_suggestions(client, review, viewer):
    evidence(review.workload, ("SEC02-BP01", "PASS"))
    client.force_login(viewer)
    url = reverse("review_suggestions", kwargs={"review_id": review.pk, "question_code": "SEC2"})
    assert client.post(url, {"base_version": 1}).status_code == 403
    assert answer(review, "SEC2").selected == []


def test_the_overview_offers_a_newer_lens_version(client, review, owner):
    import json

    from questionnaire.catalogue import LENS_DIR, lens_version_store, own_lens_doc
    from reviewapp.specs import clear_caches

    client.force_login(owner)
    overview = reverse("review_overview", kwargs={"review_id": review.pk})
    assert "A newer version of this lens" not in client.get(overview).content.decode()
    data = json.loads((LENS_DIR / "security-pillar.json").read_text())
    data["version"] = "2099.1"
    data["pillars"][0]["questions"][0]["description"] += " Revised."
    lens_version_store(own_lens_doc(data))
    page = client.get(overview).content.decode()
    clear_caches()
    assert "A newer version of this lens is available" in page and "2099.1" in page
