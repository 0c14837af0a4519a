"""Every list and total costs the same number of queries at 100 and at 1,000 rows.

The rows are written with bulk_create (the services' audited writes would take minutes at this size); items
carry the placement items_sync stores. Each test measures one list at both sizes and pins one count.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from checks.models import EvidenceRun, Finding
from questionnaire.models import Lens, LensVersion
from questionnaire.rating import Level, Risk
from reviewapp.models import (
    Answer,
    AuditEvent,
    ImprovementItem,
    Membership,
    Milestone,
    Review,
    Role,
    Team,
    User,
    Workload,
)
from reviewapp.risk import plan_priority
from tests.api.conftest import as_user

pytestmark = pytest.mark.django_db

SIZES = (100, 1000)
TODAY = timezone.localdate()


def seed(size: int, owner: User) -> Team:
    """`size` workloads in one team of `owner`, each reviewed (SEC1 HIGH, the rest NONE), with two items on the
    plan (one overdue and owned by `owner`), a milestone, an audit entry; and one run with `size` findings."""
    team = Team.objects.create(name=f"Scale {size}")
    Membership.objects.create(team=team, user=owner, role=Role.OWNER)
    lens = Lens.objects.get(slug=settings.DEFAULT_LENS_SLUG)
    version = LensVersion.objects.filter(lens=lens).order_by("-number").first()
    questions = list(version.questions.order_by("order"))
    workloads = Workload.objects.bulk_create(
        Workload(team=team, name=f"Service {n:05}", description="A service.", environment="PRODUCTION",
                 review_owner="someone@example.test")
        for n in range(size)
    )  # fmt: skip
    reviews = Review.objects.bulk_create(
        Review(workload=w, lens=lens, lens_version=version) for w in workloads
    )
    Answer.objects.bulk_create(
        Answer(review=review, question=question, risk="HIGH" if question.code == "SEC1" else "NONE")
        for review in reviews
        for question in questions
    )
    ImprovementItem.objects.bulk_create(
        item
        for workload in workloads
        for item in (
            ImprovementItem(workload=workload, lens=lens, bp_code="SEC01-BP02", level="HIGH", question_risk="HIGH",
                            priority=plan_priority(Risk.HIGH, Level.HIGH, 1), owner=owner,
                            due_date=TODAY - timedelta(days=1)),
            ImprovementItem(workload=workload, lens=lens, bp_code="SEC01-BP05", level="MEDIUM",
                            question_risk="HIGH", priority=plan_priority(Risk.HIGH, Level.MEDIUM, 4)),
        )
    )  # fmt: skip
    Milestone.objects.bulk_create(
        Milestone(workload=review.workload, review=review, lens_version=version, name="Baseline",
                  snapshot={"counts": {"high": 2, "medium": 1}}, sha256="0" * 64)
        for review in reviews
    )  # fmt: skip
    AuditEvent.objects.bulk_create(
        AuditEvent(at=timezone.now(), actor=owner, action="item.open", object_type="improvementitem",
                   workload_id=workload.pk, prev_hash="", hash=uuid.uuid4().hex)
        for workload in workloads
    )  # fmt: skip
    run = EvidenceRun.objects.create(workload=workloads[0], state="SUCCEEDED", total_tasks=1, done_tasks=1)
    Finding.objects.bulk_create(
        Finding(run=run, collected_at=timezone.now(), valid_until=timezone.now() + timedelta(days=30),
                check_id=f"check.{n % 7}", bp_codes=["SEC01-BP02"], status="FAIL" if n % 3 else "PASS",
                resource_arn=f"arn:aws:s3:::bucket-{n}", region="eu-west-1", account_id="111122223333",
                message="seeded", severity="MEDIUM")
        for n in range(size)
    )  # fmt: skip
    team.run = run  # type: ignore[attr-defined]
    return team


def web(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count_queries(django_assert_num_queries, expected: int, call):
    call()  # a token's or a session's first use writes to it; the list itself is what is measured
    with django_assert_num_queries(expected):
        response = call()
    assert response.status_code == 200, getattr(response, "content", b"")[:500]
    return response


@pytest.mark.parametrize("size", SIZES)
def test_the_dashboard_costs_the_same_at_any_size(size, owner, lead, django_assert_num_queries):
    seed(size, owner)
    response = count_queries(
        django_assert_num_queries,
        DASHBOARD_QUERIES,
        lambda: web(lead).get(reverse("dashboard"), {"sort": "-high"}),
    )
    assert response.context["totals"].workloads == size
    assert response.context["totals"].open_high == size and response.context["totals"].overdue == size
    assert len(response.context["rows"]) == 100


@pytest.mark.parametrize("size", SIZES)
def test_the_dashboard_totals_api_costs_the_same_at_any_size(size, owner, lead, django_assert_num_queries):
    seed(size, owner)
    client = as_user(Client_api(), lead)
    body = count_queries(
        django_assert_num_queries, TOTALS_QUERIES, lambda: client.get(reverse("api_dashboard_totals"))
    ).json()
    assert body["workloads"] == size and body["questions"]["high"] == size and body["open_items"] == 2 * size


@pytest.mark.parametrize("size", SIZES)
def test_the_item_list_api_costs_the_same_at_any_size(size, owner, lead, django_assert_num_queries):
    seed(size, owner)
    client = as_user(Client_api(), lead)
    body = count_queries(
        django_assert_num_queries,
        ITEMS_QUERIES,
        lambda: client.get(reverse("api_item_list"), {"page_size": 50}),
    ).json()
    assert len(body["results"]) == 50 and body["next"]
    assert {row["level"] for row in body["results"]} == {"HIGH"}
    # The next page costs the same as the first.
    count_queries(django_assert_num_queries, ITEMS_QUERIES, lambda: client.get(body["next"]))


@pytest.mark.parametrize("size", SIZES)
def test_my_items_cost_the_same_at_any_size(size, owner, django_assert_num_queries):
    seed(size, owner)
    response = count_queries(
        django_assert_num_queries, MY_ITEMS_QUERIES, lambda: web(owner).get(reverse("my_items"))
    )
    assert response.context["overdue"] == size and len(response.context["rows"]) == 100


@pytest.mark.parametrize("size", SIZES)
def test_the_workload_and_audit_lists_cost_the_same_at_any_size(size, owner, lead, django_assert_num_queries):
    seed(size, owner)
    client = as_user(Client_api(), lead)
    body = count_queries(
        django_assert_num_queries, WORKLOADS_QUERIES, lambda: client.get(reverse("api_workload_list"))
    ).json()
    assert body["count"] == size
    browser = web(lead)
    count_queries(django_assert_num_queries, AUDIT_QUERIES, lambda: browser.get(reverse("audit_list")))


@pytest.mark.parametrize("size", SIZES)
def test_evidence_findings_cost_the_same_at_any_size(size, owner, django_assert_num_queries):
    team = seed(size, owner)
    client = as_user(Client_api(), owner)
    url = reverse("api_run_findings", kwargs={"run_id": team.run.pk})
    body = count_queries(django_assert_num_queries, FINDINGS_QUERIES, lambda: client.get(url)).json()
    assert len(body["results"]) == 50 and body["results"][0]["status"] == "FAIL"
    count_queries(django_assert_num_queries, FINDINGS_QUERIES, lambda: client.get(body["next"]))


def Client_api():
    from rest_framework.test import APIClient

    return APIClient()


# The dashboard's page, totals and charts, plus the queue of risk acceptances awaiting the person's decision.
DASHBOARD_QUERIES = 32
TOTALS_QUERIES = 7
ITEMS_QUERIES = 4
MY_ITEMS_QUERIES = 22
WORKLOADS_QUERIES = 3
AUDIT_QUERIES = 6
FINDINGS_QUERIES = 4
