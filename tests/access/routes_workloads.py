"""Access table for the workload pages (reviewapp/views/workloads.py)."""

from __future__ import annotations

from . import Route, World


def _workload(world: World) -> dict:
    return {"workload_id": world.workload.pk}


def _fields(world: World) -> dict:
    return {
        "name": "Ledger service",
        "description": "Keeps the books.",
        "environment": "PRODUCTION",
        "review_owner": "olivia@example.test",
        "aws_regions": ["eu-west-1"],
        "account_ids": "111122223333",
    }


ROUTES = {
    "workload_list": Route(scope="user"),
    "workload_create": Route(
        scope="user",
        right="create_workload",
        write="post",
        data=lambda world: {**_fields(world), "team": world.team.pk},
    ),
    "workload_detail": Route(scope="object", kwargs=_workload),
    "workload_edit": Route(scope="object", kwargs=_workload, write="post", data=_fields, viewer_reads=False),
    "workload_archive": Route(scope="object", kwargs=_workload, read=False, write="post", needs="administer"),
    "workload_unarchive": Route(
        scope="object", kwargs=_workload, read=False, write="post", needs="administer"
    ),
}
