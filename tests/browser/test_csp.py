"""The app's pages run under its Content-Security-Policy: a real browser blocks no inline script or style."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

from .conftest import sign_in

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_pages_load_without_content_security_policy_violations(page, owner, workload, review):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # securitypolicyviolation events catch what the console might word differently.
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )

    page.goto("/login/")
    expect(page.locator("h1")).to_have_text("Sign in")
    sign_in(page, owner.username, PASSWORD)

    for path, heading in [
        ("/workloads/", "Workloads"),
        (f"/reviews/{review.pk}/", None),
        (f"/reviews/{review.pk}/questions/SEC1/", "SEC1."),
        ("/account/", "Your account"),
        ("/account/two-step/", "Set up two-step sign-in"),
        ("/audit/", "Audit trail"),
    ]:
        response = page.goto(path)
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        if heading:
            expect(page.locator("h1").first).to_contain_text(heading)
        page.wait_for_load_state("networkidle")
        if path == "/account/two-step/":
            # The QR code is a data: image, which the policy allows: it must actually render.
            assert page.eval_on_selector("img.qr", "img => img.complete && img.naturalWidth > 0")

    assert not violations, violations
