from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from reviewapp.models import Answer, AuditEvent, ImprovementItem, ReminderLog
from reviewapp.services import (
    answer_record,
    expire_risk_acceptances,
    item_update,
    items_bulk_update,
    membership_set,
    send_item_reminders,
)
from reviewapp.services.plan import KEEP
from tests.acceptances import approved
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


def item(review, code) -> ImprovementItem:
    return ImprovementItem.objects.select_related("workload").get(workload=review.workload, bp_code=code)


@pytest.fixture
def sec1(review, owner):
    """SEC1 answered with only BP01 in place: SEC01-BP02..BP08 are on the plan."""
    record(review, owner, "SEC1", selected=["SEC01-BP01"])
    return review


def update(target, actor, **changes):
    fields = {
        "status": target.status,
        "owner": target.owner,
        "due_date": target.due_date,
        "ticket_url": target.ticket_url,
        "notes": target.notes,
        "acceptance_justification": target.acceptance_justification,
        "acceptance_expires_on": target.acceptance_expires_on,
    }
    return item_update(item=target, actor=actor, **(fields | changes))


def accept(target, actor, days=30):
    return approved(target, actor, days=days)


# --- The item follows the answers ---------------------------------------------------------------------------


def test_it_resolves_on_select_and_reopens_on_unselect_keeping_tracking_and_history(sec1, owner, contributor):
    target = update(item(sec1, "SEC01-BP02"), owner, owner=contributor, due_date=TODAY + timedelta(days=9))
    record(sec1, owner, "SEC1", selected=["SEC01-BP01", "SEC01-BP02"])
    target.refresh_from_db()
    assert (target.status, target.is_active) == ("DONE", False)
    record(sec1, owner, "SEC1", selected=["SEC01-BP01"])
    target.refresh_from_db()
    assert (target.status, target.is_active) == ("OPEN", True)
    assert target.owner == contributor and target.due_date == TODAY + timedelta(days=9)
    actions = list(AuditEvent.objects.filter(object_id=str(target.pk)).values_list("action", flat=True))
    assert actions == ["item.open", "item.update", "item.resolve", "item.reopen"]


def test_it_refuses_to_mark_an_item_done_by_hand(sec1, owner):
    with pytest.raises(ValidationError) as error:
        update(item(sec1, "SEC01-BP03"), owner, status="DONE")
    assert "answer SEC1" in error.value.message_dict["status"][0]
    assert item(sec1, "SEC01-BP03").status == "OPEN"


def test_it_refuses_changes_to_items_that_left_the_plan(sec1, owner):
    record(sec1, owner, "SEC1", selected=["SEC01-BP01", "SEC01-BP04"])
    with pytest.raises(ValidationError) as error:
        update(item(sec1, "SEC01-BP04"), owner, notes="late note")
    assert "no longer on the improvement plan" in error.value.messages[0]


def test_it_only_lets_team_members_own_items(sec1, owner, outsider, viewer):
    with pytest.raises(ValidationError) as error:
        update(item(sec1, "SEC01-BP02"), owner, owner=outsider)
    assert "not a member" in error.value.message_dict["owner"][0]
    assert update(item(sec1, "SEC01-BP02"), owner, owner=viewer).owner == viewer


def test_it_rejects_non_web_ticket_links_and_long_notes_and_saves_nothing(sec1, owner):
    with pytest.raises(ValidationError) as error:
        update(item(sec1, "SEC01-BP02"), owner, ticket_url="javascript:alert(1)", notes="n" * 2001)
    assert set(error.value.message_dict) == {"ticket_url", "notes"}
    assert item(sec1, "SEC01-BP02").notes == ""


def test_it_audits_an_update_with_only_what_changed(sec1, owner):
    update(item(sec1, "SEC01-BP02"), owner, status="IN_PROGRESS", ticket_url="https://tickets.example/SEC-1")
    event = AuditEvent.objects.filter(action="item.update").latest("id")
    assert event.before == {"status": "OPEN", "ticket_url": ""}
    assert event.after == {"status": "IN_PROGRESS", "ticket_url": "https://tickets.example/SEC-1"}


def test_saving_without_changes_writes_no_audit_entry(sec1, owner):
    before = AuditEvent.objects.count()
    update(item(sec1, "SEC01-BP02"), owner)
    assert AuditEvent.objects.count() == before


# --- Accepting a risk ---------------------------------------------------------------------------------------


def test_an_edit_cannot_accept_a_risk_without_approval(sec1, owner):
    with pytest.raises(ValidationError) as error:
        update(
            item(sec1, "SEC01-BP02"),
            owner,
            status="RISK_ACCEPTED",
            acceptance_justification="Because I say so, and nobody needs to approve it.",
            acceptance_expires_on=TODAY + timedelta(days=30),
        )
    assert "once someone else approves it" in error.value.message_dict["status"][0]
    assert item(sec1, "SEC01-BP02").status == "OPEN"


def test_leaving_an_accepted_risk_revokes_the_acceptance_and_clears_the_item(sec1, owner, lead):
    accepted = accept(item(sec1, "SEC01-BP02"), owner)
    assert accepted.accepted_by == lead
    assert AuditEvent.objects.filter(action="item.accept_risk", object_id=str(accepted.pk)).exists()
    reopened = update(accepted, owner, status="IN_PROGRESS")
    assert (reopened.acceptance_justification, reopened.acceptance_expires_on, reopened.accepted_by) == (
        "",
        None,
        None,
    )
    acceptance = reopened.acceptances.get()
    assert (acceptance.state, acceptance.ended_by) == ("REVOKED", owner)
    assert "In progress" in acceptance.end_reason


def test_keeping_an_acceptance_while_editing_other_fields_keeps_it(sec1, owner):
    accepted = accept(item(sec1, "SEC01-BP02"), owner, days=20)
    kept = update(accepted, owner, notes="still accepted")
    assert (kept.status, kept.acceptance_expires_on) == ("RISK_ACCEPTED", TODAY + timedelta(days=20))


# --- Expiry -------------------------------------------------------------------------------------------------


def test_an_expired_acceptance_reopens_on_its_expiry_date_and_is_audited(sec1, owner):
    soon = accept(item(sec1, "SEC01-BP02"), owner, days=3)
    later = accept(item(sec1, "SEC01-BP03"), owner, days=4)
    assert expire_risk_acceptances(TODAY + timedelta(days=2)) == []
    assert [line.bp_code for line in expire_risk_acceptances(TODAY + timedelta(days=3))] == ["SEC01-BP02"]
    soon.refresh_from_db()
    later.refresh_from_db()
    assert (soon.status, soon.acceptance_expires_on, soon.acceptance_justification) == ("OPEN", None, "")
    assert later.status == "RISK_ACCEPTED"
    event = AuditEvent.objects.get(action="item.acceptance_expired")
    assert event.actor is None and event.actor_label == "system"
    assert event.before["status"] == "RISK_ACCEPTED" and event.after["status"] == "OPEN"
    # The item forgets the acceptance; its history does not.
    assert soon.acceptances.get().state == "EXPIRED"


# --- Bulk changes -------------------------------------------------------------------------------------------


def test_bulk_assigns_owner_and_due_date_and_audits_each_item(sec1, owner, contributor):
    items = [item(sec1, "SEC01-BP02"), item(sec1, "SEC01-BP03")]
    changed = items_bulk_update(
        items=items, actor=owner, owner=contributor, due_date=TODAY + timedelta(days=5)
    )
    assert changed == 2
    for target in items:
        target.refresh_from_db()
        assert (target.owner, target.due_date) == (contributor, TODAY + timedelta(days=5))
    assert AuditEvent.objects.filter(action="item.bulk_update").count() == 2


def test_bulk_keeps_what_it_is_not_asked_to_change_and_none_clears(sec1, owner, contributor):
    target = update(item(sec1, "SEC01-BP02"), owner, owner=contributor, due_date=TODAY)
    items_bulk_update(items=[target], actor=owner, owner=KEEP, due_date=None)
    target.refresh_from_db()
    assert (target.owner, target.due_date) == (contributor, None)


def test_bulk_is_all_or_nothing(sec1, owner, contributor):
    record(sec1, owner, "SEC1", selected=["SEC01-BP01", "SEC01-BP04"])
    items = [item(sec1, "SEC01-BP02"), item(sec1, "SEC01-BP04")]
    with pytest.raises(ValidationError) as error:
        items_bulk_update(items=items, actor=owner, owner=contributor)
    assert "SEC01-BP04 is no longer on the plan" in error.value.message_dict["items"][0]
    assert item(sec1, "SEC01-BP02").owner is None


def test_bulk_refuses_an_owner_from_another_team_and_an_empty_request(sec1, owner, outsider):
    with pytest.raises(ValidationError) as error:
        items_bulk_update(items=[item(sec1, "SEC01-BP02")], actor=owner, owner=outsider)
    assert "owner" in error.value.message_dict
    with pytest.raises(ValidationError):
        items_bulk_update(items=[item(sec1, "SEC01-BP02")], actor=owner)
    with pytest.raises(ValidationError):
        items_bulk_update(items=[], actor=owner, owner=None)


# --- Reminders ----------------------------------------------------------------------------------------------


def test_reminders_send_one_email_per_owner_per_day(sec1, owner, contributor):
    update(item(sec1, "SEC01-BP02"), owner, owner=contributor, due_date=TODAY - timedelta(days=2))
    update(item(sec1, "SEC01-BP03"), owner, owner=contributor, due_date=TODAY + timedelta(days=7))
    update(item(sec1, "SEC01-BP04"), owner, owner=owner, due_date=TODAY + timedelta(days=1))
    assert send_item_reminders(TODAY) == 2
    assert send_item_reminders(TODAY) == 0
    assert len(mail.outbox) == 2
    to_contributor = next(message for message in mail.outbox if message.to == [contributor.email])
    assert "SEC01-BP02" in to_contributor.body and "SEC01-BP03" in to_contributor.body
    assert "1 overdue" in to_contributor.subject
    assert ReminderLog.objects.filter(date=TODAY).count() == 2
    assert send_item_reminders(TODAY + timedelta(days=1)) == 2
    assert len(mail.outbox) == 4


def test_reminders_skip_items_not_due_soon_done_or_accepted(sec1, owner, contributor):
    update(item(sec1, "SEC01-BP02"), owner, owner=contributor, due_date=TODAY + timedelta(days=8))
    accepted = update(item(sec1, "SEC01-BP03"), owner, owner=contributor, due_date=TODAY)
    accept(accepted, owner)
    update(item(sec1, "SEC01-BP04"), owner, owner=contributor, due_date=TODAY)
    record(sec1, owner, "SEC1", selected=["SEC01-BP01", "SEC01-BP04"])
    assert send_item_reminders(TODAY) == 0
    assert mail.outbox == []


def test_reminders_skip_owners_who_left_the_team(sec1, owner, team):
    leaver = make_user("lee_leaver")
    membership = membership_set(team=team, user=leaver, role="CONTRIBUTOR", actor=owner)
    update(item(sec1, "SEC01-BP02"), owner, owner=leaver, due_date=TODAY)
    membership.delete()
    assert send_item_reminders(TODAY) == 0


def test_a_failed_send_is_retried_by_the_next_run(sec1, owner, contributor, monkeypatch):
    update(item(sec1, "SEC01-BP02"), owner, owner=contributor, due_date=TODAY)

    def broken(self, fail_silently=False):
        raise OSError("mail server unreachable")

    with monkeypatch.context() as patch:
        patch.setattr("django.core.mail.EmailMessage.send", broken)
        assert send_item_reminders(TODAY) == 0
    assert not ReminderLog.objects.exists()
    assert send_item_reminders(TODAY) == 1
