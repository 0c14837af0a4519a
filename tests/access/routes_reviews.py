from __future__ import annotations

from reviewapp.models import Review

from . import Route


def fresh_workload(world):
    """review_start needs a workload without a review; the world's workload already has one."""
    return world.extra["unreviewed"]


def prepare(world) -> None:
    from reviewapp.services import workload_create

    world.extra["unreviewed"] = workload_create(
        team=world.team,
        actor=world.owner,
        name="Not yet reviewed",
        description="A workload with no review.",
        environment="PREPRODUCTION",
        review_owner="olivia@example.test",
        aws_regions=["eu-west-1"],
    )
    assert not Review.objects.filter(workload=world.extra["unreviewed"]).exists()


ROUTES = {
    "review_start": Route(
        scope="object", kwargs=lambda w: {"workload_id": fresh_workload(w).pk}, read=False, write="post"
    ),
    "review_overview": Route(scope="object", kwargs=lambda w: {"review_id": w.review.pk}),
    "review_question": Route(
        scope="object",
        kwargs=lambda w: {"review_id": w.review.pk, "question_code": "SEC1"},
        write="post",
        data=lambda w: {"base_version": 1, "selected": ["SEC01-BP01"], "notes": "access test"},
    ),
}
ROUTES["review_suggestions"] = Route(
    scope="object",
    kwargs=lambda w: {"review_id": w.review.pk, "question_code": "SEC2"},
    write="post",
    data=lambda w: {"base_version": 1},
    viewer_reads=False,
)
