"""Risk acceptance through the API: a request changes nothing until someone else approves it, the same limits as
the web form, the item's full history, decisions only by those access.py allows, revocation reopens the item."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from reviewapp.acceptance.services import acceptance_request
from reviewapp.models import AuditEvent, ImprovementItem, RiskAcceptance
from tests.acceptances import WHY, approved

from ..reviewapp import test_acceptance as acceptance_tests
from ..reviewapp.test_acceptance import HIGH, LOW, item
from .conftest import as_user

pytestmark = pytest.mark.django_db
# SEC1 answered so that a high, a medium and a low practice are on the plan (the service tests' fixture).
sec1 = acceptance_tests.sec1

TODAY = timezone.localdate()


def acceptances(target) -> str:
    return reverse("api_acceptance_list", args=[target.pk])


def decision(acceptance) -> str:
    return reverse("api_acceptance_decide", args=[acceptance.pk])


def revoke(acceptance) -> str:
    return reverse("api_acceptance_revoke", args=[acceptance.pk])


def ask(api, target, days=30, why=WHY, controls="Only the load balancer can reach it."):
    body = {
        "justification": why,
        "compensating_controls": controls,
        "expires_on": TODAY + timedelta(days=days),
    }
    return api.post(
        acceptances(target), {**body, "expires_on": body["expires_on"].isoformat()}, format="json"
    )


def pending(target, requester) -> RiskAcceptance:
    return acceptance_request(
        item=target,
        actor=requester,
        justification=WHY,
        compensating_controls="",
        expires_on=TODAY + timedelta(days=30),
    )


def test_a_contributor_requests_and_a_lead_approves(api, sec1, contributor, lead):
    target = item(sec1, HIGH)

    requested = ask(as_user(api, contributor), target)

    assert requested.status_code == 201
    assert (requested.json()["state"], requested.json()["level"]) == ("PENDING", "HIGH")
    target.refresh_from_db()
    assert target.status == "OPEN"  # a request alone changes no risk figure
    acceptance = RiskAcceptance.objects.get(pk=requested.json()["id"])

    approval = as_user(api, lead).post(
        decision(acceptance), {"decision": "approve", "comment": "Fine for a month."}, format="json"
    )

    assert approval.status_code == 200
    assert (approval.json()["state"], approval.json()["decided_by"]) == ("APPROVED", "lena_lead")
    target.refresh_from_db()
    assert (target.status, target.accepted_by) == ("RISK_ACCEPTED", lead)
    actions = set(AuditEvent.objects.filter(object_id=str(acceptance.pk)).values_list("action", flat=True))
    assert actions == {"acceptance.request", "acceptance.approve"}


def test_the_form_rules_apply_and_bad_input_writes_nothing(api, sec1, contributor):
    target = item(sec1, HIGH)
    as_user(api, contributor)

    short = ask(api, target, why="ok")
    too_far = ask(api, target, days=91)
    no_date = api.post(acceptances(target), {"justification": WHY, "expires_on": None}, format="json")
    not_a_date = api.post(acceptances(target), {"justification": WHY, "expires_on": "soon"}, format="json")

    assert {short.status_code, too_far.status_code, no_date.status_code, not_a_date.status_code} == {400}
    assert "at least 40 characters" in short.json()["justification"][0]
    assert "at most 90 days" in too_far.json()["expires_on"][0]
    assert "Choose the date" in no_date.json()["expires_on"][0]
    assert "expires_on" in not_a_date.json()
    assert not RiskAcceptance.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="acceptance.").exists()


def test_a_low_risk_may_be_accepted_for_a_year(api, sec1, contributor):
    response = ask(as_user(api, contributor), item(sec1, LOW), days=365)
    assert response.status_code == 201 and response.json()["level"] == "LOW"


def test_a_second_request_while_one_is_open_is_refused(api, sec1, contributor):
    target = item(sec1, HIGH)
    pending(target, contributor)
    response = ask(as_user(api, contributor), target)
    assert response.status_code == 400
    assert "awaits a decision" in response.json()["non_field_errors"][0]
    assert RiskAcceptance.objects.count() == 1


def test_nobody_approves_their_own_request(api, sec1, lead):
    acceptance = pending(item(sec1, HIGH), lead)

    response = as_user(api, lead).post(
        decision(acceptance), {"decision": "approve", "comment": "Looks fine to me."}, format="json"
    )

    assert response.status_code == 403
    assert "someone else" in response.json()["detail"]
    acceptance.refresh_from_db()
    assert acceptance.state == "PENDING"


def test_an_owner_decides_low_risks_but_not_high_ones(api, sec1, owner, contributor):
    high, low = pending(item(sec1, HIGH), contributor), pending(item(sec1, LOW), contributor)
    as_user(api, owner)

    refused = api.post(decision(high), {"decision": "approve", "comment": "Fine."}, format="json")
    rejected = api.post(decision(low), {"decision": "reject", "comment": "Fix it instead."}, format="json")

    assert refused.status_code == 403 and "security lead" in refused.json()["detail"]
    assert rejected.status_code == 200
    assert (rejected.json()["state"], rejected.json()["decision_comment"]) == ("REJECTED", "Fix it instead.")
    assert item(sec1, LOW).status == "OPEN"


def test_a_decision_needs_a_comment(api, sec1, contributor, lead):
    acceptance = pending(item(sec1, HIGH), contributor)
    response = as_user(api, lead).post(
        decision(acceptance), {"decision": "approve", "comment": " "}, format="json"
    )
    assert response.status_code == 400 and "Say why" in response.json()["comment"][0]
    acceptance.refresh_from_db()
    assert acceptance.state == "PENDING"


def test_revoking_reopens_the_item_and_the_history_keeps_everything(api, sec1, contributor, lead):
    target = approved(item(sec1, HIGH), contributor, lead)
    current = RiskAcceptance.objects.get(item=target)
    as_user(api, contributor)

    missing_reason = api.post(revoke(current), {"reason": ""}, format="json")
    revoked = api.post(revoke(current), {"reason": "The rebuild came early."}, format="json")

    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()
    assert revoked.status_code == 200
    assert (revoked.json()["state"], revoked.json()["ended_by"]) == ("REVOKED", "carl_contributor")
    target.refresh_from_db()
    assert target.status == "OPEN"
    ask(api, target)
    history = api.get(acceptances(target)).json()["results"]
    assert [row["state"] for row in history] == ["PENDING", "REVOKED"]
    assert history[1]["decided_by"] == "lena_lead" and history[1]["end_reason"] == "The rebuild came early."


def test_outsiders_get_nothing_and_viewers_cannot_write(api, sec1, contributor, viewer, outsider):
    target = item(sec1, HIGH)
    acceptance = pending(target, contributor)
    detail = reverse("api_acceptance_detail", args=[acceptance.pk])

    as_user(api, outsider)
    assert api.get(acceptances(target)).status_code == 404
    assert api.get(detail).status_code == 404
    assert ask(api, target).status_code == 404
    assert (
        api.post(decision(acceptance), {"decision": "approve", "comment": "x"}, format="json").status_code
        == 404
    )
    assert api.post(revoke(acceptance), {"reason": "x"}, format="json").status_code == 404

    as_user(api, viewer)
    assert api.get(detail).json()["state"] == "PENDING"
    assert ask(api, item(sec1, LOW)).status_code == 403
    assert (
        api.post(decision(acceptance), {"decision": "approve", "comment": "x"}, format="json").status_code
        == 403
    )
    assert api.post(revoke(acceptance), {"reason": "x"}, format="json").status_code == 403
    acceptance.refresh_from_db()
    assert acceptance.state == "PENDING" and RiskAcceptance.objects.count() == 1


def test_the_history_query_count_does_not_grow(api, sec1, contributor, lead, django_assert_num_queries):
    target = item(sec1, HIGH)
    as_user(api, lead)
    approved(target, contributor, lead)
    api.get(acceptances(target))
    with django_assert_num_queries(5):  # token, item, role in its team, count, page
        api.get(acceptances(target))
    for _ in range(3):
        current = RiskAcceptance.objects.get(item=target, state__in=["PENDING", "APPROVED"])
        api.post(revoke(current), {"reason": "Start over."}, format="json")
        pending(ImprovementItem.objects.get(pk=target.pk), contributor)
    with django_assert_num_queries(5):
        assert len(api.get(acceptances(target)).json()["results"]) == 4
