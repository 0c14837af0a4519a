"""Routes of the identity area: sign-in and sign-out, the account page, two-step sign-in, the audit trail.

The views live in signin.py, account.py, mfa.py and audit.py beside this module.
"""

from __future__ import annotations

from django.urls import path

from . import account, audit, mfa, signin

urlpatterns = [
    path("login/", signin.login_view, name="login"),
    path("login/verify/", signin.login_mfa, name="login_mfa"),
    path("logout/", signin.logout_view, name="logout"),
    path("login/sso/", signin.oidc_login, name="oidc_login"),
    path("login/sso/callback/", signin.oidc_callback, name="oidc_callback"),
    path("account/", account.account, name="account"),
    path("account/password/", account.password_change, name="password_change"),
    path("account/sessions/revoke/", account.sessions_revoke, name="sessions_revoke"),
    path("account/two-step/", mfa.mfa_enrol_view, name="mfa_enrol"),
    path("account/two-step/recovery-codes/", mfa.mfa_recovery_codes, name="mfa_recovery_codes"),
    path("account/two-step/people/", mfa.mfa_admin, name="mfa_admin"),
    path("account/two-step/people/<int:user_id>/reset/", mfa.mfa_reset_view, name="mfa_reset"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/export/", audit.audit_export, name="audit_export"),
]
