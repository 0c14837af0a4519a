"""Deeply nested JSON gets a 400 with the reason on every JSON endpoint, never a 500 (RecursionError)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reviewapp.api.parsers import MAX_DEPTH, nesting_depth

from .conftest import as_user

pytestmark = pytest.mark.django_db

HOSTILE = "[" * 100_000


def post_raw(client, url: str, body: str):
    return client.generic("POST", url, body, content_type="application/json")


def test_it_counts_depth_outside_strings_only():
    assert nesting_depth(b'{"a": [1, {"b": "[[[[{{{{"}]}') == 3
    assert nesting_depth(b'["\\"[[["]') == 1


@pytest.mark.parametrize("url_name", ["api_workload_list", "api_lens_import_preview"])
def test_a_hostile_nesting_gets_400_with_a_reason(api, admin_user, team, url_name):
    response = post_raw(as_user(api, admin_user), reverse(url_name), HOSTILE)

    assert response.status_code == 400
    assert f"nested deeper than {MAX_DEPTH} levels" in response.json()["detail"]


def test_ordinary_nesting_still_parses(api, owner, team):
    response = post_raw(as_user(api, owner), reverse("api_workload_list"), "[" * 10 + "]" * 10)
    assert response.status_code == 400 and "nested" not in str(response.json())


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_the_documentation_pages_answer_only_get_and_head(client, owner, method):
    client.force_login(owner)
    for url in (reverse("api_docs"), reverse("api_schema")):
        assert client.generic(method, url).status_code == 405, url
        assert client.head(url).status_code == 200
