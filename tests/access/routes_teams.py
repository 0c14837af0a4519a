"""Access table for the team pages (reviewapp/views/teams.py)."""

from __future__ import annotations

from . import Route, World


def prepare(world: World) -> None:
    from reviewapp.models import User
    from reviewapp.services import membership_set

    world.extra["teams_newcomer"] = User.objects.create_user(username="teams_newcomer", password="x" * 16)
    member = User.objects.create_user(username="teams_member", password="x" * 16)
    world.extra["teams_membership"] = membership_set(
        team=world.team, user=member, role="CONTRIBUTOR", actor=world.owner
    )


def _team(world: World) -> dict:
    return {"team_id": world.team.pk}


def _membership(world: World) -> dict:
    return {"team_id": world.team.pk, "membership_id": world.teams_membership.pk}


ROUTES = {
    "team_list": Route(scope="user"),
    "team_create": Route(scope="admin", read=False, write="post", data=lambda world: {"name": "Platform"}),
    "team_detail": Route(scope="object", kwargs=_team, on_team=True),
    "team_member_add": Route(
        scope="object",
        needs="administer",
        on_team=True,
        kwargs=_team,
        read=False,
        write="post",
        data=lambda world: {"username": world.teams_newcomer.username, "role": "VIEWER"},
    ),
    "team_member_role": Route(
        scope="object",
        kwargs=_membership,
        read=False,
        write="post",
        data=lambda world: {"role": "VIEWER"},
        needs="administer",
        on_team=True,
    ),
    "team_member_remove": Route(
        scope="object", kwargs=_membership, read=False, write="post", needs="administer", on_team=True
    ),
}
