"""One measured figure, its summary statistics, and how the run prints and stores them."""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results.json"


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The sample below which `fraction` of the samples lie (nearest rank: no made-up in-between values)."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figure:
    name: str
    median_ms: float
    p95_ms: float
    queries: int | None = None
    ratio_to_bare: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, name: str, samples_s: Sequence[float], **kwargs: Any) -> Figure:
        return cls(
            name=name,
            median_ms=round(statistics.median(samples_s) * 1000, 2),
            p95_ms=round(percentile(samples_s, 0.95) * 1000, 2),
            **kwargs,
        )

    @property
    def failed(self) -> str | None:
        """Why the section that measures this figure failed, or None when it was measured."""
        return self.extra.get("failed")

    def as_dict(self) -> dict[str, Any]:
        # JSON has no NaN: a failed figure's times are stored as null.
        return {key: None if isinstance(value, float) and math.isnan(value) else value
                for key, value in asdict(self).items()}  # fmt: skip


@dataclass
class Target:
    """A goal from the issue: `check` says whether the figures meet it, `detail` shows the numbers."""

    text: str
    met: bool
    detail: str


def table(figures: Sequence[Figure]) -> str:
    rows = [("figure", "median ms", "p95 ms", "queries", "x bare")]
    for figure in figures:
        if figure.failed:
            rows.append((figure.name, "FAILED", "", "", ""))
            continue
        rows.append(
            (
                figure.name,
                f"{figure.median_ms:,.1f}",
                f"{figure.p95_ms:,.1f}",
                "" if figure.queries is None else str(figure.queries),
                "" if figure.ratio_to_bare is None else f"{figure.ratio_to_bare:.2f}",
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        numbers = (cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))
        cells = [row[0].ljust(widths[0]), *numbers]
        lines.append("  ".join(cells))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_results(figures: Sequence[Figure], path: Path = RESULTS) -> Path:
    path.write_text(json.dumps([figure.as_dict() for figure in figures], indent=2) + "\n")
    return path
