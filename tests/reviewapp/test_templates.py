"""Review templates: kept per team or organisation, versioned, applied without overwriting what people answered
unless they choose it, refused for another lens; through the services, the pages and the API."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT
from reviewapp.models import Answer, AuditEvent, ReviewTemplate, TemplateUse
from reviewapp.services import answer_record, workload_create
from reviewapp.services.lenses import lens_import
from reviewapp.services.templates import template_apply, template_create, template_update

pytestmark = pytest.mark.django_db

ENTRIES = {
    "SEC1": {"selected": ["SEC01-BP01", "SEC01-BP02"], "notes": "Accounts come from the landing zone."},
    "SEC2": {"applicable": False, "reason": "OUT_OF_SCOPE", "notes": "No human users."},
}


def answer(review, code: str) -> Answer:
    return Answer.objects.select_related("question").get(review=review, question__code=code)


@pytest.fixture
def template(owner, team, lens):
    return template_create(actor=owner, lens=lens, team=team, name="Landing zone", entries=ENTRIES)


def test_applying_fills_unanswered_questions_and_keeps_answered_ones(review, owner, template):
    sec2 = answer(review, "SEC2")
    answer_record(review=review, question=sec2.question, actor=owner, base_version=1, selected=["SEC02-BP01"])

    applied = template_apply(review=review, template=template, actor=owner)

    assert applied.filled == ["SEC1"] and applied.kept == ["SEC2"]
    assert answer(review, "SEC1").selected == ["SEC01-BP01", "SEC01-BP02"]
    assert answer(review, "SEC1").notes == "Accounts come from the landing zone."
    assert answer(review, "SEC2").selected == ["SEC02-BP01"]  # a person's answer is not overwritten
    assert TemplateUse.objects.get(review=review, template=template).version == 1
    event = AuditEvent.objects.filter(action="template.apply").get()
    assert event.after["filled"] == ["SEC1"] and event.workload_id == review.workload_id


def test_an_answer_is_replaced_only_when_chosen(review, owner, template):
    sec2 = answer(review, "SEC2")
    answer_record(review=review, question=sec2.question, actor=owner, base_version=1, selected=["SEC02-BP01"])

    applied = template_apply(review=review, template=template, actor=owner, overwrite=["SEC2"])

    assert applied.replaced == ["SEC2"]
    now = answer(review, "SEC2")
    assert not now.is_applicable and now.reason == "OUT_OF_SCOPE" and now.risk == "NOT_APPLICABLE"


def test_a_template_for_another_lens_is_refused_and_writes_nothing(review, owner, admin_user, team):
    version, _ = lens_import(text=json.dumps(CUSTOM_LENS_DOCUMENT), actor=admin_user)
    question = version.questions.order_by("order").first()
    other = template_create(
        actor=owner, lens=version.lens, team=team, name="Other lens", entries={question.code: {"notes": "x"}}
    )
    audit_rows = AuditEvent.objects.count()

    with pytest.raises(ValidationError, match="is for the lens"):
        template_apply(review=review, template=other, actor=owner)

    assert not TemplateUse.objects.exists()
    assert AuditEvent.objects.count() == audit_rows
    assert all(a.risk == "UNANSWERED" for a in Answer.objects.filter(review=review))


def test_a_template_naming_unknown_questions_is_refused_with_each_problem(owner, team, lens):
    with pytest.raises(ValidationError) as refused:
        template_create(
            actor=owner,
            lens=lens,
            team=team,
            name="Broken",
            entries={"SEC99": {}, "SEC1": {"selected": ["SEC09-BP01"]}},
        )
    assert "SEC99 is not a question of" in " ".join(refused.value.messages)
    assert "SEC1: SEC09-BP01 is not a best practice of SEC1." in refused.value.messages
    assert not ReviewTemplate.objects.exists()


def test_a_change_of_answers_is_a_new_version_offered_to_reviews_that_used_the_old(
    client, review, owner, template
):
    template_apply(review=review, template=template, actor=owner)
    template_update(
        template=template, actor=owner, name="Landing zone", entries={"SEC1": {"none_of_these": True}}
    )
    template.refresh_from_db()
    assert template.version == 2
    assert template.versions.get(number=1).entries["SEC1"]["selected"] == ["SEC01-BP01", "SEC01-BP02"]
    # Offered, not forced: the review keeps the version-1 answer until someone applies version 2.
    assert answer(review, "SEC1").selected == ["SEC01-BP01", "SEC01-BP02"]
    client.force_login(owner)
    page = client.get(reverse("review_overview", kwargs={"review_id": review.pk})).content.decode()
    assert "has a new version 2 (this review took version 1)" in page
    detail = client.get(reverse("template_detail", kwargs={"template_id": template.pk})).content.decode()
    assert "Reviews on an older version" in detail and review.workload.name in detail


def test_a_rename_alone_keeps_the_version(owner, template):
    template_update(template=template, actor=owner, name="Landing zone v2", entries=ENTRIES)
    template.refresh_from_db()
    assert (template.name, template.version) == ("Landing zone v2", 1)


def test_a_new_review_can_start_from_a_template(client, owner, team, template):
    workload = workload_create(
        team=team,
        actor=owner,
        name="Ledger",
        description="Keeps the books.",
        environment="PRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
    )
    client.force_login(owner)
    detail = client.get(reverse("workload_detail", kwargs={"workload_id": workload.pk})).content.decode()
    assert "Landing zone (version 1)" in detail
    response = client.post(
        reverse("review_start", kwargs={"workload_id": workload.pk}), {"template": template.pk}
    )
    review = workload.reviews.get()
    assert response.status_code == 302
    assert answer(review, "SEC1").selected == ["SEC01-BP01", "SEC01-BP02"]
    assert answer(review, "SEC2").reason == "OUT_OF_SCOPE"


def test_the_apply_page_previews_each_question_before_anything_changes(client, review, owner, template):
    sec2 = answer(review, "SEC2")
    answer_record(review=review, question=sec2.question, actor=owner, base_version=1, selected=["SEC02-BP01"])
    client.force_login(owner)
    url = reverse("review_template_apply", kwargs={"review_id": review.pk})

    page = client.get(url, {"template": template.pk}).content.decode()

    assert 'data-question="SEC1" data-change="fills"' in page
    assert 'data-question="SEC2" data-change="replaces"' in page
    assert answer(review, "SEC1").risk == "UNANSWERED"
    client.post(url, {"template": template.pk, "replace": ["SEC2"]})
    assert not answer(review, "SEC2").is_applicable


def test_the_editor_saves_a_team_template_from_the_form(client, owner, team):
    client.force_login(owner)
    response = client.post(
        reverse("template_new"),
        {
            "name": "Pipeline",
            "keeper": str(team.pk),
            "include": ["SEC11"],
            "sel_SEC11": ["SEC11-BP01"],
            "notes_SEC11": "Standard CI pipeline.",
        },
    )
    template = ReviewTemplate.objects.get(name="Pipeline")
    assert response.status_code == 302 and template.team == team
    entry = template.versions.get().entries["SEC11"]
    assert entry["selected"] == ["SEC11-BP01"] and entry["notes"] == "Standard CI pipeline."


def test_the_editor_shows_why_answers_are_refused(client, owner, team):
    client.force_login(owner)
    response = client.post(
        reverse("template_new"),
        {
            "name": "Muddled",
            "keeper": str(team.pk),
            "include": ["SEC1"],
            "sel_SEC1": ["SEC01-BP01"],
            "none_SEC1": "on",
        },
    )
    assert response.status_code == 200
    assert "cannot be combined with selected best practices" in response.content.decode()
    assert not ReviewTemplate.objects.exists()


def test_only_administrators_keep_organisation_templates(client, owner, team, admin_user, lens):
    client.force_login(owner)
    form = client.get(reverse("template_new")).context["form"]
    assert "organisation" not in dict(form.fields["keeper"].choices)
    client.force_login(admin_user)
    response = client.post(
        reverse("template_new"), {"name": "Org baseline", "keeper": "organisation", "include": ["SEC1"]}
    )
    assert response.status_code == 302
    assert ReviewTemplate.objects.get(name="Org baseline").team is None


def test_the_list_shows_the_organisations_and_the_teams_templates(
    client, viewer, outsider, template, admin_user, lens
):
    template_create(actor=admin_user, lens=lens, team=None, name="Org baseline", entries={"SEC1": {}})
    client.force_login(viewer)
    page = client.get(reverse("template_list")).content.decode()
    assert "Landing zone" in page and "Org baseline" in page
    client.force_login(outsider)
    page = client.get(reverse("template_list")).content.decode()
    assert "Org baseline" in page and "Landing zone" not in page


def test_the_list_page_query_count_does_not_grow(client, owner, team, lens, django_assert_num_queries):
    client.force_login(owner)
    url = reverse("template_list")
    template_create(actor=owner, lens=lens, team=team, name="One", entries={"SEC1": {}})
    # session, user, templates with team and lens, writable teams exist, administrator check is in Python.
    with django_assert_num_queries(4) as first:
        client.get(url)
    for name in ("Two", "Three"):
        template_create(actor=owner, lens=lens, team=team, name=name, entries={"SEC1": {}})
    with django_assert_num_queries(len(first.captured_queries)):
        client.get(url)


def test_the_apply_page_refuses_a_template_for_another_lens_with_a_clear_error(
    client, review, owner, admin_user, team
):
    version, _ = lens_import(text=json.dumps(CUSTOM_LENS_DOCUMENT), actor=admin_user)
    question = version.questions.order_by("order").first()
    other = template_create(
        actor=owner, lens=version.lens, team=team, name="Other lens", entries={question.code: {"notes": "x"}}
    )
    client.force_login(owner)
    url = reverse("review_template_apply", kwargs={"review_id": review.pk})
    response = client.post(url, {"template": other.pk})
    assert response.status_code == 400
    assert "is for the lens Payments controls" in response.content.decode()
    assert not TemplateUse.objects.exists()
