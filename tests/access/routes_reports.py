"""Access table for reports and exports (reviewapp/views/reports.py).

Reports show nothing the review pages do not, so everyone who may VIEW a workload may download them; asking
for a new one (POST review_reports) takes a worker's time, so it needs PLAN (contributors, owners, leads) and
viewers get 403. Importing creates a workload in a team the user may write to.
"""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from . import Route, World


def prepare(world: World) -> None:
    from reviewapp.models import ReportJob

    world.extra["report"] = ReportJob.objects.create(
        review=world.review,
        created_by=world.owner,
        state=ReportJob.State.DONE,
        content=b'{"format": "wa-security-review/1"}',
        format=ReportJob.Format.JSON,
        filename="checkout-api-review.json",
        size=34,
    )


def _review(world: World) -> dict:
    return {"review_id": world.review.pk}


def _import_data(world: World) -> dict:
    from reviewapp.reports.review_json import review_json_bytes

    return {
        "file": SimpleUploadedFile("review.json", review_json_bytes(world.review), "application/json"),
        "team": str(world.team.pk),
        "name": "Checkout API (imported)",
    }


ROUTES = {
    "review_reports": Route(
        scope="object",
        kwargs=_review,
        write="post",
        needs="plan",
        data=lambda world: {"kind": "full", "format": "json", "source": ""},
    ),
    "report_jobs": Route(scope="object", kwargs=_review),
    "report_download": Route(
        scope="object", kwargs=lambda world: {**_review(world), "job_id": world.report.pk}
    ),
    "review_export": Route(scope="object", kwargs=lambda world: {**_review(world), "fmt": "json"}),
    "review_import": Route(scope="user", write="post", data=_import_data),
}
