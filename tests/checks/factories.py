"""Evidence rows for tests that do not need AWS: runs and findings written straight to the database."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from checks.models import AwsTarget, EvidenceRun, Finding, RunState


def target_for(workload, account_id="111122223333", regions=("eu-west-1",), user=None):
    return AwsTarget.objects.create(
        workload=workload,
        account_id=account_id,
        role_arn=f"arn:aws:iam::{account_id}:role/WellArchitectedEvidence",
        regions=list(regions),
        created_by=user,
    )


def finished_run(workload, *, state=RunState.SUCCEEDED, ago=timedelta(hours=1)):
    finished = timezone.now() - ago
    run = EvidenceRun.objects.create(workload=workload, state=state, total_tasks=1, done_tasks=1)
    EvidenceRun.objects.filter(pk=run.pk).update(
        created_at=finished, started_at=finished, finished_at=finished, heartbeat_at=finished
    )
    run.refresh_from_db()
    return run


def finding(
    run, check_id, status, bps, *, account_id="111122223333", region="eu-west-1", arn=None, valid_days=30
):
    """A finding collected when its run finished, counting as evidence for `valid_days` from then."""
    collected = run.finished_at or timezone.now()
    return Finding.objects.create(
        run=run,
        collected_at=collected,
        valid_until=collected + timedelta(days=valid_days),
        check_id=check_id,
        bp_codes=list(bps),
        status=status,
        resource_arn=arn or f"arn:aws:ec2:{region}:{account_id}:thing/{check_id}-{status}",
        region=region,
        account_id=account_id,
        message=f"{check_id} says {status}",
        severity="MEDIUM",
    )


def task(run, group, region, *, state="SUCCEEDED", error="", account_id="111122223333"):
    from checks.models import EvidenceTask

    return EvidenceTask.objects.create(
        run=run, account_id=account_id, region=region, group=group, state=state, error=error
    )
