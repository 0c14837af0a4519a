"""Who calls the routes of the access table: each persona is a user of the World and the actions it holds there.

Adding a persona is one line here plus, if it needs one, an object in the world (a `prepare` in
tests/access/routes_*.py). The two share personas own teams of their own with which the world's workload is
shared (routes_sharing.py): as VIEWER and as CONTRIBUTOR. They hold the share's actions on the workload and
everything under it, and nothing on the workload's team (its pages and Jira connection do not exist for them).
"""

from __future__ import annotations

from dataclasses import dataclass

# "decide": approve or reject the world's low-risk acceptance request (access.acceptance_deciders_refusal): a
# team OWNER, a security lead or an administrator; not a contributor, nor a team the workload is shared with.
EVERYTHING = frozenset({"view", "edit", "plan", "administer", "decide"})


@dataclass(frozen=True)
class Persona:
    # The World attribute holding this persona's user.
    name: str
    # What the persona may do on the world's workload (and everything under it) and on its team.
    actions: frozenset[str]
    # An organisation administrator: may use the "admin" routes.
    org_admin: bool = False
    # The user the world's personal objects (API tokens) belong to.
    owns_world: bool = False
    # Rights not tied to the world's workload: "audit" (read some of the audit trail), "audit_all" (the whole
    # trail, through the API), "create_workload".
    rights: frozenset[str] = frozenset()
    # What the persona may do on the world's team itself (routes with on_team); None: the same as `actions`.
    team_actions: frozenset[str] | None = None

    def expects(self, route, method: str) -> tuple[int, ...]:
        """The status codes this persona must get from `route` called with `method`."""
        allowed = route.read_ok if method == "get" else route.write_ok
        if route.scope == "user":
            return allowed if route.right is None or route.right in self.rights else (403,)
        if route.scope == "admin":
            return allowed if self.org_admin else (403, 404)
        if route.only_its_owner:
            return allowed if self.owns_world or (route.admins_too and self.org_admin) else (404,)
        held = self.team_actions if route.on_team and self.team_actions is not None else self.actions
        if route.action(method) in held:
            return allowed
        # Visible but not allowed is a 403; invisible does not exist.
        return (403,) if "view" in held else (404,)


OWNS_A_TEAM = frozenset({"audit", "create_workload"})

PERSONAS = (
    Persona("owner", EVERYTHING, owns_world=True, rights=OWNS_A_TEAM),
    Persona("viewer", frozenset({"view"})),
    Persona("lead", frozenset({"view", "plan", "decide"}), rights=frozenset({"audit", "audit_all"})),
    Persona("admin", EVERYTHING, org_admin=True, rights=OWNS_A_TEAM | {"audit_all"}),
    # Owns a team of their own ("Elsewhere"), so reads its audit entries and creates workloads there.
    Persona("outsider", frozenset(), rights=OWNS_A_TEAM),
    # Owns another team with which the world's workload is shared as VIEWER / as CONTRIBUTOR.
    Persona("share_viewer", frozenset({"view"}), rights=OWNS_A_TEAM, team_actions=frozenset()),
    Persona(
        "share_contributor", frozenset({"view", "edit", "plan"}), rights=OWNS_A_TEAM, team_actions=frozenset()
    ),
)
