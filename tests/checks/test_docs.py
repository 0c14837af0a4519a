"""docs/evidence.md documents every check (practices, IAM actions, what PASS means) and both mapping tables."""

from __future__ import annotations

import re
from pathlib import Path

from checks.imports import mapping
from checks.models import FindingSource
from checks.registry import all_checks

DOC = Path(__file__).resolve().parents[2] / "docs" / "evidence.md"


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    parts = re.split(r"^### `([a-z0-9_.]+)`", text, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def test_every_check_is_documented_with_its_practices_actions_and_what_pass_means():
    documented = sections()
    for item in all_checks():
        section = documented.get(item.id)
        assert section is not None, f"docs/evidence.md has no section for {item.id}"
        practices = re.search(r"- Practices: (.*)", section).group(1)
        assert all(code in practices for code in item.best_practices), item.id
        actions = re.search(r"- IAM actions: (.*)", section).group(1)
        assert all(f"`{action}`" in actions for action in item.actions), item.id
        assert re.search(r"- PASS means: \S", section), item.id
    assert set(documented) == {item.id for item in all_checks()}


def test_both_mapping_tables_are_documented_line_by_line():
    text = DOC.read_text(encoding="utf-8")
    for source in (FindingSource.PROWLER, FindingSource.SECURITY_HUB):
        for check_id, codes in mapping.table(source).items():
            assert f"| `{check_id}` | {', '.join(codes)} |" in text, check_id
