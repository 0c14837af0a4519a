"""Workload sharing: a share grants its role (never more than the member's own) to another team until it
expires; the owner lists, changes and revokes shares; every change is audited; lists and API follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from reviewapp.access import Action, workload_actions, workloads_visible_to
from reviewapp.models import AuditEvent, WorkloadShare
from reviewapp.services import membership_set, team_create
from reviewapp.services.sharing import share_set
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def partner():
    """Owns the team "Partners", with which the workload gets shared."""
    return make_user("paula_partner")


@pytest.fixture
def partners(partner):
    return team_create(name="Partners", actor=partner)


def _until(days: int = 30):
    return timezone.localdate() + timedelta(days=days)


def test_an_unshared_workload_is_invisible_to_another_team(client, workload, partner, partners):
    client.force_login(partner)
    assert client.get(reverse("workload_detail", args=[workload.pk])).status_code == 404
    assert workload not in workloads_visible_to(partner)


def test_a_viewer_share_lets_the_other_team_read_but_not_answer(
    client, workload, review, owner, partner, partners
):
    share_set(workload=workload, team=partners, role="VIEWER", expires_on=_until(), actor=owner)
    assert workload_actions(partner, workload) == frozenset({Action.VIEW})
    client.force_login(partner)
    page = client.get(reverse("workload_detail", args=[workload.pk]))
    assert page.status_code == 200 and "Checkout API" in page.content.decode()
    assert list(workloads_visible_to(partner)) == [workload]
    answer = client.post(
        reverse("review_question", args=[review.pk, "SEC1"]), {"base_version": 1, "selected": ["SEC01-BP01"]}
    )
    assert answer.status_code == 403


def test_a_contributor_share_lets_the_other_team_answer_but_not_administer(
    client, workload, review, owner, partner, partners
):
    share_set(workload=workload, team=partners, role="CONTRIBUTOR", expires_on=_until(), actor=owner)
    assert workload_actions(partner, workload) == frozenset({Action.VIEW, Action.EDIT, Action.PLAN})
    client.force_login(partner)
    answer = client.post(
        reverse("review_question", args=[review.pk, "SEC1"]), {"base_version": 1, "selected": ["SEC01-BP01"]}
    )
    assert answer.status_code == 302
    assert client.post(reverse("workload_archive", args=[workload.pk])).status_code == 403
    # The share is about the workload: the owning team's page stays closed to them.
    assert client.get(reverse("team_detail", args=[workload.team_id])).status_code == 404


def test_a_share_never_grants_more_than_the_members_own_role(workload, owner, partner, partners):
    reader = make_user("rick_reader")
    membership_set(team=partners, user=reader, role="VIEWER", actor=partner)
    share_set(workload=workload, team=partners, role="CONTRIBUTOR", expires_on=_until(), actor=owner)
    assert workload_actions(reader, workload) == frozenset({Action.VIEW})


def test_an_expired_share_grants_nothing_without_any_job(client, workload, owner, partner, partners):
    share = share_set(workload=workload, team=partners, role="VIEWER", expires_on=_until(0), actor=owner)
    assert workload_actions(partner, workload) == frozenset({Action.VIEW})
    # The day after its last day, without anything having run:
    WorkloadShare.objects.filter(pk=share.pk).update(expires_on=timezone.localdate() - timedelta(days=1))
    assert workload_actions(partner, workload) == frozenset()
    assert workload not in workloads_visible_to(partner)
    client.force_login(partner)
    assert client.get(reverse("workload_detail", args=[workload.pk])).status_code == 404


def test_the_owner_shares_from_the_sharing_page_and_sees_the_list(client, workload, owner, partners):
    client.force_login(owner)
    url = reverse("workload_shares", args=[workload.pk])
    response = client.post(url, {"team": partners.pk, "role": "VIEWER", "expires_on": _until(10).isoformat()})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Partners" in page and "Viewer" in page and "Revoke" in page
    event = AuditEvent.objects.get(action="workload.share")
    assert event.workload_id == workload.pk and event.after["role"] == "VIEWER"


def test_bad_shares_are_refused_with_reasons_and_write_nothing(client, workload, owner, team, partners):
    client.force_login(owner)
    url = reverse("workload_shares", args=[workload.pk])
    past = client.post(url, {"team": partners.pk, "role": "VIEWER", "expires_on": "2000-01-01"})
    assert past.status_code == 400 and "has passed" in past.content.decode()
    too_long = client.post(
        url, {"team": partners.pk, "role": "VIEWER", "expires_on": _until(4000).isoformat()}
    )
    assert too_long.status_code == 400 and "at most 365 days" in too_long.content.decode()
    with pytest.raises(ValidationError, match="owns this workload already"):
        share_set(workload=workload, team=team, role="VIEWER", expires_on=_until(), actor=owner)
    assert not WorkloadShare.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="workload.share").exists()


def test_sharing_again_changes_role_and_date_and_audits_the_change(workload, owner, partners):
    share_set(workload=workload, team=partners, role="VIEWER", expires_on=_until(5), actor=owner)
    share_set(workload=workload, team=partners, role="CONTRIBUTOR", expires_on=_until(9), actor=owner)
    share = WorkloadShare.objects.get()
    assert (share.role, share.expires_on) == ("CONTRIBUTOR", _until(9))
    change = AuditEvent.objects.get(action="workload.share_update")
    assert change.before["role"] == "VIEWER" and change.after["role"] == "CONTRIBUTOR"


def test_revoking_takes_access_away_at_once_and_is_audited(client, workload, owner, partner, partners):
    share = share_set(workload=workload, team=partners, role="VIEWER", expires_on=_until(), actor=owner)
    client.force_login(owner)
    response = client.post(reverse("workload_share_revoke", args=[workload.pk, share.pk]))
    assert response.status_code == 302
    assert not WorkloadShare.objects.exists()
    event = AuditEvent.objects.get(action="workload.share_revoke")
    assert event.before["team_name"] == "Partners"
    client.force_login(partner)
    assert client.get(reverse("workload_detail", args=[workload.pk])).status_code == 404


def test_a_viewer_of_the_owning_team_sees_shares_but_cannot_share(client, workload, owner, viewer, partners):
    share_set(workload=workload, team=partners, role="VIEWER", expires_on=_until(), actor=owner)
    client.force_login(viewer)
    page = client.get(reverse("workload_shares", args=[workload.pk]))
    assert page.status_code == 200 and "Partners" in page.content.decode()
    assert "Share with a team" not in page.content.decode()
    refused = client.post(
        reverse("workload_shares", args=[workload.pk]),
        {"team": partners.pk, "role": "CONTRIBUTOR", "expires_on": _until().isoformat()},
    )
    assert refused.status_code == 403


def test_the_sharing_page_runs_a_fixed_number_of_queries(client, workload, owner, django_assert_num_queries):
    for number in range(5):
        team = team_create(name=f"Team {number}", actor=owner)
        share_set(workload=workload, team=team, role="VIEWER", expires_on=_until(), actor=owner)
    client.force_login(owner)
    url = reverse("workload_shares", args=[workload.pk])
    client.get(url)
    # Session and user, the workload, its access decision, the shares, the team choices.
    with django_assert_num_queries(6):
        assert client.get(url).status_code == 200


def test_the_api_shares_lists_and_revokes(
    client, workload, owner, partner, partners, django_assert_num_queries
):
    client.force_login(owner)
    url = reverse("api_share_list", args=[workload.pk])
    created = client.post(
        url,
        {"team": str(partners.pk), "role": "CONTRIBUTOR", "expires_on": _until(7).isoformat()},
        content_type="application/json",
    )
    assert created.status_code == 200, created.content
    assert created.json()["team_name"] == "Partners" and created.json()["is_active"] is True
    # Session and user, the workload, its access decision, the count and the page.
    with django_assert_num_queries(6):
        listed = client.get(url).json()
    assert [row["role"] for row in listed["results"]] == ["CONTRIBUTOR"]
    bad = client.post(
        url,
        {"team": str(partners.pk), "role": "OWNER", "expires_on": _until().isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "role" in bad.json()
    share_id = created.json()["id"]
    assert client.delete(reverse("api_share_detail", args=[workload.pk, share_id])).status_code == 204
    client.force_login(partner)
    assert client.get(reverse("api_workload_detail", args=[workload.pk])).status_code == 404


def test_reminders_reach_members_of_a_team_the_workload_is_shared_with(
    workload, review, owner, partner, partners
):
    from reviewapp.access import user_sees_workload
    from reviewapp.models import ImprovementItem

    item, _ = ImprovementItem.objects.get_or_create(workload=workload, lens=review.lens, bp_code="SEC01-BP01")
    ImprovementItem.objects.filter(pk=item.pk).update(owner=partner)
    visible = ImprovementItem.objects.filter(user_sees_workload("owner", "workload"), pk=item.pk)
    assert not visible.exists()
    share_set(workload=workload, team=partners, role="VIEWER", expires_on=_until(), actor=owner)
    assert visible.exists()
