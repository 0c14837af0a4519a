"""Each part of the benchmark runs on its own: one that raises or runs out of time is reported as failed, and
the run goes on with the next.

A section gets a wall-clock limit through SIGALRM (the benchmark runs in the main thread), which interrupts a
page that takes minutes; the database connection is closed afterwards, since a query cut off half way leaves
it in an unknown state, and the next section opens a fresh one.
"""

from __future__ import annotations

import math
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

from django.db import connections

from .figures import Figure
from .logs import LOG

Result = TypeVar("Result")


class SectionTimeout(Exception):
    pass


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def expired(signum: int, frame: object) -> None:
        raise SectionTimeout(f"still running after {seconds:g} s")

    previous = signal.signal(signal.SIGALRM, expired)
    # Then again every second: Python ignores an exception raised inside a finaliser (__del__), so one
    # alarm that lands there would be lost.
    signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@dataclass
class Sections:
    """Runs sections and remembers which failed, and why."""

    say: Callable[[str], None]
    failures: list[Figure] = field(default_factory=list)

    def run(self, name: str, work: Callable[[], Result], *, limit_s: float) -> Result | None:
        try:
            with time_limit(limit_s):
                return work()
        except Exception as exc:  # noqa: BLE001  # a failed section is a result to report, not a crash
            reason = f"{type(exc).__name__}: {str(exc)[:160]}"
            with LOG.open("a") as stream:
                stream.write(f"section {name} failed:\n")
                traceback.print_exc(file=stream)
            self.say(f"FAILED {name}: {reason} (details in bench/bench.log)")
            connections.close_all()
            self.failures.append(failed(name, reason))
            return None

    def figures(
        self, name: str, work: Callable[[], Figure | list[Figure]], *, limit_s: float
    ) -> list[Figure]:
        """The figures `work` measures; none when it failed (the failure is kept in `failures`)."""
        result = self.run(name, work, limit_s=limit_s)
        if result is None:
            return []
        return result if isinstance(result, list) else [result]


def failed(name: str, reason: str) -> Figure:
    return Figure(name=name, median_ms=math.nan, p95_ms=math.nan, extra={"failed": reason})
