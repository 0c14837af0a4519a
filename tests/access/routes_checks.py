"""Access table for the evidence pages (checks/views.py)."""

from __future__ import annotations

from . import Route, World


def prepare(world: World) -> None:
    from checks.models import AwsTarget, EvidenceRun, Finding, RunState

    world.extra["target"] = AwsTarget.objects.create(
        workload=world.workload,
        account_id="111122223333",
        role_arn="arn:aws:iam::111122223333:role/WellArchitectedEvidence",
        regions=["eu-west-1"],
    )
    # An active run, so cancelling has something to cancel.
    world.extra["run"] = run = EvidenceRun.objects.create(
        workload=world.workload, state=RunState.RUNNING, total_tasks=4, done_tasks=1
    )
    Finding.objects.create(
        run=run, check_id="iam.root_mfa", bp_codes=["SEC01-BP02"], status="FAIL",
        resource_arn="arn:aws:iam::111122223333:root", region="global", account_id="111122223333",
        message="The root user has no MFA device.", severity="HIGH",
    )  # fmt: skip


def _workload(world: World) -> dict:
    return {"workload_id": world.workload.pk}


def _target(world: World) -> dict:
    return {"workload_id": world.workload.pk, "target_id": world.target.pk}


def _run(world: World) -> dict:
    return {"run_id": world.run.pk}


ROUTES = {
    "evidence_home": Route(scope="object", kwargs=_workload),
    "evidence_coverage": Route(scope="user"),
    "evidence_bp": Route(scope="object", kwargs=lambda world: {**_workload(world), "bp_code": "SEC01-BP02"}),
    "evidence_schedule": Route(
        scope="object",
        kwargs=_workload,
        read=False,
        write="post",
        data=lambda world: {"frequency": "WEEKLY"},
        needs="administer",
    ),
    "run_start": Route(scope="object", kwargs=_workload, read=False, write="post"),
    "run_detail": Route(scope="object", kwargs=_run),
    "run_progress": Route(scope="object", kwargs=_run),
    "run_cancel": Route(scope="object", kwargs=_run, read=False, write="post"),
    "target_add": Route(
        scope="object",
        needs="administer",
        kwargs=_workload,
        write="post",
        viewer_reads=False,
        data=lambda world: {
            "account_id": "444455556666",
            "regions": ["eu-west-1", "us-east-1"],
            "label": "prod",
        },
    ),
    "target_detail": Route(scope="object", kwargs=_target, viewer_reads=False, needs="administer"),
    "target_template": Route(scope="object", kwargs=_target, viewer_reads=False, needs="administer"),
    "target_test": Route(scope="object", kwargs=_target, read=False, write="post", needs="administer"),
    "target_remove": Route(scope="object", kwargs=_target, read=False, write="post", needs="administer"),
}
