"""The access table: every URL pattern of the project, with how to call it and who may.

Each area has its own module here (`routes_<area>.py`) defining `ROUTES: dict[str, Route]` keyed by URL name and,
if its URLs need objects beyond the basic world, a `prepare(world)` that creates them. test_url_access.py
enumerates every URL pattern and fails for any name missing from the table, so a new URL cannot forget access
control.

Who may call what is not listed per person: a Route says which action its read and its write need (the
reviewapp.access.Action values), and each Persona (personas.py) says which actions it holds on the world's
workload and team. The test expects the route's success codes when the persona holds the action, 403 when it
may only see the object, and 404 when it may not even see it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class World:
    """The objects the access test works on: all belong to the owner's team unless named otherwise."""

    owner: Any
    viewer: Any
    outsider: Any
    team: Any
    workload: Any
    review: Any
    admin: Any = None
    lead: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["extra"][name]
        except KeyError:
            raise AttributeError(name) from None


@dataclass(frozen=True)
class Route:
    # "public": no sign-in needed (login page, health checks).
    # "user": any signed-in user; shows only their own or permitted data (lists, dashboards, own settings).
    # "object": an object of the owner's team: the outsider must get 404.
    # "admin": organisation administrators only: the outsider, viewer and owner get 403/404.
    scope: str
    kwargs: Callable[[World], dict] = lambda world: {}
    # The method that changes data, if any; GET is always tried as a read unless `read` is False.
    write: str | None = None
    data: Callable[[World], dict] = lambda world: {}
    read: bool = True
    api: bool = False
    # Team members with only the VIEWER role may read this route (False: the read needs `needs` too).
    viewer_reads: bool = True
    # The action the write needs: a reviewapp.access.Action value ("edit", "plan", "administer"), or "decide"
    # for risk acceptance decisions (personas.py).
    needs: str = "edit"
    # Only the person the object belongs to may use it (API tokens): for everyone else it does not exist.
    only_its_owner: bool = False
    # With only_its_owner: organisation administrators may use it too (a person's consolidated report).
    admins_too: bool = False
    # A "user" route open only to people with an organisation-wide right (see personas.py): "audit" to read
    # the audit trail, "audit_all" for the whole of it, "create_workload" to create workloads in some team.
    # Others get 403.
    right: str | None = None
    # An owner's successful write answers with one of these.
    write_ok: tuple[int, ...] = (200, 201, 204, 302, 303)
    read_ok: tuple[int, ...] = (200,)
    content_type: str | None = None
    # The route is about the world's team itself (its page, members, Jira connection), not its workload: a
    # persona that sees the workload only through a share has no rights here (Persona.team_actions).
    on_team: bool = False

    def action(self, method: str) -> str:
        """The action calling the route with `method` needs."""
        if method == "get":
            return "view" if self.viewer_reads else self.needs
        return self.needs


def _area_modules():
    package = importlib.import_module(__name__)
    for info in pkgutil.iter_modules(package.__path__):
        if info.name.startswith("routes_"):
            yield importlib.import_module(f"{__name__}.{info.name}")


def all_routes() -> dict[str, Route]:
    routes: dict[str, Route] = {}
    for module in _area_modules():
        overlap = set(routes) & set(module.ROUTES)
        if overlap:
            raise AssertionError(f"{module.__name__} redefines {sorted(overlap)}")
        routes.update(module.ROUTES)
    return routes


def prepare_world(world: World) -> None:
    for module in _area_modules():
        prepare = getattr(module, "prepare", None)
        if prepare is not None:
            prepare(world)
