"""The daily plan jobs as management commands and Celery tasks: expire_acceptances and send_reminders."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from reviewapp.models import Answer, ImprovementItem
from reviewapp.services import answer_record, item_update
from reviewapp.tasks import expire_risk_acceptances as expire_task
from reviewapp.tasks import send_item_reminders as reminders_task
from tests.acceptances import approved

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def target(review, owner):
    question = review.lens_version.questions.get(code="SEC1")
    answer = Answer.objects.get(review=review, question=question)
    answer_record(
        review=review, question=question, actor=owner, base_version=answer.version, selected=["SEC01-BP01"]
    )
    return ImprovementItem.objects.get(workload=review.workload, bp_code="SEC01-BP02")


def update(item, actor, **changes):
    fields = {"status": item.status, "owner": item.owner, "due_date": item.due_date}
    return item_update(item=item, actor=actor, **(fields | changes))


def test_the_expiry_command_and_task_reopen_expired_acceptances(target, owner):
    accepted = approved(target, owner, days=1)
    out = StringIO()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    call_command("expire_acceptances", "--date", tomorrow, "--apply", stdout=out)
    assert "1 expired risk acceptance reopened" in out.getvalue()
    accepted.refresh_from_db()
    assert accepted.status == "OPEN"
    assert expire_task.delay() is not None  # eager in tests: runs for today, nothing left to expire


def test_the_reminder_command_and_task_send_once(target, owner, contributor):
    update(target, owner, owner=contributor, due_date=TODAY)
    out = StringIO()
    call_command("send_reminders", stdout=out)
    assert "1 reminder e-mail sent" in out.getvalue()
    reminders_task.delay()
    assert len(mail.outbox) == 1


def test_the_commands_refuse_a_malformed_date():
    with pytest.raises(CommandError, match="not a date"):
        call_command("expire_acceptances", "--date", "30/06/2025")
    with pytest.raises(CommandError, match="not a date"):
        call_command("send_reminders", "--date", "tomorrow")
