"""AWS Lambda's runtime deprecation schedule, kept as data in checks/data/lambda_runtimes.json.

A runtime is deprecated (no more security patches) from its deprecation date; later AWS blocks creating, then
updating, functions that use it. The check compares these dates with the day it runs, so a runtime turns FAIL
on its date without anyone changing code: updating the schedule means editing the JSON file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

SCHEDULE_FILE = Path(__file__).resolve().parent / "data" / "lambda_runtimes.json"


@dataclass(frozen=True)
class RuntimeDates:
    runtime: str
    name: str
    deprecation: date
    block_create: date
    block_update: date

    def deprecated_on(self, day: date) -> bool:
        return day >= self.deprecation


@cache
def schedule() -> dict[str, RuntimeDates]:
    """{runtime identifier: its dates}, read once per process."""
    data = json.loads(SCHEDULE_FILE.read_text(encoding="utf-8"))
    found = {}
    for row in data["runtimes"]:
        dates = RuntimeDates(
            runtime=row["runtime"],
            name=row["name"],
            deprecation=date.fromisoformat(row["deprecation"]),
            block_create=date.fromisoformat(row["block_create"]),
            block_update=date.fromisoformat(row["block_update"]),
        )
        if not dates.deprecation <= dates.block_update or not dates.block_create <= dates.block_update:
            raise ValueError(f"{SCHEDULE_FILE.name}: the dates of {dates.runtime} are out of order")
        found[dates.runtime] = dates
    return found


def blocking_note(dates: RuntimeDates, day: date) -> str:
    """What AWS already refuses, or will refuse next, for functions on this runtime."""
    if day >= dates.block_update:
        return f"AWS has refused updates to such functions since {dates.block_update:%d %b %Y}"
    if day >= dates.block_create:
        return (
            f"AWS refuses new functions on it since {dates.block_create:%d %b %Y} and updates from "
            f"{dates.block_update:%d %b %Y}"
        )
    return f"AWS refuses new functions on it from {dates.block_create:%d %b %Y}"
