"""Default deny, proven for every URL pattern: anonymous users are turned away, outsiders get 404 on another
team's objects, viewers cannot write, and the owner can. A URL missing from tests/access fails here."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access import Route, World, all_routes, prepare_world

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
def world(owner, viewer, outsider, team, workload, review, admin_user) -> World:
    world = World(
        owner=owner,
        viewer=viewer,
        outsider=outsider,
        team=team,
        workload=workload,
        review=review,
        admin=admin_user,
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


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in NAMES if ROUTES.get(n) and ROUTES[n].scope in ("object", "admin")]
)
def test_outsiders_get_nothing(client, world, name):
    route = ROUTES[name]
    client.force_login(world.outsider)
    for method in methods(route):
        status = call(client, route, world, name, method).status_code
        expected = (404,) if route.scope == "object" else (403, 404)
        assert status in expected, (name, method, status)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in NAMES if ROUTES.get(n) and ROUTES[n].scope in ("object", "admin")]
)
def test_viewers_cannot_write(client, world, name):
    route = ROUTES[name]
    client.force_login(world.viewer)
    if route.write:
        status = call(client, route, world, name, route.write).status_code
        assert status in (403, 404), (name, route.write, status)
    if route.read:
        status = call(client, route, world, name, "get").status_code
        if route.viewer_reads and route.scope == "object":
            assert status in route.read_ok, (name, "get", status)
        else:
            assert status in (403, 404), (name, "get", status)


def assert_allowed(client, world, name: str, user) -> None:
    """`user` reads and writes the route with the answers the table expects of a permitted user."""
    route = ROUTES[name]
    client.force_login(user)
    if route.read:
        status = call(client, route, world, name, "get").status_code
        assert status in route.read_ok, (name, "get", status)
    if route.write:
        status = call(client, route, world, name, route.write).status_code
        assert status in route.write_ok, (name, route.write, status)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", [n for n in NAMES if ROUTES.get(n) and ROUTES[n].scope in ("object", "user")]
)
def test_the_owner_can(client, world, name):
    assert_allowed(client, world, name, world.owner)


@pytest.mark.django_db
@pytest.mark.parametrize("name", [n for n in NAMES if ROUTES.get(n) and ROUTES[n].scope == "admin"])
def test_organisation_admins_can(client, world, name):
    assert_allowed(client, world, name, world.admin)
