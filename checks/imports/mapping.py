"""Scanner check ids to best practices, kept as data (checks/data/*_mapping.json) with their source noted."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

from ..models import FindingSource

DATA = Path(__file__).resolve().parent.parent / "data"
TABLES: dict[str, Path] = {
    FindingSource.PROWLER: DATA / "prowler_mapping.json",
    FindingSource.SECURITY_HUB: DATA / "securityhub_mapping.json",
}
BP_CODE = re.compile(r"^SEC\d{2}-BP\d{2}$")


@cache
def table(source: str) -> dict[str, tuple[str, ...]]:
    """{scanner check id: BP codes} for one source, read once per process."""
    data = json.loads(TABLES[source].read_text(encoding="utf-8"))
    found = {}
    for check_id, codes in data["map"].items():
        bad = [code for code in codes if not BP_CODE.match(code)]
        if bad or not codes:
            raise ValueError(f"{TABLES[source].name}: {check_id} maps to {codes}")
        found[check_id] = tuple(codes)
    return found


def practices_for(source: str, check_id: str) -> list[str]:
    """The BP codes a scanner finding evidences; empty when no table line covers it (kept as unmapped)."""
    return list(table(source).get(check_id, ()))


def source_note(source: str) -> str:
    return json.loads(TABLES[source].read_text(encoding="utf-8"))["source"]
