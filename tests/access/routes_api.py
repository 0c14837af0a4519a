"""Access table for the REST API (reviewapp/api/): anonymous callers get 401, outsiders 404, viewers 403 on
writes.

The API writes send JSON. Answer and improvement-item changes need If-Match, which this table cannot send: the
owner's change gets 428 here once access has been granted, and tests/api/test_answers.py and test_items.py cover
the change itself.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from . import Route, World

JSON = "application/json"


def prepare(world: World) -> None:
    """Objects under keys of our own: other areas' prepare() functions fill the same world."""
    from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT
    from reviewapp.models import ImprovementItem, ReportJob
    from reviewapp.services.lenses import lens_import
    from reviewapp.services.milestones import milestone_create

    # A second lens, so the owner can start another review of the same workload.
    version, _ = lens_import(
        text=json.dumps(CUSTOM_LENS_DOCUMENT), actor=world.admin, slug="access-test-lens"
    )
    world.extra["api_lens"] = version.lens
    world.extra["api_item"], _ = ImprovementItem.objects.get_or_create(
        workload=world.workload, lens=world.review.lens, bp_code="SEC01-BP03"
    )
    world.extra["api_milestone"] = milestone_create(
        review=world.review, actor=world.owner, name="API baseline"
    )
    _prepare_evidence(world)
    world.extra["api_report"] = ReportJob.objects.create(
        review=world.review,
        format="json",
        state=ReportJob.State.DONE,
        content=b"{}",
        size=2,
        filename="access-test.json",
        created_by=world.owner,
    )


def _prepare_evidence(world: World) -> None:
    """Workloads of the owner's team of our own: the evidence pages' prepare() keeps a run active on
    world.workload, and a workload has at most one active run."""
    from checks.models import AwsTarget, EvidenceImport, EvidenceRun, RunState
    from reviewapp.services import workload_create

    for key in ("api_idle_workload", "api_busy_workload"):
        workload = workload_create(
            team=world.team,
            actor=world.owner,
            name=f"API {key}",
            description="For the access table.",
            environment="PRODUCTION",
            review_owner="olivia@example.test",
            aws_regions=["eu-west-1"],
        )
        AwsTarget.objects.create(
            workload=workload,
            account_id="444455556666",
            role_arn="arn:aws:iam::444455556666:role/WellArchitectedEvidence",
            regions=["eu-west-1"],
        )
        world.extra[key] = workload
    world.extra["api_run"] = EvidenceRun.objects.create(
        workload=world.api_busy_workload, state=RunState.RUNNING, total_tasks=2
    )
    world.extra["api_import"] = EvidenceImport.objects.create(
        workload=world.api_idle_workload, source="SECURITY_HUB", file_format="asff", file_name="findings.json",
        file_size=100, accounts=["444455556666"], total=0,
    )  # fmt: skip


def _hub_file(world: World) -> dict:
    """Security Hub findings of the idle workload's connected account, as a multipart upload."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from checks.imports.samples import Sample, asff_file

    content = asff_file([Sample("IAM.6", "PASSED", "444455556666")])
    return {"file": SimpleUploadedFile("findings.json", content, content_type="application/json")}


def _workload(world: World) -> dict:
    return {"workload_id": world.workload.pk}


def _review(world: World) -> dict:
    return {"review_id": world.review.pk}


def _acceptance(world: World) -> dict:
    return {"acceptance_id": world.acceptance.pk}


def _milestone(world: World) -> dict:
    return {"milestone_id": world.api_milestone.pk}


def _tool_workload(world: World) -> dict:
    return {"workload_arn": "arn:aws:wellarchitected:eu-west-1:999988887777:workload/" + "0" * 32}


def _new_workload(world: World) -> dict:
    return {
        "team": str(world.team.pk),
        "name": "Ledger service",
        "description": "Keeps the books.",
        "environment": "PRODUCTION",
        "review_owner": "olivia@example.test",
        "aws_regions": ["eu-west-1"],
    }


def _lens_document(world: World) -> dict:
    from questionnaire.lensformat import parse_custom_lens
    from reviewapp.api.lenses import CUSTOM_LENS_DOCUMENT

    document = json.loads(json.dumps(CUSTOM_LENS_DOCUMENT))
    document["name"] = "Access table lens"
    return {"document": document, "confirm": parse_custom_lens(json.dumps(document)).content_sha256()}


def _review_document(world: World) -> dict:
    from reviewapp.reports.review_json import review_json_bytes

    document = json.loads(review_json_bytes(world.review))
    document["workload"]["name"] = f"Imported {world.review.pk}"[:100]
    return document


def api(scope: str, **options) -> Route:
    if options.get("write"):
        options.setdefault("content_type", JSON)
    return Route(scope=scope, api=True, **options)


ROUTES = {
    "api_team_list": api("user"),
    "api_team_detail": api("object", kwargs=lambda world: {"team_id": world.team.pk}, on_team=True),
    "api_team_review_import": api(
        "object",
        kwargs=lambda world: {"team_id": world.team.pk},
        read=False,
        write="post",
        data=_review_document,
        write_ok=(201,),
        on_team=True,
    ),
    "api_workload_list": api("user", write="post", data=_new_workload),
    "api_workload_detail": api(
        "object", kwargs=_workload, write="patch", data=lambda world: {"notes": "API"}
    ),
    "api_workload_archive": api(
        "object",
        kwargs=_workload,
        read=False,
        write="post",
        data=lambda world: {"archived": True},
        needs="administer",
    ),
    "api_review_list": api(
        "object", kwargs=_workload, write="post", data=lambda world: {"lens": world.api_lens.slug}
    ),
    "api_review_detail": api("object", kwargs=_review),
    "api_answer_list": api("object", kwargs=_review),
    "api_answer_detail": api(
        "object",
        kwargs=lambda world: {"review_id": world.review.pk, "question_code": "SEC1"},
        write="put",
        data=lambda world: {"selected": ["SEC01-BP01"], "notes": "API"},
        write_ok=(428,),
    ),
    # The tool workload is in an account nobody connected: an owner's call that gets as far as the 400
    # "account not connected" has passed access control (tests/api/test_watool.py covers the round trip).
    "api_wa_tool_import": api(
        "object", kwargs=_review, read=False, write="post", data=_tool_workload, write_ok=(400,)
    ),
    "api_wa_tool_export": api(
        "object",
        kwargs=_review,
        read=False,
        write="post",
        data=lambda world: {**_tool_workload(world), "dry_run": True},
        write_ok=(400,),
    ),
    "api_wa_tool_link": api(
        "object",
        kwargs=_review,
        read=False,
        write="post",
        data=lambda world: {"workload": _tool_workload(world)["workload_arn"]},
        write_ok=(400,),
    ),
    "api_wa_tool_create": api(
        "object",
        kwargs=_review,
        read=False,
        write="post",
        data=lambda world: {"account_id": "999988887777", "region": "eu-west-1"},
        write_ok=(400,),
    ),
    # No workload is linked yet: the owner's call reaches the 400 that asks for a link.
    "api_wa_tool_upgrade": api(
        "object",
        kwargs=_review,
        read=False,
        write="post",
        data=lambda world: {"milestone_name": "Before upgrade"},
        write_ok=(400,),
    ),
    "api_audit_list": api("user", right="audit_all"),
    "api_item_list": api("user"),
    # Each item of a bulk change is decided on its own: the owner's succeeds; anyone else's is refused item by
    # item, a 400 that lists why (tests/api/test_items.py checks each persona's reasons).
    "api_item_bulk_update": api(
        "user",
        read=False,
        write="post",
        data=lambda world: {
            "items": [{"id": str(world.api_item.pk), "version": world.api_item.version, "notes": "bulk"}]
        },
        write_ok=(200, 400),
    ),
    "api_workload_item_list": api("object", kwargs=_workload),
    # Requests acceptance of api_item; the decision and revoke work on the low-risk request of someone who is
    # none of the personas (routes_plan.py), as the web pages do.
    "api_acceptance_list": api(
        "object",
        needs="plan",
        kwargs=lambda world: {"item_id": world.api_item.pk},
        write="post",
        data=lambda world: {
            "justification": "Compensating control in place until the rebuild next quarter.",
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
        },
        write_ok=(201,),
    ),
    "api_acceptance_detail": api("object", kwargs=_acceptance),
    "api_acceptance_decide": api(
        "object",
        needs="decide",
        kwargs=_acceptance,
        read=False,
        write="post",
        data=lambda world: {"decision": "approve", "comment": "Agreed for a month."},
    ),
    "api_acceptance_revoke": api(
        "object",
        needs="plan",
        kwargs=_acceptance,
        read=False,
        write="post",
        data=lambda world: {"reason": "The request is no longer needed."},
    ),
    "api_token_list": api(
        "user", write="post", data=lambda world: {"name": "CI", "days": 30}, write_ok=(201,)
    ),
    # Scoped like an object: the token belongs to the owner (routes_tokens.py), so anyone else gets 404.
    "api_token_detail": api(
        "object", kwargs=lambda world: {"token_id": world.api_token.pk}, write="delete", only_its_owner=True
    ),
    "api_item_detail": api(
        "object",
        needs="plan",
        kwargs=lambda world: {"item_id": world.api_item.pk},
        write="patch",
        data=lambda world: {"status": "IN_PROGRESS"},
        write_ok=(428,),
    ),
    "api_milestone_list": api(
        "object", kwargs=_workload, write="post", data=lambda world: {"name": "From CI"}
    ),
    "api_milestone_detail": api("object", kwargs=_milestone),
    "api_milestone_compare": api("object", kwargs=_milestone),
    # Starting a run queues its tasks once the transaction commits: a test never commits, so no AWS call.
    "api_run_list": api(
        "object",
        kwargs=lambda world: {"workload_id": world.api_idle_workload.pk},
        write="post",
        write_ok=(202,),
    ),
    "api_run_detail": api("object", kwargs=lambda world: {"run_id": world.api_run.pk}),
    "api_run_cancel": api(
        "object", kwargs=lambda world: {"run_id": world.api_run.pk}, read=False, write="post"
    ),
    "api_run_findings": api("object", kwargs=lambda world: {"run_id": world.api_run.pk}),
    # Uploads are multipart, not JSON.
    "api_import_list": Route(
        scope="object",
        api=True,
        kwargs=lambda world: {"workload_id": world.api_idle_workload.pk},
        write="post",
        data=_hub_file,
        write_ok=(201,),
    ),
    "api_import_detail": api("object", kwargs=lambda world: {"import_id": world.api_import.pk}),
    "api_import_findings": api("object", kwargs=lambda world: {"import_id": world.api_import.pk}),
    # Asking for a report is a read: viewers may, as on the web page (tests/api/test_reports.py has the POST).
    "api_report_list": api(
        "object",
        kwargs=_review,
        write="post",
        needs="plan",
        data=lambda world: {"kind": "full", "format": "json"},
        write_ok=(202,),  # queued: the job is made by a worker
    ),
    "api_report_detail": api("object", kwargs=lambda world: {"job_id": world.api_report.pk}),
    "api_report_download": api("object", kwargs=lambda world: {"job_id": world.api_report.pk}),
    "api_lens_list": api("user"),
    "api_lens_import": api("admin", read=False, write="post", data=_lens_document),
    "api_lens_import_preview": api("admin", read=False, write="post", data=_lens_document, write_ok=(200,)),
    "api_lens_detail": api("user", kwargs=lambda world: {"slug": "wellarchitected-security"}),
    "api_lens_export": api("user", kwargs=lambda world: {"slug": "wellarchitected-security"}),
    "api_schema": api("user"),
    # The docs page is HTML for signed-in people: anonymous visitors are sent to sign in.
    "api_docs": Route(scope="user"),
}
