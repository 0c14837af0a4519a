"""Access table for the evidence pages (checks/views.py)."""

from __future__ import annotations

from . import Route, World


def prepare(world: World) -> None:
    from checks.models import AwsTarget, EvidenceImport, EvidenceRun, Finding, RunState

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
    world.extra["evidence_import"] = EvidenceImport.objects.create(
        workload=world.workload, source="PROWLER", file_format="prowler-ocsf", file_name="scan.ocsf.json",
        file_size=1000, accounts=["111122223333"], total=1, mapped=1,
    )  # fmt: skip
    Finding.objects.create(
        evidence_import=world.evidence_import, source="PROWLER", check_id="iam_root_mfa_enabled",
        bp_codes=["SEC01-BP02"], status="PASS", resource_arn="arn:aws:iam::111122223333:root", region="global",
        account_id="111122223333", message="Root has MFA.", severity="HIGH",
    )  # fmt: skip


def _scan_file(world: World) -> dict:
    """A Prowler OCSF file of the connected account, fresh for every call (an upload is read once)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from checks.imports.samples import Sample, ocsf_file

    content = ocsf_file([Sample("iam_root_mfa_enabled", "PASS", "111122223333")])
    return {"file": SimpleUploadedFile("scan.ocsf.json", content, content_type="application/json")}


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
    "evidence_import": Route(
        scope="object", kwargs=_workload, write="post", viewer_reads=False, data=_scan_file
    ),
    "evidence_import_detail": Route(
        scope="object", kwargs=lambda world: {"import_id": world.evidence_import.pk}
    ),
}
