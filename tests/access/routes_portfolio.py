"""Access table for the consolidated report and saved dashboard filters (reviewapp/views/portfolio.py and
reviewapp/api/portfolio.py). A consolidated report belongs to whoever asked for it (and organisation admins may
open it); a saved filter only to its owner: for everyone else they do not exist (404), teammates included."""

from __future__ import annotations

from . import Route, World

JSON = "application/json"


def prepare(world: World) -> None:
    from reviewapp.models import ReportJob, SavedFilter

    world.extra["consolidated"] = ReportJob.objects.create(
        review=None,
        kind=ReportJob.Kind.CONSOLIDATED,
        format="pdf",
        state=ReportJob.State.DONE,
        content=b"%PDF-1.7 access test",
        size=20,
        filename="portfolio-security-report.pdf",
        scope={"filters": {}, "since": "2025-01-01", "label": "All workloads"},
        created_by=world.owner,
    )
    world.extra["saved_filter"] = SavedFilter.objects.create(
        user=world.owner, name="Production", filters={"environment": "PRODUCTION"}
    )


ROUTES = {
    "portfolio_reports": Route(scope="user", write="post", data=lambda world: {"environment": "PRODUCTION"}),
    "portfolio_report_jobs": Route(scope="user"),
    "portfolio_report_download": Route(
        scope="object",
        only_its_owner=True,
        admins_too=True,
        kwargs=lambda world: {"job_id": world.consolidated.pk},
    ),
    "saved_filter_save": Route(
        scope="user",
        read=False,
        write="post",
        data=lambda world: {"name": "Mine", "environment": "PRODUCTION"},
    ),
    "saved_filter_delete": Route(
        scope="object",
        read=False,
        write="post",
        only_its_owner=True,
        kwargs=lambda world: {"filter_id": world.saved_filter.pk},
    ),  # fmt: skip
    "api_consolidated_report_list": Route(
        scope="user",
        api=True,
        write="post",
        content_type=JSON,
        data=lambda world: {"format": "xlsx"},
        write_ok=(202,),
    ),  # fmt: skip
    "api_dashboard_totals": Route(scope="user", api=True),
    "api_saved_filter_list": Route(
        scope="user",
        api=True,
        write="post",
        content_type=JSON,
        data=lambda world: {"name": "Production again", "environment": "PRODUCTION"},
        write_ok=(201,),
    ),  # fmt: skip
    "api_saved_filter_detail": Route(
        scope="object",
        api=True,
        write="delete",
        only_its_owner=True,
        write_ok=(204,),
        kwargs=lambda world: {"filter_id": world.saved_filter.pk},
    ),  # fmt: skip
}
