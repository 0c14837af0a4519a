"""seed_demo: bulk demo data that is exactly what the services would have stored."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from reviewapp.lib.workload_fields import workload_field_problems
from reviewapp.management.commands.seed_demo import catalogue_practices, snapshot_of
from reviewapp.models import (
    Answer,
    AuditEvent,
    ImprovementItem,
    ItemStatus,
    Membership,
    Milestone,
    Review,
    Role,
    Team,
    User,
    Workload,
)
from reviewapp.risk import answer_state, missing_choices, question_risk
from reviewapp.services import compare_snapshots, items_sync, milestone_verify, review_snapshot
from reviewapp.services.plan import owner_problem
from reviewapp.services.workloads import WORKLOAD_FIELDS
from reviewapp.specs import version_specs

pytestmark = pytest.mark.django_db

PASSWORD = "seeded-demo-password-1"


def seed(workloads: int = 8, teams: int = 2, seed: int = 3) -> str:
    out = io.StringIO()
    call_command("seed_demo", workloads=workloads, teams=teams, seed=seed, password=PASSWORD, stdout=out)
    return out.getvalue()


def item_rows() -> list[tuple]:
    return sorted(
        ImprovementItem.objects.values_list(
            "workload_id", "bp_code", "status", "is_active", "owner_id", "due_date", "acceptance_expires_on"
        )
    )


def test_it_creates_teams_people_and_fully_answered_reviews():
    output = seed(workloads=8, teams=2)

    assert "Added 2 teams, 10 users, 8 workloads" in output
    assert Team.objects.count() == 2
    assert Workload.objects.count() == Review.objects.count() == 8
    for team in Team.objects.all():
        roles = sorted(Membership.objects.filter(team=team).values_list("role", flat=True))
        assert roles == sorted([Role.OWNER, Role.CONTRIBUTOR, Role.CONTRIBUTOR, Role.VIEWER])
    assert User.objects.filter(org_role=User.OrgRole.SECURITY_LEAD, username="demo-lead").exists()
    assert User.objects.get(username="demo0001-dev1").check_password(PASSWORD)
    for review in Review.objects.select_related("lens_version"):
        specs = version_specs(review.lens_version_id)
        answers = list(Answer.objects.filter(review=review))
        assert len(answers) == len(specs.by_question_id) == 11
        for answer in answers:
            codes = [choice.code for choice in specs.by_question_id[answer.question_id].choices]
            assert answer_state(answer, codes).answered
            assert answer.version >= 2


def test_it_stores_the_risk_that_risk_py_computes_for_every_answer():
    seed(workloads=12, teams=3)

    risks = set()
    for answer in Answer.objects.select_related("review"):
        spec = version_specs(answer.review.lens_version_id).by_question_id[answer.question_id]
        state = answer_state(answer, [choice.code for choice in spec.choices])
        assert answer.risk == question_risk(spec, state), answer
        risks.add(answer.risk)
    # A realistic mix, not one risk everywhere.
    assert {"HIGH", "MEDIUM", "NONE"} <= risks


def test_it_puts_exactly_the_missing_best_practices_on_the_plan():
    seed(workloads=10, teams=2)

    for review in Review.objects.all():
        specs = version_specs(review.lens_version_id)
        missing = set()
        for answer in Answer.objects.filter(review=review):
            spec = specs.by_question_id[answer.question_id]
            state = answer_state(answer, [choice.code for choice in spec.choices])
            missing |= {choice.code for choice in missing_choices(spec, state)}
        on_plan = set(
            ImprovementItem.objects.filter(workload_id=review.workload_id, is_active=True).values_list(
                "bp_code", flat=True
            )
        )
        assert on_plan == missing
    # Earlier rounds left history behind: best practices adopted since the first review are done.
    assert ImprovementItem.objects.filter(is_active=False, status=ItemStatus.DONE).exists()


def test_its_items_are_what_items_sync_would_leave_so_syncing_again_changes_nothing():
    seed(workloads=6, teams=2)
    before, audit_entries = item_rows(), AuditEvent.objects.count()

    for answer in Answer.objects.select_related("review", "question"):
        spec = version_specs(answer.review.lens_version_id).by_question_id[answer.question_id]
        state = answer_state(answer, [choice.code for choice in spec.choices])
        items_sync(review=answer.review, question=answer.question, state=state, actor=None)

    assert item_rows() == before
    assert AuditEvent.objects.count() == audit_entries


def test_it_tracks_items_with_team_owners_due_dates_and_accepted_risks():
    seed(workloads=20, teams=2)
    today = timezone.localdate()

    active = ImprovementItem.objects.filter(is_active=True).select_related("owner", "workload")
    assert active.filter(owner__isnull=False).exists() and active.filter(owner__isnull=True).exists()
    assert active.filter(status=ItemStatus.IN_PROGRESS).exists()
    assert active.filter(due_date__lt=today, status__in=[ItemStatus.OPEN, ItemStatus.IN_PROGRESS]).exists()
    for item in active.filter(owner__isnull=False):
        assert owner_problem(item.owner, item.workload.team_id) is None
    accepted = active.filter(status=ItemStatus.RISK_ACCEPTED)
    assert accepted.exists()
    for item in accepted:
        assert item.acceptance_justification
        assert today < item.acceptance_expires_on <= today + timedelta(days=365)


def test_it_writes_workloads_the_services_would_accept():
    seed(workloads=4, teams=1)

    for workload in Workload.objects.all():
        assert workload_field_problems({name: getattr(workload, name) for name in WORKLOAD_FIELDS}) == {}


def test_it_saves_two_verifiable_milestones_showing_progress():
    seed(workloads=6, teams=2)

    for workload in Workload.objects.all():
        first, follow_up = Milestone.objects.filter(workload=workload).order_by("created_at")
        assert (first.name, follow_up.name) == ("First review", "Follow-up review")
        assert milestone_verify(first) and milestone_verify(follow_up)
        assert first.created_at.isoformat() == first.snapshot["created_at"]
        assert first.created_at < follow_up.created_at < timezone.now() - timedelta(days=30)
        review = Review.objects.get(workload=workload)
        now = review_snapshot(review, name="now")
        comparison = compare_snapshots(first.snapshot, now)
        adopted = sum(len(question.adopted) for question in comparison.questions)
        dropped = sum(len(question.dropped) for question in comparison.questions)
        assert adopted >= dropped == 0


def test_its_snapshots_are_exactly_what_review_snapshot_makes():
    seed(workloads=3, teams=1)
    created_at = timezone.now()

    for review in Review.objects.select_related("workload", "lens", "lens_version"):
        answers = list(
            Answer.objects.filter(review=review).select_related("question").order_by("question__order")
        )
        items = list(ImprovementItem.objects.filter(workload_id=review.workload_id).select_related("owner"))
        ours = snapshot_of(review, answers, items, catalogue_practices(review.lens_version), "x", created_at)
        assert ours == review_snapshot(review, name="x", created_at=created_at)


def test_it_adds_to_earlier_demo_data_without_clashing():
    seed(workloads=4, teams=2, seed=1)
    seed(workloads=6, teams=3, seed=1)

    assert Workload.objects.count() == 10
    numbers = sorted(int(name.rsplit(" ", 1)[1]) for name in Team.objects.values_list("name", flat=True))
    assert numbers == [1, 2, 3, 4, 5]
    assert User.objects.filter(username="demo-lead").count() == 1


def test_it_records_the_seeding_in_the_audit_trail():
    seed(workloads=2, teams=1)

    event = AuditEvent.objects.get(action="demo.seed")
    assert event.after["workloads"] == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"workloads": 0}, "--workloads must be between"),
        ({"workloads": 3, "teams": 4}, "--teams must be between"),
    ],
)
def test_it_refuses_impossible_sizes(options, message):
    with pytest.raises(CommandError, match=message):
        call_command("seed_demo", stdout=io.StringIO(), **options)
    assert not Workload.objects.exists()
