"""The workload and team services refuse what the form refuses, so the API and scripts cannot store it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from reviewapp.models import AuditEvent, Workload
from reviewapp.services import team_create, workload_create, workload_update

pytestmark = pytest.mark.django_db


def create(team, owner, **overrides) -> Workload:
    values = {
        "name": "Ledger",
        "description": "Keeps the books.",
        "environment": "PRODUCTION",
        "review_owner": "olivia@example.test",
        "aws_regions": ["eu-west-1"],
    }
    values.update(overrides)
    return workload_create(team=team, actor=owner, **values)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"aws_regions": [], "other_locations": ""}, "aws_regions", "at least one AWS Region"),
        ({"aws_regions": ["mars-north-1"]}, "aws_regions", "“mars-north-1” is not an AWS Region code."),
        ({"account_ids": ["12345"]}, "account_ids", "“12345” is not an AWS account ID"),
        ({"account_ids": ["111122223333", "111122223333"]}, "account_ids", "only once"),
        ({"account_ids": [f"{n:012d}" for n in range(101)]}, "account_ids", "at most 100"),
        ({"tags": {"": "x"}}, "tags", "must be 1 to 128 characters"),
        ({"tags": {"k": "v" * 257}}, "tags", "longer than 256"),
        ({"tags": {f"k{n}": "v" for n in range(51)}}, "tags", "at most 50 tags"),
        ({"architecture_url": "javascript:alert(1)"}, "architecture_url", "must start with https://"),
        ({"description": "x" * 251}, "description", "at most 250 characters"),
        ({"notes": "x" * 2085}, "notes", "at most 2084 characters"),
    ],
)
def test_workload_create_refuses_bad_values(owner, team, overrides, field, message):
    with pytest.raises(ValidationError) as caught:
        create(team, owner, **overrides)
    assert any(message in error for error in caught.value.message_dict[field]), caught.value.message_dict
    assert not Workload.objects.exists()
    assert not AuditEvent.objects.filter(action="workload.create").exists()


def test_a_refused_update_leaves_the_object_as_stored(owner, team, workload):
    with pytest.raises(ValidationError):
        workload_update(workload=workload, actor=owner, name="Renamed", account_ids=["bad"])
    assert (workload.name, workload.account_ids) == ("Checkout API", ["111122223333"])
    workload.refresh_from_db()
    assert workload.name == "Checkout API"


def test_an_update_audits_only_what_changed(owner, team, workload):
    workload_update(workload=workload, actor=owner, notes="New notes", name="Checkout API")
    event = AuditEvent.objects.get(action="workload.update")
    assert (event.before, event.after) == ({"notes": ""}, {"notes": "New notes"})


def test_team_names_are_limited_in_length(owner):
    with pytest.raises(ValidationError) as caught:
        team_create(name="x" * 101, actor=owner)
    assert "at most 100 characters" in caught.value.message_dict["name"][0]
