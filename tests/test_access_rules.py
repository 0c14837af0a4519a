"""Every access decision lives in reviewapp/access.py: no other module (models apart) compares a role.

The source is read with `ast` (and the templates with Django's own template lexer), so a comment, a docstring
or an API example that mentions "OWNER" does not count, and a comparison split over lines still does.

What counts as deciding by role:
- a comparison (==, !=, in, not in, is) with a role: Role.OWNER, User.OrgRole.ADMIN, or the text "OWNER";
- a query filter on a role: .filter(role=Role.OWNER), Q(memberships__role__in=["OWNER", ...]), When(...);
- the role predicates of the user model (is_org_admin, reads_everything) read outside access.py.
Creating a membership with a role (seed data, team_create) or offering roles as form choices is not deciding.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.template.base import Lexer, TokenType

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reviewapp", "questionnaire", "checks")
ALLOWED = {
    Path("reviewapp/access.py"),
    Path("reviewapp/models.py"),
    Path("reviewapp/identity/models.py"),
    # A share's role is data (its CheckConstraint); only access.py turns it into actions.
    Path("reviewapp/sharing/models.py"),
    Path("checks/models.py"),
    Path("questionnaire/models.py"),
}
ROLES = {"OWNER", "CONTRIBUTOR", "VIEWER", "SECURITY_LEAD", "ADMIN"}
ROLE_ENUMS = {"Role", "OrgRole"}
ROLE_PREDICATES = {"is_org_admin", "reads_everything"}
QUERY_CALLS = {"filter", "exclude", "get", "get_or_create", "update_or_create", "Q", "When", "annotate"}


def _is_role(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and node.value in ROLES:
        return True
    if isinstance(node, ast.Attribute) and node.attr in ROLES:
        owner = node.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        return name in ROLE_ENUMS
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        return any(_is_role(element) for element in node.elts)
    return False


def _call_name(call: ast.Call) -> str:
    func = call.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def role_decisions(source: str, filename: str = "<source>") -> list[str]:
    """Where `source` decides by role, as "line: what" strings."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if isinstance(node, ast.Compare) and any(_is_role(part) for part in [node.left, *node.comparators]):
            found.append(f"{node.lineno}: compares a role")
        elif isinstance(node, ast.Call) and _call_name(node) in QUERY_CALLS:
            for keyword in node.keywords:
                if keyword.arg and "role" in keyword.arg and _is_role(keyword.value):
                    found.append(f"{node.lineno}: filters on a role ({keyword.arg})")
        elif isinstance(node, ast.Attribute) and node.attr in ROLE_PREDICATES:
            found.append(f"{node.lineno}: reads the role predicate {node.attr}")
    return found


def _sources() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and path.relative_to(ROOT) not in ALLOWED
    ]


def test_no_module_outside_access_decides_by_role():
    offenders = [
        f"{path.relative_to(ROOT)}:{where}"
        for path in _sources()
        for where in role_decisions(path.read_text(), str(path))
    ]
    assert not offenders, "Ask reviewapp/access.py instead:\n" + "\n".join(offenders)


def test_no_template_compares_a_role():
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for token in Lexer(path.read_text()).tokenize():
            words = set(token.contents.replace('"', " ").replace("'", " ").split())
            if token.token_type == TokenType.BLOCK and words & {"if", "elif"} and words & ROLES:
                offenders.append(f"{path.relative_to(ROOT)}:{token.lineno}: {token.contents}")
    assert not offenders, "Let the view ask reviewapp/access.py:\n" + "\n".join(offenders)


def test_the_scan_sees_each_way_of_deciding_by_role():
    # The scan itself must be able to fail: each line below decides by role in a way it is meant to catch.
    source = """
if membership.role == Role.OWNER: pass
if "OWNER" != role: pass
if user.org_role in (User.OrgRole.SECURITY_LEAD, User.OrgRole.ADMIN): pass
Workload.objects.filter(team__memberships__role="OWNER")
Membership.objects.exclude(role__in=[Role.OWNER, Role.CONTRIBUTOR])
Q(owner__org_role=User.OrgRole.ADMIN)
if request.user.is_org_admin: pass
"""
    assert [line.split(":")[0] for line in role_decisions(source)] == ["2", "3", "4", "5", "6", "7", "8"]


def test_the_scan_lets_roles_be_given_and_offered():
    source = """
Membership.objects.create(team=team, user=owner, role=Role.OWNER)
role = forms.ChoiceField(choices=Role.choices, initial=Role.CONTRIBUTOR)
EXAMPLE = {"my_role": "OWNER"}
# if role == "OWNER": a comment is not code
"""
    assert role_decisions(source) == []
