"""Property-based run against the live schema: Schemathesis generates requests from /api/schema/ for every GET
operation and for answer changes, sends them as an owner with a token, and checks that nothing answers 5xx and
that every response conforms to the schema (status code, content type, headers, body).

Bounded: a few examples per operation, derandomised so a failure reproduces, with no example database.
"""

from __future__ import annotations

import io

import pytest
import schemathesis  # noqa: E402  (a dev dependency: a missing package must fail, not skip)
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from checks.imports.samples import Sample, ocsf_file
from checks.imports.service import Upload, evidence_import_create
from questionnaire.models import Question
from reviewapp.models import Answer, ApiToken, ImprovementItem, ReportJob, SavedFilter
from reviewapp.services import answer_record
from reviewapp.services.milestones import milestone_create
from reviewapp.services.tokens import token_digest
from tests.acceptances import approved
from tests.checks.factories import finding, finished_run, target_for

from .conftest import make_token

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 10
ANSWER_PATH = "/api/v1/reviews/{review_id}/answers/{question_code}/"
SCAN = ocsf_file(
    [Sample("iam_root_mfa_enabled", "PASS", "111122223333"), Sample("zzz_unmapped", "FAIL", "111122223333")]
)


@pytest.fixture
def world(owner, review):
    question = Question.objects.get(lens_version=review.lens_version, code="SEC1")
    answer_record(review=review, question=question, actor=owner, base_version=1, selected=["SEC01-BP01"])
    item = ImprovementItem.objects.filter(workload=review.workload, is_active=True).first()
    acceptance = approved(item, owner)
    token = ApiToken.objects.get(sha256=token_digest(make_token(owner, name="Listed")))
    milestone = milestone_create(review=review, actor=owner, name="Baseline")
    run = finished_run(review.workload)
    finding(run, "iam.root_mfa", "FAIL", ["SEC02-BP01"])
    report = ReportJob.objects.create(
        review=review, format="json", state=ReportJob.State.DONE, content=b"{}", size=2, filename="r.json"
    )
    target_for(review.workload, "111122223333")
    evidence_import = evidence_import_create(
        workload=review.workload,
        actor=owner,
        upload=Upload(io.BytesIO(SCAN), "scan.json", len(SCAN)),
    )
    return {
        "team_id": str(review.workload.team_id),
        "workload_id": str(review.workload_id),
        "review_id": str(review.pk),
        "question_code": "SEC1",
        "item_id": str(item.pk),
        "milestone_id": str(milestone.pk),
        "slug": "wellarchitected-security",
        "run_id": str(run.pk),
        "job_id": str(report.pk),
        "import_id": str(evidence_import.pk),
        "acceptance_id": str(acceptance.acceptances.get().pk),
        "token_id": str(token.pk),
        "filter_id": str(
            SavedFilter.objects.create(
                user=owner, name="Production", filters={"environment": "PRODUCTION"}
            ).pk
        ),
    }


def exercise(operation, strategy, auth: dict, world: dict) -> None:
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case) -> None:
        headers = dict(auth)
        if operation.path == ANSWER_PATH:
            # Changes need the current ETag; stale ones are tested in test_answers.py.
            version = Answer.objects.get(review_id=world["review_id"], question__code="SEC1").version
            headers["If-Match"] = f'"{version}"'
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()


@pytest.fixture
def keep_test_connection():
    """Django's test client does this too: a raw WSGI call would otherwise close the connection holding the
    test's transaction (on PostgreSQL; SQLite's in-memory database ignores the close)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def test_the_api_conforms_to_its_schema(owner, world, keep_test_connection):
    token = make_token(owner)
    auth = {"Authorization": f"Bearer {token}"}
    app = get_wsgi_application()
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", app, headers=auth)

    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()
        method = operation.method.upper()
        if not (method == "GET" or operation.path == ANSWER_PATH):
            continue
        fixed = {parameter.name: world[parameter.name] for parameter in operation.path_parameters}
        # Valid requests, then invalid ones (wrong types, unknown choices): neither may ever give a 5xx.
        strategy = operation.as_strategy(path_parameters=fixed) | operation.as_strategy(
            GenerationMode.NEGATIVE, path_parameters=fixed
        )

        exercise(operation, strategy, auth, world)
        exercised.append(f"{method} {operation.path}")

    every_get = {
        f"GET {path}"
        for path, item in schema.raw_schema["paths"].items()
        if path.startswith("/api/v1/") and "get" in item
    }
    assert every_get <= set(exercised)
    assert f"PUT {ANSWER_PATH}" in exercised and f"PATCH {ANSWER_PATH}" in exercised
