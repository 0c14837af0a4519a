"""The OpenAPI schema validates and has examples for every operation; the docs page uses only our files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from .conftest import as_user

pytestmark = pytest.mark.django_db

METHODS = {"get", "put", "patch", "post", "delete"}


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from drf_spectacular.generators import SchemaGenerator

    with django_db_blocker.unblock():
        return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def test_the_schema_validates_without_warnings(tmp_path):
    # The same command CI runs; it raises on any warning or validation error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert (tmp_path / "schema.yml").stat().st_size > 10_000


def test_every_operation_has_response_examples(schema):
    missing = []
    for path, method, operation in operations(schema):
        for code, response in operation["responses"].items():
            content = response.get("content", {}).get("application/json")
            if code.startswith("2") and content is not None and not content.get("examples"):
                missing.append(f"{method.upper()} {path} {code}")
    assert not missing


def test_every_request_body_has_an_example(schema):
    # JSON bodies, and the multipart upload of evidence imports.
    missing = [
        f"{method.upper()} {path}"
        for path, method, operation in operations(schema)
        if "requestBody" in operation
        and not any(content.get("examples") for content in operation["requestBody"]["content"].values())
    ]
    assert not missing


def test_every_operation_documents_its_errors_and_security(schema):
    for path, method, operation in operations(schema):
        assert {"400", "401", "403", "404", "429"} <= set(operation["responses"]), (method, path)
        assert {"bearerAuth": []} in operation["security"], (method, path)


def test_answer_changes_document_if_match_412_and_428(schema):
    operation = schema["paths"]["/api/v1/reviews/{review_id}/answers/{question_code}/"]["put"]
    assert any(p["name"] == "If-Match" and p["required"] for p in operation["parameters"])
    assert {"412", "428"} <= set(operation["responses"])


def test_the_schema_is_served_to_signed_in_users_and_tokens(api, client, owner):
    client.force_login(owner)
    response = client.get(reverse("api_schema"), {"format": "json"})
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert as_user(api, owner).get(reverse("api_schema"), HTTP_ACCEPT="application/json").status_code == 200


def test_the_docs_page_loads_only_our_own_static_files(client, owner):
    client.force_login(owner)
    response = client.get(reverse("api_docs"))
    assert response.status_code == 200
    html = response.content.decode()
    # No inline script (the CSP allows none) and nothing from another origin.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r'(src|href)="(https?:)?//', html)
    for url in re.findall(r'(?:src|href)="/static/([^"]+)"', html):
        assert (Path(settings.BASE_DIR) / "static" / url).is_file(), url
    assert "vendor/swagger-ui/swagger-ui-bundle.js" in html and "js/api-docs.js" in html


def test_the_vendored_swagger_ui_carries_its_licence():
    vendor = Path(settings.BASE_DIR) / "static" / "vendor" / "swagger-ui"
    assert "Apache License" in (vendor / "LICENSE").read_text()
    assert "validatorUrl: null" in (Path(settings.BASE_DIR) / "static" / "js" / "api-docs.js").read_text()
