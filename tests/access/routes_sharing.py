"""Access table for sharing (reviewapp/views/sharing.py, reviewapp/api/sharing.py), and the world's shares.

prepare() gives the share personas (personas.py) their teams: "Partners", owned by share_viewer, gets the
world's workload as VIEWER; "Integrators", owned by share_contributor, as CONTRIBUTOR. A third team, with no
persona in it, holds the share the routes read and revoke, so revoking never changes a persona's access.
This module's prepare() runs after those of routes_api and routes_reviews (alphabetical), which add workloads."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from . import Route, World

JSON = "application/json"


def prepare(world: World) -> None:
    from reviewapp.models import User, Workload
    from reviewapp.services import team_create
    from reviewapp.services.sharing import share_set

    until = timezone.localdate() + timedelta(days=30)
    for persona, team_name, role in (
        ("share_viewer", "Partners", "VIEWER"),
        ("share_contributor", "Integrators", "CONTRIBUTOR"),
    ):
        user = User.objects.create_user(username=persona, password="x" * 16)
        team = team_create(name=team_name, actor=user)
        # Every workload of the world's team (the areas before this one add some, such as one not yet
        # reviewed): the personas hold the share's actions on all of them, as on the world's workload.
        for workload in Workload.objects.filter(team=world.team):
            share_set(workload=workload, team=team, role=role, expires_on=until, actor=world.owner)
        world.extra[persona] = user
    world.extra["share_other_team"] = team_create(name="Archive readers", actor=world.owner)
    world.extra["share"] = share_set(
        workload=world.workload,
        team=world.share_other_team,
        role="VIEWER",
        expires_on=until,
        actor=world.owner,
    )


def _workload(world: World) -> dict:
    return {"workload_id": world.workload.pk}


def _share(world: World) -> dict:
    return {"workload_id": world.workload.pk, "share_id": world.share.pk}


def _share_data(world: World) -> dict:
    until = timezone.localdate() + timedelta(days=60)
    return {"team": str(world.share_other_team.pk), "role": "CONTRIBUTOR", "expires_on": until.isoformat()}


ROUTES = {
    "workload_shares": Route(
        scope="object", kwargs=_workload, write="post", data=_share_data, needs="administer"
    ),
    "workload_share_revoke": Route(
        scope="object", kwargs=_share, read=False, write="post", needs="administer"
    ),
    "api_share_list": Route(
        scope="object",
        api=True,
        kwargs=_workload,
        write="post",
        content_type=JSON,
        data=_share_data,
        needs="administer",
    ),
    "api_share_detail": Route(
        scope="object", api=True, kwargs=_share, write="delete", needs="administer", write_ok=(204,)
    ),
}
