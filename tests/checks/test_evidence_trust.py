"""An error is never support, and evidence has a lifetime: what a security lead sees for a practice when a
check could not look, a task failed, or the evidence is old."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from checks import services
from checks.models import RunState
from checks.selectors import Verdict, evidence_by_bp, suggested_practices
from questionnaire.models import Question

from .factories import finding, finished_run, target_for, task

DENIED = "Access denied to ListDetectors: the role lacks this permission (AccessDenied: not authorized)"


def guardduty_in_one_of_three_regions(workload):
    """GuardDuty seen in eu-west-1, access denied in eu-central-1, and us-east-1's task failed."""
    run = finished_run(workload, state=RunState.PARTIAL)
    finding(run, "guardduty.enabled", "PASS", ["SEC04-BP03", "SEC10-BP06"], region="eu-west-1")
    finding(run, "guardduty.enabled", "ERROR", ["SEC04-BP03", "SEC10-BP06"], region="eu-central-1")
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02", "SEC02-BP01"], region="global")
    task(run, "detection", "us-east-1", state="FAILED", error="Could not assume the role: AccessDenied")
    task(run, "detection", "eu-west-1")
    return run


@pytest.mark.django_db
def test_a_practice_seen_in_one_region_of_three_is_inconclusive_and_says_where_and_why(workload):
    guardduty_in_one_of_three_regions(workload)
    evidence = evidence_by_bp(workload)
    summary = evidence["SEC04-BP03"]
    assert summary.verdict == Verdict.INCONCLUSIVE and summary.label == "Evidence inconclusive"
    assert summary.passed == 1 and summary.errors == 1
    places = {(gap.region, gap.what) for gap in summary.gaps}
    assert ("eu-central-1", "guardduty.enabled") in places
    # The failed task would have run every detection check of us-east-1, GuardDuty among them.
    assert ("us-east-1", "guardduty.enabled") in places
    reasons = " ".join(gap.reason for gap in summary.gaps)
    assert "The detection checks failed: Could not assume the role" in reasons
    # A practice no failing check evidences keeps its verdict.
    assert evidence["SEC01-BP02"].verdict == Verdict.SUPPORTS


@pytest.mark.django_db
def test_a_cancelled_task_makes_its_practices_inconclusive_too(workload):
    run = finished_run(workload, state=RunState.PARTIAL)
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02", "SEC02-BP01"], region="global")
    task(run, "identity", "global", state="CANCELLED", error="The run ended before this task ran.")
    summary = evidence_by_bp(workload)["SEC01-BP02"]
    assert summary.verdict == Verdict.INCONCLUSIVE
    assert any("was cancelled" in gap.reason for gap in summary.gaps)


@pytest.mark.django_db
def test_suggestions_never_preselect_an_inconclusive_practice(workload, review, owner):
    run = guardduty_in_one_of_three_regions(workload)
    finding(run, "account.security_contact", "PASS", ["SEC10-BP01"], region="global")
    question = Question.objects.get(lens_version=review.lens_version, code="SEC10")
    # SEC10-BP06 rests on GuardDuty, which could not look everywhere; SEC10-BP01 was fully seen.
    assert suggested_practices(review, question).codes == ["SEC10-BP01"]


@pytest.mark.django_db
def test_the_review_page_says_which_accounts_regions_and_checks_could_not_look(
    client, workload, review, owner
):
    guardduty_in_one_of_three_regions(workload)
    client.force_login(owner)
    page = client.get(reverse("review_question", args=[review.pk, "SEC4"])).content.decode()
    assert "Evidence inconclusive" in page and "Evidence supports" not in page
    assert "Could not look:" in page and "eu-central-1" in page and "us-east-1" in page
    assert "Access denied to ListDetectors" in page or "could not be checked" in page
    assert "review the suggestions" not in page
    detail = client.get(reverse("evidence_bp", args=[workload.pk, "SEC04-BP03"])).content.decode()
    assert "Where the evidence could not look" in detail
    assert "The detection checks failed: Could not assume the role: AccessDenied" in detail
    suggestions = client.get(reverse("review_suggestions", args=[review.pk, "SEC4"])).content.decode()
    assert "SEC04-BP03" not in suggestions


@pytest.mark.django_db
def test_expired_evidence_is_shown_as_stale_and_never_suggests(client, workload, review, owner):
    run = finished_run(workload, ago=timedelta(days=40))
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02", "SEC02-BP01"], region="global")
    summary = evidence_by_bp(workload)["SEC02-BP01"]
    assert (summary.verdict, summary.label, summary.stale, summary.passed) == (
        Verdict.INCONCLUSIVE,
        "Evidence expired",
        1,
        0,
    )
    question = Question.objects.get(lens_version=review.lens_version, code="SEC2")
    assert suggested_practices(review, question).codes == []
    client.force_login(owner)
    page = client.get(reverse("review_question", args=[review.pk, "SEC2"])).content.decode()
    assert "Evidence expired" in page and "1 stale" in page
    detail = client.get(reverse("evidence_bp", args=[workload.pk, "SEC02-BP01"])).content.decode()
    assert "Stale" in detail


@pytest.mark.django_db
def test_a_check_may_keep_its_evidence_for_fewer_days(workload):
    run = finished_run(workload, ago=timedelta(days=8))
    finding(run, "acm.certificates_not_expiring", "PASS", ["SEC09-BP01"], valid_days=7)
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02"], valid_days=30)
    evidence = evidence_by_bp(workload)
    assert evidence["SEC09-BP01"].expired and evidence["SEC01-BP02"].verdict == Verdict.SUPPORTS
    assert evidence["SEC01-BP02"].valid_until.date() == (timezone.now() + timedelta(days=22)).date()


@pytest.mark.django_db
def test_the_scheduled_recollection_refreshes_expired_evidence(workload, owner, settings, monkeypatch):
    """Beat starts the due collection; once it finishes, the practice is judged on fresh evidence again."""
    old = finished_run(workload, ago=timedelta(days=40))
    finding(old, "iam.root_mfa", "PASS", ["SEC01-BP02"], region="global")
    assert evidence_by_bp(workload)["SEC01-BP02"].expired
    target_for(workload)
    services.schedule_set(workload=workload, actor=owner, frequency="WEEKLY")
    [run] = services.scheduled_runs_start()
    # What the worker writes for the run (executing it against AWS is covered by the collection tests).
    run.tasks.update(state="SUCCEEDED", finished_at=timezone.now())
    type(run).objects.filter(pk=run.pk).update(
        state=RunState.SUCCEEDED, finished_at=timezone.now(), done_tasks=run.total_tasks
    )
    run.refresh_from_db()
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02"], region="global")
    fresh = evidence_by_bp(workload)["SEC01-BP02"]
    assert (fresh.verdict, fresh.stale, fresh.run_id) == (Verdict.SUPPORTS, 0, run.pk)


def test_findings_get_the_lifetime_of_their_check(settings):
    from checks.registry import get_check

    settings.EVIDENCE_VALID_DAYS = 14
    assert get_check("iam.root_mfa").validity == timedelta(days=14)
