"""The team pages: who sees which teams, creating teams (administrators), and managing members (owners)."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from reviewapp.models import AuditEvent, Membership, Team
from reviewapp.services import membership_set, team_create
from tests.conftest import login, make_user

pytestmark = pytest.mark.django_db

LIST = reverse("team_list")
CREATE = reverse("team_create")


def detail(team) -> str:
    return reverse("team_detail", kwargs={"team_id": team.pk})


def add_url(team) -> str:
    return reverse("team_member_add", kwargs={"team_id": team.pk})


def role_url(membership) -> str:
    return reverse("team_member_role", kwargs={"team_id": membership.team_id, "membership_id": membership.pk})


def remove_url(membership) -> str:
    return reverse(
        "team_member_remove", kwargs={"team_id": membership.team_id, "membership_id": membership.pk}
    )


def text(response) -> str:
    return unescape(response.content.decode())


# --- List ---


def test_a_member_sees_only_their_teams(client, contributor, team, outsider):
    login(client, contributor)
    response = client.get(LIST)
    assert [t.name for t in response.context["teams"]] == ["Payments"]
    assert response.context["form"] is None
    row = response.context["teams"][0]
    assert (row.my_role, row.member_count, row.workload_count) == ("CONTRIBUTOR", 2, 0)


def test_an_admin_sees_every_team_and_the_new_team_form(client, admin_user, team, outsider):
    login(client, admin_user)
    response = client.get(LIST)
    assert [t.name for t in response.context["teams"]] == ["Elsewhere", "Payments"]
    assert 'action="/teams/new/"' in response.content.decode()


def test_a_security_lead_sees_every_team_but_cannot_create(client, lead, team, outsider):
    login(client, lead)
    response = client.get(LIST)
    assert len(response.context["teams"]) == 2
    assert response.context["form"] is None
    assert client.post(CREATE, {"name": "Shadow"}).status_code == 403


def test_the_list_counts_members_and_workloads_whoever_asks(client, owner, team, viewer, workload):
    # The member's own visibility join must not shrink the member count to one.
    login(client, owner)
    row = client.get(LIST).context["teams"][0]
    assert (row.member_count, row.workload_count, row.my_role) == (2, 1, "OWNER")


@pytest.mark.parametrize("extra_teams", [1, 20])
def test_the_list_runs_a_constant_number_of_queries(
    client, admin_user, extra_teams, django_assert_num_queries
):
    for n in range(extra_teams):
        team_create(name=f"Team {n}", actor=admin_user)
    login(client, admin_user)
    with django_assert_num_queries(3):  # session, user, teams with their counts
        client.get(LIST)


# --- Create ---


def test_an_admin_creates_a_team_and_becomes_its_owner(client, admin_user):
    login(client, admin_user)
    response = client.post(CREATE, {"name": "Platform", "description": "Shared infrastructure"})
    team = Team.objects.get(name="Platform")
    assert response.status_code == 302
    assert response["Location"] == detail(team)
    assert team.memberships.get().user == admin_user
    assert AuditEvent.objects.filter(action="team.create", object_id=str(team.pk), actor=admin_user).exists()


def test_an_admin_can_name_another_first_owner(client, admin_user, contributor):
    login(client, admin_user)
    client.post(CREATE, {"name": "Platform", "owner": "CARL_contributor"})
    membership = Team.objects.get(name="Platform").memberships.get()
    assert (membership.user, membership.role) == (contributor, "OWNER")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "Give the team a name."),
        ({"name": "x" * 101}, "name", "at most 100 characters"),
        ({"name": "payments"}, "name", "A team called 'payments' already exists."),
        ({"name": "Platform", "owner": "nobody"}, "owner", "There is no active user called “nobody”."),
        ({"name": "Platform", "description": "x" * 2001}, "description", "at most 2000 characters"),
    ],
)
def test_team_creation_explains_what_is_wrong(client, admin_user, team, data, field, message):
    login(client, admin_user)
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert any(message in error for error in response.context["form"].errors[field])
    assert message in text(response)
    assert Team.objects.count() == 1


def test_a_failed_team_creation_keeps_what_was_typed(client, admin_user, team):
    login(client, admin_user)
    response = client.post(CREATE, {"name": "Payments", "description": "A second try", "owner": "ada_admin"})
    html = response.content.decode()
    assert 'value="Payments"' in html and "A second try" in html and 'value="ada_admin"' in html


def test_team_owners_cannot_create_teams(client, owner, outsider):
    login(client, owner)
    assert client.post(CREATE, {"name": "Rogue"}).status_code == 403
    assert not Team.objects.filter(name="Rogue").exists()


# --- Detail ---


def test_the_team_page_lists_members_with_roles_and_workloads(client, viewer, team, contributor, workload):
    login(client, viewer)
    response = client.get(detail(team))
    assert response.status_code == 200
    assert [(m.user.username, m.role) for m in response.context["members"]] == [
        ("olivia_owner", "OWNER"),
        ("carl_contributor", "CONTRIBUTOR"),
        ("vera_viewer", "VIEWER"),
    ]
    assert [w.name for w in response.context["workloads"]] == ["Checkout API"]
    html = response.content.decode()
    # A viewer reads: no management forms and no "New workload".
    assert add_url(team) not in html and "team_member" not in html
    assert reverse("workload_create") not in html


def test_owners_see_the_management_forms(client, owner, team, contributor):
    login(client, owner)
    html = client.get(detail(team)).content.decode()
    assert add_url(team) in html
    assert remove_url(contributor.memberships.get()) in html
    assert f"{reverse('workload_create')}?team={team.pk}" in html


def test_outsiders_get_404_for_a_team(client, outsider, team):
    login(client, outsider)
    assert client.get(detail(team)).status_code == 404


@pytest.mark.parametrize("extra", [1, 15])
def test_the_team_page_runs_a_constant_number_of_queries(
    client, owner, team, extra, django_assert_num_queries
):
    from tests.reviewapp.test_views_workloads import make

    for n in range(extra):
        membership_set(team=team, user=make_user(f"member{n}"), role="VIEWER", actor=owner)
        make(team, owner, f"Workload {n}")
    login(client, owner)
    # session, user, team, the user's role, members, workloads with their review summaries
    with django_assert_num_queries(6):
        client.get(detail(team))


# --- Members ---


def test_an_owner_adds_a_member_by_username(client, owner, team):
    newcomer = make_user("nina_newcomer")
    login(client, owner)
    response = client.post(add_url(team), {"username": "nina_newcomer", "role": "VIEWER"})
    assert response.status_code == 302
    assert Membership.objects.get(team=team, user=newcomer).role == "VIEWER"
    event = AuditEvent.objects.filter(action="membership.set").latest("id")
    assert (event.actor, event.after["user"], event.after["role"]) == (owner, "nina_newcomer", "VIEWER")


def test_an_admin_who_is_not_a_member_can_manage_members(client, admin_user, team, contributor):
    login(client, admin_user)
    assert client.post(role_url(contributor.memberships.get()), {"role": "OWNER"}).status_code == 302
    assert contributor.memberships.get().role == "OWNER"


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "ghost", "role": "VIEWER"}, "username", "There is no user called “ghost”."),
        ({"username": "", "role": "VIEWER"}, "username", "Enter the username of the person to add."),
        (
            {"username": "carl_contributor", "role": "VIEWER"},
            "username",
            "carl_contributor is already a member",
        ),
        ({"username": "nina_newcomer", "role": "BOSS"}, "role", "Select a valid choice"),
    ],
)
def test_adding_a_member_explains_what_is_wrong(client, owner, team, contributor, data, field, message):
    make_user("nina_newcomer")
    login(client, owner)
    response = client.post(add_url(team), data)
    assert response.status_code == 400
    assert any(message in error for error in response.context["add_form"].errors[field])
    assert message in text(response)
    assert team.memberships.count() == 2
    # What was typed is still in the form.
    if data["username"]:
        assert f'value="{data["username"]}"' in response.content.decode()


def test_an_owner_changes_a_role_with_audit(client, owner, team, contributor):
    membership = contributor.memberships.get()
    login(client, owner)
    assert client.post(role_url(membership), {"role": "VIEWER"}).status_code == 302
    membership.refresh_from_db()
    assert membership.role == "VIEWER"
    event = AuditEvent.objects.filter(action="membership.set").latest("id")
    assert (event.before, event.after["role"]) == ({"role": "CONTRIBUTOR"}, "VIEWER")


def test_the_last_owner_cannot_be_demoted(client, owner, team):
    membership = owner.memberships.get(team=team)
    login(client, owner)
    response = client.post(role_url(membership), {"role": "VIEWER"})
    assert response.status_code == 400
    assert "Payments must keep at least one owner: make someone else an owner first." in text(response)
    membership.refresh_from_db()
    assert membership.role == "OWNER"


def test_the_last_owner_cannot_be_removed(client, owner, team):
    membership = owner.memberships.get(team=team)
    login(client, owner)
    response = client.post(remove_url(membership))
    assert response.status_code == 400
    assert "must keep at least one owner" in text(response)
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert not AuditEvent.objects.filter(action="membership.remove").exists()


def test_an_invalid_role_is_explained_on_the_member_row(client, owner, team, contributor):
    membership = contributor.memberships.get()
    login(client, owner)
    response = client.post(role_url(membership), {"role": "KING"})
    assert response.status_code == 400
    assert "Choose a team role." in text(response)


def test_an_owner_removes_a_member_with_audit(client, owner, team, contributor):
    membership = contributor.memberships.get()
    login(client, owner)
    response = client.post(remove_url(membership))
    assert response.status_code == 302
    assert response["Location"] == detail(team)
    assert not Membership.objects.filter(pk=membership.pk).exists()
    event = AuditEvent.objects.get(action="membership.remove")
    assert (event.actor, event.before["user"]) == (owner, "carl_contributor")


def test_an_owner_who_leaves_goes_back_to_the_team_list(client, owner, team, contributor):
    membership_set(team=team, user=contributor, role="OWNER", actor=owner)
    login(client, owner)
    response = client.post(remove_url(owner.memberships.get(team=team)))
    assert response["Location"] == LIST


def test_a_membership_of_another_team_is_not_found(client, owner, team, outsider):
    foreign = outsider.memberships.get()
    login(client, owner)
    url = reverse("team_member_remove", kwargs={"team_id": team.pk, "membership_id": foreign.pk})
    assert client.post(url).status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()


@pytest.mark.parametrize("who", ["viewer", "contributor"])
def test_members_without_ownership_cannot_manage(client, request, team, owner, who):
    user = request.getfixturevalue(who)
    target = owner.memberships.get(team=team)
    login(client, user)
    assert client.post(add_url(team), {"username": "olivia_owner", "role": "VIEWER"}).status_code == 403
    assert client.post(role_url(target), {"role": "VIEWER"}).status_code == 403
    assert client.post(remove_url(target)).status_code == 403
    target.refresh_from_db()
    assert target.role == "OWNER"


def test_outsiders_get_404_when_managing(client, outsider, team, owner):
    target = owner.memberships.get(team=team)
    login(client, outsider)
    assert client.post(add_url(team), {"username": "oscar_outsider", "role": "OWNER"}).status_code == 404
    assert client.post(role_url(target), {"role": "VIEWER"}).status_code == 404
    assert client.post(remove_url(target)).status_code == 404
    target.refresh_from_db()
    assert target.role == "OWNER" and not team.memberships.filter(user=outsider).exists()
