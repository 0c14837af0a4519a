"""Access table for Jira (reviewapp/views/jira.py, reviewapp/api/jira.py). The connection is the team OWNER's:
viewers get 403 and outsiders 404; item actions need PLAN (confirming needs EDIT).

The world's connection points at a loopback port nothing listens on, so calls that reach Jira fail at once
with "connection refused" and nothing leaves the machine: an owner's request then ends in an error the page
or the API explains, which is still proof that access let them through (write_ok says which)."""

from __future__ import annotations

from . import Route, World

JSON = "application/json"


def prepare(world: World) -> None:
    from reviewapp.identity.crypto import encrypt
    from reviewapp.models import ImprovementItem, JiraConnection, JiraLink
    from tests.jira_fake import free_port

    connection = JiraConnection.objects.create(
        team=world.team,
        site_url=f"http://127.0.0.1:{free_port()}",
        project_key="SEC",
        deployment="DATA_CENTER",
        token_encrypted=encrypt("access-table-token"),
        created_by=world.owner,
    )
    linked, _ = ImprovementItem.objects.get_or_create(
        workload=world.workload, lens=world.review.lens, bp_code="SEC01-BP04"
    )
    world.extra["jira_item"], _ = ImprovementItem.objects.get_or_create(
        workload=world.workload, lens=world.review.lens, bp_code="SEC02-BP01"
    )
    world.extra["jira_linked_item"] = linked
    JiraLink.objects.create(item=linked, connection=connection, issue_key="SEC-1", jira_status="To Do")


def _team(world: World) -> dict:
    return {"team_id": world.team.pk}


def _item(world: World) -> dict:
    return {"workload_id": world.workload.pk, "item_id": world.jira_item.pk}


def _linked(world: World) -> dict:
    return {"item_id": world.jira_linked_item.pk}


def _connection_data(world: World) -> dict:
    return {
        "site_url": "https://jira.example.test",
        "deployment": "CLOUD",
        "email": "robot@example.test",
        "token": "a-new-token",
        "project_key": "SEC",
        "issue_type": "Task",
    }


def _owner_only(**kwargs) -> Route:
    """The team's connection: reading it too needs ADMINISTER (its owners, organisation admins)."""
    return Route(scope="object", viewer_reads=False, needs="administer", on_team=True, **kwargs)


def _item_action(name: str, data=lambda world: {}, needs: str = "plan") -> Route:  # noqa: ANN001
    return Route(scope="object", read=False, write="post", kwargs=_item, data=data, needs=needs)


ROUTES = {
    "team_jira": _owner_only(kwargs=_team, write="post", data=_connection_data),
    "team_jira_test": _owner_only(kwargs=_team, read=False, write="post"),
    "team_jira_remove": _owner_only(kwargs=_team, read=False, write="post"),
    "item_jira_create": _item_action("create"),
    "item_jira_link": _item_action("link", data=lambda world: {"issue_key": "SEC-7"}),
    "item_jira_sync": _item_action("sync"),
    # Confirming selects the practice in the review: it needs EDIT, which a security lead does not have.
    "item_jira_confirm": _item_action("confirm", needs="edit"),
    "item_jira_dismiss": _item_action("dismiss"),
    "workload_jira_create": Route(
        scope="object",
        read=False,
        write="post",
        needs="plan",
        kwargs=lambda world: {"workload_id": world.workload.pk},
        data=lambda world: {"level": "HIGH"},
    ),  # fmt: skip
    "workload_jira_sync": Route(
        scope="object",
        read=False,
        write="post",
        needs="plan",
        kwargs=lambda world: {"workload_id": world.workload.pk},
    ),  # fmt: skip
    "api_team_jira": _owner_only(
        kwargs=_team, api=True, write="put", content_type=JSON, data=_connection_data, write_ok=(200,)
    ),
    # The refused connection answers 502 with Jira's reason.
    "api_team_jira_test": _owner_only(kwargs=_team, api=True, read=False, write="post", write_ok=(502,)),
    # Linking again is refused (400: the item already has its issue) after access let the owner through.
    "api_item_jira": Route(
        scope="object",
        api=True,
        write="post",
        needs="plan",
        content_type=JSON,
        kwargs=_linked,
        write_ok=(400,),
    ),
    "api_item_jira_sync": Route(
        scope="object", api=True, read=False, write="post", needs="plan", kwargs=_linked
    ),
    # Jira does not say done, so there is nothing to confirm or dismiss: 400 once access is granted.
    "api_item_jira_confirm": Route(
        scope="object", api=True, read=False, write="post", kwargs=_linked, write_ok=(400,)
    ),
    "api_item_jira_dismiss": Route(
        scope="object", api=True, read=False, write="post", needs="plan", kwargs=_linked, write_ok=(400,)
    ),
    "api_workload_jira_issues": Route(
        scope="object",
        api=True,
        read=False,
        write="post",
        needs="plan",
        content_type=JSON,
        write_ok=(202,),
        kwargs=lambda world: {"workload_id": world.workload.pk},
        data=lambda world: {"level": "HIGH"},
    ),  # fmt: skip
    "api_workload_jira_sync": Route(
        scope="object",
        api=True,
        read=False,
        write="post",
        needs="plan",
        write_ok=(202,),
        kwargs=lambda world: {"workload_id": world.workload.pk},
    ),  # fmt: skip
}
