"""Access table for the identity area (reviewapp/views/accounts.py): account, two-step sign-in, audit trail.

"login" and "logout" are in routes_core.py."""

from __future__ import annotations

from tests.conftest import PASSWORD

from . import Route, World


def _owner(world: World) -> dict:
    return {"user_id": world.owner.pk}


ROUTES = {
    # Without a password step first there is nothing to verify: back to the sign-in page.
    "login_mfa": Route(scope="public", read_ok=(302,)),
    # Single sign-on pages are public by nature (404 unless OIDC_ISSUER is set); tests/reviewapp/test_oidc.py.
    "oidc_login": Route(scope="public", read_ok=(404,)),
    "oidc_callback": Route(scope="public", read_ok=(404,)),
    "account": Route(scope="user"),
    "password_change": Route(
        scope="user",
        write="post",
        data=lambda world: {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 42",
            "new_password2": "a much longer passphrase 42",
        },
    ),
    "sessions_revoke": Route(scope="user", read=False, write="post"),
    # The seed is random and lives in the session, so the code cannot be right: the form's refusal (400), or
    # the redirect when no set-up page was opened first, proves the owner gets through.
    "mfa_enrol": Route(
        scope="user", write="post", data=lambda world: {"code": "123456"}, write_ok=(302, 400)
    ),
    "mfa_recovery_codes": Route(scope="user", read=False, write="post"),
    "mfa_admin": Route(scope="admin"),
    "mfa_reset": Route(scope="admin", kwargs=_owner, read=False, write="post"),
    # Team owners see their own workloads' entries; the outsider's and viewer's cases are in test_audit.py.
    "audit_list": Route(scope="user", right="audit"),
    "audit_export": Route(scope="user", right="audit"),
}
