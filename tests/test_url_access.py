"""Default deny, proven for every URL pattern: anonymous users are turned away, and each persona of
tests/access/personas.py (owner, viewer, security lead, administrator, outsider) gets exactly what its roles allow:
the outsider 404 on another team's objects, the viewer and the lead 403 where they may look but not act.
A URL missing from tests/access fails here."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import Route, World, all_routes, prepare_world
from tests.access.personas import PERSONAS, Persona

IGNORED_NAMESPACES = {"admin"}  # Django's admin has its own staff-only guard, tested by Django.


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace in IGNORED_NAMESPACES:
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= url_names(entry, inner)
        elif isinstance(entry, URLPattern):
            if entry.name is None:
                raise AssertionError(
                    f"URL pattern {entry.pattern} has no name, so it cannot be access-tested"
                )
            names.add(f"{namespace}{entry.name}")
    return names


ROUTES = all_routes()
NAMES = sorted(url_names())


def test_every_url_pattern_is_in_the_access_table():
    missing = [name for name in NAMES if name not in ROUTES]
    stale = [name for name in ROUTES if name not in NAMES]
    assert not missing, f"add these URL names to tests/access/routes_*.py: {missing}"
    assert not stale, f"these access-table entries have no URL any more: {stale}"


@pytest.fixture
def world(owner, viewer, outsider, lead, team, workload, review, admin_user) -> World:
    world = World(
        owner=owner,
        viewer=viewer,
        outsider=outsider,
        team=team,
        workload=workload,
        review=review,
        admin=admin_user,
        lead=lead,
    )
    prepare_world(world)
    return world


def call(client, route: Route, world: World, name: str, method: str):
    url = reverse(name, kwargs=route.kwargs(world))
    if method == "get":
        return client.get(url, HTTP_ACCEPT="application/json" if route.api else "text/html")
    data = route.data(world)
    if route.content_type == "application/json":
        return client.generic(
            method.upper(), url, data=__import__("json").dumps(data), content_type="application/json"
        )
    return getattr(client, method)(url, data=data)


def methods(route: Route) -> list[str]:
    return (["get"] if route.read else []) + ([route.write] if route.write else [])


@pytest.mark.django_db
@pytest.mark.parametrize("name", NAMES)
def test_anonymous_users_are_turned_away(client, world, name):
    route = ROUTES[name]
    if route.scope == "public":
        return
    for method in methods(route):
        response = call(client, route, world, name, method)
        if route.api:
            assert response.status_code in (401, 403), (name, method, response.status_code)
        else:
            assert response.status_code == 302, (name, method, response.status_code)
            assert response["Location"].startswith("/login/"), (name, method, response["Location"])


def _cases() -> list:
    """(persona, URL name) pairs: every persona on every object and admin route; on the routes of a signed-in
    user's own data ("user"), the owner writes and reads, and every other persona reads."""
    cases = []
    for name in NAMES:
        route = ROUTES.get(name)
        if route is None or route.scope == "public":
            continue
        for persona in PERSONAS:
            if route.scope != "user" or persona.owns_world or route.read:
                cases.append(pytest.param(persona, name, id=f"{persona.name}-{name}"))
    return cases


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "name"), _cases())
def test_each_persona_gets_what_its_roles_allow(client, world, persona: Persona, name: str):
    """Allowed: the route's success codes. Visible but not allowed: 403. Not visible: 404, never a hint."""
    route = ROUTES[name]
    client.force_login(getattr(world, persona.name))
    for method in methods(route):
        if route.scope == "user" and method != "get" and not persona.owns_world:
            continue
        status = call(client, route, world, name, method).status_code
        assert status in persona.expects(route, method), (persona.name, name, method, status)
