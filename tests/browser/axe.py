"""axe-core (vendored in tests/browser/vendor/axe-core) run inside the page under test.

The script is evaluated through the DevTools protocol, which the page's Content-Security-Policy does not apply to,
so the app's strict policy stays on while the page is checked.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
BLOCKING = ("serious", "critical")


@cache
def _source() -> str:
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, impacts: tuple[str, ...] = BLOCKING) -> list[str]:
    """Violations of WCAG 2.x A/AA rules with one of `impacts`, each as 'rule: target, target (help)'."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source())
    result = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {
                runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] },
            });
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(" ")),
            }));
        }"""
    )
    return [
        f"{v['id']} ({v['impact']}): {', '.join(v['targets'][:5])} — {v['help']}"
        for v in result
        if v["impact"] in impacts
    ]
