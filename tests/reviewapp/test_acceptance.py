"""Risk acceptance with approval: request, decision, revocation, expiry, reminders, history on the item page,
the lead's queue on the dashboard and the history in the PDF."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reviewapp.acceptance.services import (
    acceptance_decide,
    acceptance_request,
    acceptance_revoke,
    send_acceptance_reminders,
)
from reviewapp.models import AcceptanceReminder, Answer, AuditEvent, ImprovementItem, RiskAcceptance
from reviewapp.reports.content import build_report
from reviewapp.reports.pdf import report_html
from reviewapp.services import answer_record, membership_set
from tests.acceptances import WHY, approved
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HIGH, MEDIUM, LOW = "SEC01-BP02", "SEC01-BP05", "SEC01-BP08"


@pytest.fixture
def sec1(review, owner):
    """SEC1 answered with only BP01 in place: BP02 (high), BP05 (medium) and BP08 (low) are on the plan."""
    question = review.lens_version.questions.get(code="SEC1")
    answer = Answer.objects.get(review=review, question=question)
    answer_record(
        review=review, question=question, actor=owner, base_version=answer.version, selected=["SEC01-BP01"]
    )
    return review


def item(review, code) -> ImprovementItem:
    return ImprovementItem.objects.select_related("workload").get(workload=review.workload, bp_code=code)


def request(target, actor, days=30, why=WHY, controls="Only the load balancer can reach it."):
    return acceptance_request(
        item=target,
        actor=actor,
        justification=why,
        compensating_controls=controls,
        expires_on=TODAY + timedelta(days=days),
    )


# --- Requests -----------------------------------------------------------------------------------------------


def test_a_request_changes_nothing_until_approved(sec1, contributor, lead):
    target = item(sec1, HIGH)
    pending = request(target, contributor)
    target.refresh_from_db()
    assert (pending.state, pending.level, target.status) == ("PENDING", "HIGH", "OPEN")
    acceptance_decide(acceptance=pending, actor=lead, approve=True, comment="Fine for a quarter.")
    target.refresh_from_db()
    assert (target.status, target.accepted_by, target.acceptance_justification) == (
        "RISK_ACCEPTED",
        lead,
        WHY,
    )
    assert target.acceptance_expires_on == TODAY + timedelta(days=30)


def test_a_justification_needs_the_configured_length(sec1, contributor, settings):
    with pytest.raises(ValidationError) as error:
        request(item(sec1, HIGH), contributor, why="ok")
    assert "at least 40 characters" in error.value.message_dict["justification"][0]
    settings.RISK_ACCEPTANCE_MIN_JUSTIFICATION = 2
    assert request(item(sec1, HIGH), contributor, why="ok").state == "PENDING"


@pytest.mark.parametrize(("code", "allowed"), [(HIGH, 90), (MEDIUM, 180), (LOW, 365)])
def test_the_expiry_limit_depends_on_the_practices_risk(sec1, contributor, code, allowed):
    with pytest.raises(ValidationError) as error:
        request(item(sec1, code), contributor, days=allowed + 1)
    assert f"at most {allowed} days" in error.value.message_dict["expires_on"][0]
    assert request(item(sec1, code), contributor, days=allowed).expires_on == TODAY + timedelta(days=allowed)


def test_the_expiry_limits_are_configurable(sec1, contributor, settings):
    settings.RISK_ACCEPTANCE_MAX_DAYS_BY_LEVEL = {"HIGH": 10, "MEDIUM": 20, "LOW": 30}
    with pytest.raises(ValidationError):
        request(item(sec1, HIGH), contributor, days=11)


def test_an_item_has_one_open_request_at_a_time(sec1, contributor, owner):
    request(item(sec1, HIGH), contributor)
    with pytest.raises(ValidationError) as error:
        request(item(sec1, HIGH), owner)
    assert "awaits a decision" in str(error.value)


# --- Decisions ----------------------------------------------------------------------------------------------


def test_a_team_owner_decides_medium_and_low_but_not_high(sec1, contributor, owner):
    high = request(item(sec1, HIGH), contributor)
    with pytest.raises(PermissionDenied) as refused:
        acceptance_decide(acceptance=high, actor=owner, approve=True, comment="Fine.")
    assert "security lead" in str(refused.value)
    medium = request(item(sec1, MEDIUM), contributor, days=150)
    assert (
        acceptance_decide(acceptance=medium, actor=owner, approve=True, comment="Fine.").state == "APPROVED"
    )


def test_owners_approving_medium_is_configurable(sec1, contributor, owner, settings):
    settings.RISK_ACCEPTANCE_OWNER_APPROVES = ["LOW"]
    medium = request(item(sec1, MEDIUM), contributor)
    with pytest.raises(PermissionDenied):
        acceptance_decide(acceptance=medium, actor=owner, approve=True, comment="Fine.")


def test_nobody_approves_their_own_request_and_contributors_approve_nothing(sec1, contributor, lead):
    own = request(item(sec1, HIGH), lead)
    with pytest.raises(PermissionDenied) as refused:
        acceptance_decide(acceptance=own, actor=lead, approve=True, comment="Self-approved.")
    assert "someone else" in str(refused.value)
    other = request(item(sec1, LOW), make_user("lee_other_lead", org_role="SECURITY_LEAD"))
    with pytest.raises(PermissionDenied):
        acceptance_decide(acceptance=other, actor=contributor, approve=True, comment="Sure.")


def test_a_rejection_needs_a_comment_and_keeps_the_item_open(sec1, contributor, lead):
    pending = request(item(sec1, HIGH), contributor)
    with pytest.raises(ValidationError):
        acceptance_decide(acceptance=pending, actor=lead, approve=False, comment="  ")
    rejected = acceptance_decide(acceptance=pending, actor=lead, approve=False, comment="Fix it instead.")
    assert (rejected.state, rejected.decided_by, rejected.decision_comment) == (
        "REJECTED",
        lead,
        "Fix it instead.",
    )
    assert item(sec1, HIGH).status == "OPEN"
    assert AuditEvent.objects.filter(action="acceptance.reject", object_id=str(pending.pk)).exists()
    # A rejected request no longer blocks a new one.
    assert request(item(sec1, HIGH), contributor).state == "PENDING"


def test_revoking_reopens_the_item_and_keeps_who_and_why(sec1, contributor, lead):
    accepted = approved(item(sec1, HIGH), contributor, lead)
    acceptance = accepted.acceptances.get()
    acceptance_revoke(acceptance=acceptance, actor=contributor, reason="The rebuild was cancelled.")
    acceptance.refresh_from_db()
    accepted.refresh_from_db()
    assert (acceptance.state, acceptance.ended_by, acceptance.end_reason) == (
        "REVOKED",
        contributor,
        "The rebuild was cancelled.",
    )
    assert (accepted.status, accepted.accepted_by) == ("OPEN", None)


# --- Expiry and reminders -----------------------------------------------------------------------------------


def test_expire_with_a_future_date_reports_without_changing_unless_applied(sec1, contributor, lead):
    accepted = approved(item(sec1, HIGH), contributor, lead, days=20)
    out = StringIO()
    future = (TODAY + timedelta(days=25)).isoformat()
    call_command("expire_acceptances", "--date", future, stdout=out)
    assert "SEC01-BP02" in out.getvalue() and "would expire" in out.getvalue()
    accepted.refresh_from_db()
    assert accepted.status == "RISK_ACCEPTED" and accepted.acceptances.get().state == "APPROVED"
    call_command("expire_acceptances", "--date", future, "--apply", stdout=StringIO())
    accepted.refresh_from_db()
    assert accepted.status == "OPEN" and accepted.acceptances.get().state == "EXPIRED"


def test_reminders_go_14_days_and_1_day_before_and_at_expiry_once_each(sec1, contributor, owner, lead):
    membership_set(team=sec1.workload.team, user=contributor, role="CONTRIBUTOR", actor=owner)
    target = item(sec1, HIGH)
    target.owner = contributor
    target.save(update_fields=["owner"])
    approved(target, contributor, lead, days=30)
    expires = TODAY + timedelta(days=30)
    assert send_acceptance_reminders(expires - timedelta(days=15)) == 0
    assert send_acceptance_reminders(expires - timedelta(days=14)) == 1
    assert send_acceptance_reminders(expires - timedelta(days=14)) == 0  # a second run the same day
    assert send_acceptance_reminders(expires - timedelta(days=3)) == 0  # the 14-day one was sent
    assert send_acceptance_reminders(expires - timedelta(days=1)) == 1
    first, second = mail.outbox
    assert sorted(first.to) == sorted([contributor.email, lead.email, owner.email])
    assert "expires" in first.subject and "SEC01-BP02" in first.subject
    assert "tomorrow" in second.body and WHY in second.body
    # At expiry: the daily job expires it, then tells the same people once.
    call_command("expire_acceptances", "--date", expires.isoformat(), "--apply", stdout=StringIO())
    assert len(mail.outbox) == 3 and "expired" in mail.outbox[2].subject
    assert "back on the improvement plan" in mail.outbox[2].body
    assert send_acceptance_reminders(expires) == 0
    assert sorted(AcceptanceReminder.objects.values_list("kind", flat=True)) == ["D1", "D14", "EXPIRED"]


def test_no_reminder_for_a_pending_or_rejected_request(sec1, contributor, lead):
    request(item(sec1, HIGH), contributor, days=10)
    assert send_acceptance_reminders(TODAY) == 0
    assert mail.outbox == []


# --- Pages --------------------------------------------------------------------------------------------------


def edit_url(target):
    return reverse("plan_item_edit", kwargs={"workload_id": target.workload_id, "item_id": target.pk})


def decide_url(acceptance):
    item = acceptance.item
    return reverse(
        "acceptance_decide",
        kwargs={"workload_id": item.workload_id, "item_id": item.pk, "acceptance_id": acceptance.pk},
    )


def test_the_request_page_creates_a_pending_request(client, sec1, contributor):
    target = item(sec1, MEDIUM)
    url = reverse("plan_item_accept", kwargs={"workload_id": target.workload_id, "item_id": target.pk})
    page = login(client, contributor).get(url).content.decode()
    assert "at most 180 days" in page
    short = client.post(url, {"justification": "no", "expires_on": (TODAY + timedelta(days=9)).isoformat()})
    assert short.status_code == 400 and b"at least 40 characters" in short.content
    data = {
        "justification": WHY,
        "compensating_controls": "Nightly review of the access logs.",
        "expires_on": (TODAY + timedelta(days=90)).isoformat(),
    }
    assert client.post(url, data).status_code == 302
    assert RiskAcceptance.objects.get(item=target).state == "PENDING"
    assert item(sec1, MEDIUM).status == "OPEN"


def test_the_item_page_shows_the_full_history(client, sec1, contributor, owner, lead):
    target = item(sec1, HIGH)
    first = request(target, contributor)
    acceptance_decide(acceptance=first, actor=lead, approve=False, comment="Patch it first.")
    accepted = approved(target, contributor, lead)
    acceptance_revoke(acceptance=accepted.acceptances.get(state="APPROVED"), actor=owner, reason="Fixed now.")
    page = login(client, owner).get(edit_url(target)).content.decode()
    assert "Risk acceptance history" in page
    for text in ("Rejected", "Patch it first.", "Revoked by", "Fixed now.", "Agreed, revisit then.", WHY):
        assert text in page, text


def test_the_decision_page_approves_and_refuses_who_may_not(
    client, sec1, contributor, viewer, outsider, lead
):
    pending = request(item(sec1, HIGH), contributor)
    assert login(client, viewer).get(decide_url(pending)).status_code == 403
    assert login(client, outsider).get(decide_url(pending)).status_code == 404
    assert (
        login(client, contributor)
        .post(decide_url(pending), {"decision": "approve", "comment": "x"})
        .status_code
        == 403
    )
    response = login(client, lead).post(decide_url(pending), {"decision": "approve", "comment": "Accepted."})
    assert response.status_code == 302
    assert item(sec1, HIGH).status == "RISK_ACCEPTED"


def test_the_dashboard_lists_requests_awaiting_the_lead(
    client, sec1, contributor, lead, owner, django_assert_max_num_queries
):
    request(item(sec1, HIGH), contributor)
    request(item(sec1, LOW), contributor)
    page = login(client, lead).get(reverse("dashboard")).content.decode()
    assert "Risk acceptances awaiting your decision (2)" in page
    assert page.count("acceptance_decide") == 0 and page.count("/acceptances/") == 2
    # A team owner sees only the low-risk one; the requester sees none of their own.
    owner_page = login(client, owner).get(reverse("dashboard")).content.decode()
    assert "awaiting your decision (1)" in owner_page
    assert (
        "awaiting your decision" not in login(client, contributor).get(reverse("dashboard")).content.decode()
    )


def test_the_pdf_report_carries_the_acceptance_history(sec1, contributor, lead):
    target = item(sec1, HIGH)
    rejected = request(target, contributor)
    acceptance_decide(acceptance=rejected, actor=lead, approve=False, comment="Patch it first.")
    approved(target, contributor, lead)
    content = build_report(sec1, kind="executive")
    assert [line.state for line in content.acceptances] == ["Rejected", "Approved"]
    html = report_html(content)
    assert "Risk acceptance history" in html and "Patch it first." in html and "Agreed, revisit then." in html
