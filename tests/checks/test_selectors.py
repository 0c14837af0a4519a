from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from checks.models import FindingSource, RunState
from checks.selectors import (
    Verdict,
    bp_drilldown,
    coverage,
    evidence_by_bp,
    latest_usable_run,
    suggested_practices,
)
from checks.services import suggestions_apply
from questionnaire.models import Question
from reviewapp.models import AuditEvent
from reviewapp.services import AnswerConflict, answer_record

from .factories import finding, finished_run


@pytest.mark.django_db
def test_no_finished_run_means_no_evidence(workload, django_assert_num_queries):
    finished_run(workload, state=RunState.FAILED)
    # The latest usable run (none), then the imported findings (none).
    with django_assert_num_queries(2):
        assert evidence_by_bp(workload) == {}


@pytest.mark.django_db
def test_each_bp_gets_a_verdict_with_counts_and_age(workload):
    run = finished_run(workload, ago=timedelta(hours=3))
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02", "SEC02-BP01"])
    finding(run, "iam.console_users_mfa", "FAIL", ["SEC02-BP01"])
    finding(run, "iam.console_users_mfa", "PASS", ["SEC02-BP01"], arn="arn:aws:iam::111122223333:user/ok")
    finding(run, "guardduty.enabled", "ERROR", ["SEC04-BP03", "SEC10-BP06"])
    finding(run, "guardduty.enabled", "PASS", ["SEC04-BP03", "SEC10-BP06"], region="us-east-1")
    finding(run, "rds.storage_encrypted", "NOT_APPLICABLE", ["SEC08-BP02"])
    finding(run, "macie.enabled", "ERROR", ["SEC07-BP03"])

    evidence = evidence_by_bp(workload)

    assert evidence["SEC01-BP02"].verdict == Verdict.SUPPORTS
    assert (evidence["SEC02-BP01"].verdict, evidence["SEC02-BP01"].passed, evidence["SEC02-BP01"].failed) == (
        Verdict.CONTRADICTS,
        2,
        1,
    )
    assert evidence["SEC02-BP01"].check_ids == ("iam.console_users_mfa", "iam.root_mfa")
    # An error is never support: GuardDuty passed in us-east-1 but could not look in eu-west-1.
    assert (evidence["SEC04-BP03"].verdict, evidence["SEC04-BP03"].errors) == (Verdict.INCONCLUSIVE, 1)
    [gap] = evidence["SEC04-BP03"].gaps
    assert (gap.account_id, gap.region, gap.what) == ("111122223333", "eu-west-1", "guardduty.enabled")
    assert evidence["SEC08-BP02"].verdict == Verdict.INCONCLUSIVE
    assert evidence["SEC07-BP03"].verdict == Verdict.INCONCLUSIVE
    assert "SEC05-BP01" not in evidence
    assert timedelta(hours=2, minutes=59) < evidence["SEC01-BP02"].age < timedelta(hours=3, minutes=1)
    assert evidence["SEC01-BP02"].run_id == run.pk


@pytest.mark.django_db
def test_the_latest_finished_run_wins_and_active_or_failed_runs_are_ignored(workload):
    old = finished_run(workload, ago=timedelta(days=2))
    finding(old, "iam.root_mfa", "FAIL", ["SEC01-BP02"])
    new = finished_run(workload, state=RunState.PARTIAL, ago=timedelta(hours=1))
    finding(new, "iam.root_mfa", "PASS", ["SEC01-BP02"])
    failed = finished_run(workload, state=RunState.FAILED, ago=timedelta(minutes=5))
    finding(failed, "iam.root_mfa", "FAIL", ["SEC01-BP02"])
    assert latest_usable_run(workload) == new
    assert evidence_by_bp(workload)["SEC01-BP02"].verdict == Verdict.SUPPORTS


@pytest.mark.django_db
def test_evidence_by_bp_runs_two_queries_however_many_findings(workload, django_assert_num_queries):
    run = finished_run(workload)
    for i in range(3):
        finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02"], arn=f"arn:aws:iam::1:x/{i}")
    with django_assert_num_queries(2):
        evidence_by_bp(workload)
    for i in range(40):
        finding(
            run,
            f"check.number_{i % 7}",
            ["PASS", "FAIL"][i % 2],
            [f"SEC0{1 + i % 9}-BP01"],
            arn=f"arn:aws:iam::1:y/{i}",
        )
    with django_assert_num_queries(2):
        assert len(evidence_by_bp(workload)) == 10  # nine new BPs and SEC01-BP02


@pytest.mark.django_db
def test_the_drill_down_lists_failing_resources_first_with_remediation(workload, django_assert_num_queries):
    run = finished_run(workload)
    finding(run, "iam.console_users_mfa", "FAIL", ["SEC02-BP01"], arn="arn:aws:iam::111122223333:user/alice")
    finding(run, "iam.root_mfa", "PASS", ["SEC01-BP02", "SEC02-BP01"])
    finding(run, "s3.bucket_lifecycle", "FAIL", ["SEC07-BP04"])
    with django_assert_num_queries(5):
        drilldown = bp_drilldown(workload, "SEC02-BP01")
    assert drilldown.bp.title == "Use strong sign-in mechanisms"
    assert [row.finding.resource_arn for row in drilldown.failing] == ["arn:aws:iam::111122223333:user/alice"]
    assert drilldown.failing[0].remediation.startswith("Require each console user to register an MFA device")
    assert [row.finding.check_id for row in drilldown.others] == ["iam.root_mfa"]
    assert {c.id for c in drilldown.checks} >= {
        "iam.root_mfa",
        "iam.console_users_mfa",
        "iam.password_policy",
    }


@pytest.mark.django_db
def test_coverage_lists_every_bp_and_whether_a_check_evidences_it(django_assert_num_queries):
    with django_assert_num_queries(3):
        rows = coverage()
    assert len(rows) == 63
    by_code = {row.bp.code: row for row in rows}
    assert by_code["SEC01-BP02"].automated
    assert not by_code["SEC11-BP03"].automated  # penetration testing needs a person


def _sec2_evidence(review):
    run = finished_run(review.workload)
    finding(run, "iam.password_policy", "PASS", ["SEC02-BP01"])
    finding(run, "secretsmanager.rotation", "PASS", ["SEC02-BP03", "SEC02-BP05"])
    finding(run, "iam.access_key_rotation", "FAIL", ["SEC02-BP05"])
    return run, Question.objects.get(lens_version=review.lens_version, code="SEC2")


@pytest.mark.django_db
def test_suggested_practices_are_only_the_supported_bps_and_answer_nothing(review):
    run, question = _sec2_evidence(review)

    suggestions = suggested_practices(review, question)
    assert (suggestions.codes, suggestions.run_id, suggestions.sources) == (
        ["SEC02-BP01", "SEC02-BP03"],
        run.pk,
        [FindingSource.CHECKS],
    )

    assert review.answers.get(question=question).selected == []
    assert not AuditEvent.objects.filter(action="evidence.suggestions_apply").exists()


@pytest.mark.django_db
def test_applying_suggestions_saves_the_answer_and_names_the_person_in_one_entry(review, owner):
    run, question = _sec2_evidence(review)
    answer = review.answers.get(question=question)

    assert suggestions_apply(review=review, question=question, actor=owner, base_version=answer.version) == [
        "SEC02-BP01",
        "SEC02-BP03",
    ]

    answer.refresh_from_db()
    assert answer.selected == ["SEC02-BP01", "SEC02-BP03"] and answer.updated_by == owner
    event = AuditEvent.objects.get(action="evidence.suggestions_apply")
    assert event.actor == owner and event.after == {
        "question": "SEC2",
        "suggested": ["SEC02-BP01", "SEC02-BP03"],
        "run": str(run.pk),
        "sources": [FindingSource.CHECKS],
        "version": answer.version,
    }


@pytest.mark.django_db
def test_a_version_conflict_saves_nothing_and_records_no_suggestions_applied(review, owner):
    """Regression: the audit entry was written before the answer's save, so a refused save still said the
    suggestions were applied."""
    _, question = _sec2_evidence(review)
    stale = review.answers.get(question=question).version
    # Someone else saves the answer after the person opened the suggestions.
    answer_record(review=review, question=question, actor=owner, base_version=stale, selected=["SEC02-BP02"])

    with pytest.raises(AnswerConflict):
        suggestions_apply(review=review, question=question, actor=owner, base_version=stale)

    assert review.answers.get(question=question).selected == ["SEC02-BP02"]
    assert not AuditEvent.objects.filter(action="evidence.suggestions_apply").exists()


@pytest.mark.django_db
def test_applying_suggestions_refuses_a_question_marked_not_applicable(review, owner):
    _, question = _sec2_evidence(review)
    answer = answer_record(
        review=review,
        question=question,
        actor=owner,
        base_version=1,
        is_applicable=False,
        reason="OUT_OF_SCOPE",
    )
    with pytest.raises(ValidationError, match="mark it as applicable first"):
        suggestions_apply(review=review, question=question, actor=owner, base_version=answer.version)
    assert not AuditEvent.objects.filter(action="evidence.suggestions_apply").exists()


@pytest.mark.django_db
def test_applying_suggestions_refuses_a_question_of_another_lens_version(review, owner):
    from questionnaire.models import LensVersion

    question = Question.objects.filter(lens_version=review.lens_version).first()
    question.lens_version_id = LensVersion.objects.order_by("-id").first().pk + 1
    with pytest.raises(ValidationError):
        suggestions_apply(review=review, question=question, actor=owner, base_version=1)
