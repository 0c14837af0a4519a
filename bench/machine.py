"""The machine a run measured: what docs/performance.md quotes next to the figures."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def describe(postgres_version: str) -> dict[str, str]:
    import django

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return {
        "cpus": str(os.cpu_count()),
        "cpu": _cpu_model(),
        "memory": _memory_gib(),
        "load": f"{load:.1f}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": postgres_version,
    }
