from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from reviewapp.models import Answer, ImprovementItem, ItemStatus
from reviewapp.selectors import (
    DashboardFilters,
    PlanFilters,
    dashboard_rows,
    dashboard_totals,
    improvement_plan,
    my_items,
)
from reviewapp.services import answer_record, review_start, team_create, workload_create

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def record(review, user, code, **fields):
    question = review.lens_version.questions.get(code=code)
    answer = Answer.objects.get(review=review, question=question)
    return answer_record(review=review, question=question, actor=user, base_version=answer.version, **fields)


@pytest.fixture
def answered(review, owner):
    record(review, owner, "SEC9", selected=["SEC09-BP01", "SEC09-BP02"])  # NONE, a LOW item
    record(review, owner, "SEC4", selected=["SEC04-BP01", "SEC04-BP03"])  # MEDIUM
    record(review, owner, "SEC2", selected=[f"SEC02-BP0{n}" for n in (1, 2, 3, 4, 6)])  # HIGH
    record(review, owner, "SEC11", selected=[f"SEC11-BP0{n}" for n in (2, 4, 5, 6, 7, 8)])  # HIGH
    return review


def test_the_plan_is_ordered_by_question_risk_then_level_then_catalogue(answered, django_assert_num_queries):
    with django_assert_num_queries(3):
        rows = improvement_plan(answered.workload)
    assert [row.item.bp_code for row in rows] == [
        "SEC02-BP05",
        "SEC11-BP03",
        "SEC11-BP01",
        "SEC04-BP02",
        "SEC04-BP04",
        "SEC09-BP03",
    ]
    first = rows[0]
    assert (first.question_code, first.question_risk, first.level) == ("SEC2", "HIGH", "HIGH")
    assert first.bp_title and first.review_id == answered.pk


def test_the_plan_filters_by_status_level_owner_and_closed(answered, owner, contributor):
    ImprovementItem.objects.filter(bp_code="SEC04-BP02").update(
        status=ItemStatus.IN_PROGRESS, owner=contributor
    )
    workload = answered.workload
    assert [r.item.bp_code for r in improvement_plan(workload, PlanFilters(status="IN_PROGRESS"))] == [
        "SEC04-BP02"
    ]
    assert [r.item.bp_code for r in improvement_plan(workload, PlanFilters(level="LOW"))] == ["SEC09-BP03"]
    assert [r.item.bp_code for r in improvement_plan(workload, PlanFilters(owner=str(contributor.pk)))] == [
        "SEC04-BP02"
    ]
    assert len(improvement_plan(workload, PlanFilters(owner="none"))) == 5
    record(answered, owner, "SEC9", selected=["SEC09-BP01", "SEC09-BP02", "SEC09-BP03"])
    assert "SEC09-BP03" not in {r.item.bp_code for r in improvement_plan(workload)}
    closed = {r.item.bp_code: r.item for r in improvement_plan(workload, PlanFilters(include_closed=True))}
    assert closed["SEC09-BP03"].status == "DONE"


def test_my_items_lists_only_my_open_items_in_workloads_i_see(answered, owner, contributor):
    ImprovementItem.objects.filter(bp_code__in=["SEC02-BP05", "SEC04-BP04"]).update(owner=contributor)
    ImprovementItem.objects.filter(bp_code="SEC04-BP04").update(due_date=TODAY - timedelta(days=1))
    ImprovementItem.objects.filter(bp_code="SEC11-BP01").update(owner=owner)
    rows = my_items(contributor)
    assert [row.item.bp_code for row in rows] == ["SEC04-BP04", "SEC02-BP05"]
    assert rows[0].overdue
    record(answered, owner, "SEC2", selected=[f"SEC02-BP0{n}" for n in range(1, 7)])
    assert [row.item.bp_code for row in my_items(contributor)] == ["SEC04-BP04"]
    answered.workload.team.memberships.filter(user=contributor).delete()
    assert my_items(contributor) == []


def test_a_dashboard_row_counts_risks_items_overdue_and_expiring(answered, owner, lead):
    ImprovementItem.objects.filter(bp_code="SEC02-BP05").update(due_date=TODAY - timedelta(days=1))
    ImprovementItem.objects.filter(bp_code="SEC04-BP02").update(
        status=ItemStatus.RISK_ACCEPTED,
        acceptance_justification="ok",
        acceptance_expires_on=TODAY + timedelta(days=20),
    )
    ImprovementItem.objects.filter(bp_code="SEC04-BP04").update(
        status=ItemStatus.RISK_ACCEPTED,
        acceptance_justification="ok",
        acceptance_expires_on=TODAY + timedelta(days=90),
    )
    [row] = dashboard_rows(lead)
    assert (row.counts.high, row.counts.medium, row.counts.none, row.counts.unanswered) == (2, 1, 1, 7)
    assert row.open_by_level == {"HIGH": 2, "MEDIUM": 1, "LOW": 1}
    assert (row.overdue, row.expiring, row.accepted) == (1, 1, 2)
    assert (row.headline, row.answered, row.questions, row.review_id) == ("HIGH", 4, 11, answered.pk)
    totals = dashboard_totals([row])
    assert (totals.open_high, totals.overdue, totals.expiring) == (2, 1, 1)


def _workloads(team, actor, count):
    for n in range(count):
        workload = workload_create(
            team=team,
            actor=actor,
            name=f"Service {n:03}",
            description="A service.",
            environment="PRODUCTION" if n % 2 else "PREPRODUCTION",
            review_owner="someone@example.test",
            aws_regions=["eu-west-1"],
        )
        review = review_start(workload=workload, actor=actor)
        Answer.objects.filter(review=review, question__code="SEC1").update(risk="HIGH")
        ImprovementItem.objects.bulk_create(
            [
                ImprovementItem(
                    workload=workload, lens=review.lens, bp_code="SEC01-BP02", level="HIGH", due_date=TODAY
                ),
                ImprovementItem(
                    workload=workload, lens=review.lens, bp_code="SEC01-BP05", level="MEDIUM", owner=actor
                ),
            ]
        )


@pytest.mark.parametrize("count", [3, 50])
def test_the_dashboard_takes_three_queries_for_any_number_of_workloads(
    owner, lead, count, django_assert_num_queries
):
    team = team_create(name="Platform", actor=owner)
    _workloads(team, owner, count)
    for user in (lead, owner):
        with django_assert_num_queries(3):
            rows = dashboard_rows(user)
        assert len(rows) == count
        assert all(row.counts.high == 1 and row.open_by_level["HIGH"] == 1 for row in rows)


def test_the_dashboard_filters_and_shows_only_visible_workloads(owner, outsider, lead, workload, review):
    team = team_create(name="Platform", actor=owner)
    _workloads(team, owner, 4)
    assert len(dashboard_rows(outsider)) == 0
    assert len(dashboard_rows(lead)) == 5
    assert len(dashboard_rows(lead, DashboardFilters(team=str(team.pk)))) == 4
    assert len(dashboard_rows(lead, DashboardFilters(environment="PREPRODUCTION"))) == 2
    assert [r.workload for r in dashboard_rows(lead, DashboardFilters(risk="UNANSWERED"))] == [workload]
    assert len(dashboard_rows(lead, DashboardFilters(owner=str(owner.pk)))) == 4
    workload.is_archived = True
    workload.save()
    assert len(dashboard_rows(lead)) == 4
