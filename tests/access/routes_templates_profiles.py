"""Access table for review templates and workload profiles (views/templates.py, views/profiles.py and the API).

A team's template is read by whoever sees the team and changed by those who may add workloads to it (EDIT);
creating one needs a team where the person may create workloads. Applying a template to a review needs EDIT on
the review."""

from __future__ import annotations

from . import Route, World

JSON = "application/json"


def prepare(world: World) -> None:
    from reviewapp.services.templates import template_create

    world.extra["template"] = template_create(
        actor=world.owner,
        lens=world.review.lens,
        team=world.team,
        name="Landing zone",
        entries={"SEC1": {"selected": ["SEC01-BP01"], "notes": "Accounts come from the landing zone."}},
    )
    # The organisation's template, which every signed-in person reads: applying it to the review is decided by
    # the review alone (a share of the workload is enough), whereas the team's template above is the team's.
    world.extra["org_template"] = template_create(
        actor=world.admin,
        lens=world.review.lens,
        team=None,
        name="Organisation baseline",
        entries={"SEC1": {"selected": ["SEC01-BP01"]}},
    )


def _template(world: World) -> dict:
    return {"template_id": world.template.pk}


def _review(world: World) -> dict:
    return {"review_id": world.review.pk}


def _edit(world: World) -> dict:
    return {"name": "Landing zone", "include": ["SEC1"], "sel_SEC1": ["SEC01-BP02"]}


def _entries(world: World) -> dict:
    return {"SEC1": {"selected": ["SEC01-BP02"]}}


ROUTES = {
    "template_list": Route(scope="user"),
    "template_new": Route(
        scope="user",
        right="create_workload",
        write="post",
        data=lambda world: {"name": "Pipeline", "keeper": str(world.team.pk), **_edit(world)},
    ),
    # A team's template is the team's, not its workloads': a share of a workload does not show it.
    "template_detail": Route(scope="object", kwargs=_template, write="post", data=_edit, on_team=True),
    "review_template_apply": Route(
        scope="object",
        kwargs=_review,
        viewer_reads=False,
        write="post",
        data=lambda world: {"template": str(world.org_template.pk)},
    ),
    "api_template_list": Route(
        scope="user",
        api=True,
        write="post",
        content_type=JSON,
        data=lambda world: {
            "name": "API made",
            "team": str(world.team.pk),
            "lens": world.review.lens.slug,
            "entries": _entries(world),
        },
    ),
    "api_template_detail": Route(
        scope="object",
        on_team=True,
        api=True,
        kwargs=_template,
        write="put",
        content_type=JSON,
        write_ok=(200,),
        data=lambda world: {"name": "Landing zone", "entries": _entries(world)},
    ),
    "api_review_template": Route(
        scope="object",
        api=True,
        kwargs=_review,
        read=False,
        write="post",
        content_type=JSON,
        write_ok=(200,),
        data=lambda world: {"template": str(world.org_template.pk)},
    ),
}

# Workload profiles (reviewapp/views/profiles.py, reviewapp/api/profiles.py): read with the workload, changed
# by those who may edit it.
ROUTES["workload_profile"] = Route(
    scope="object",
    kwargs=lambda world: {"workload_id": world.workload.pk},
    write="post",
    data=lambda world: {"internet_facing": "yes", "personal_data": "no"},
)
ROUTES["api_workload_profile"] = Route(
    scope="object",
    api=True,
    kwargs=lambda world: {"workload_id": world.workload.pk},
    write="put",
    content_type=JSON,
    write_ok=(200,),
    data=lambda world: {"answers": {"internet_facing": True}},
)
