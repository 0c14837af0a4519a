"""Where the app's logs go during a run: to bench/bench.log, so thousands of request lines do not bury the
table. Importable before Django is set up (the pool's worker processes use it too)."""

from __future__ import annotations

import logging
from pathlib import Path

LOG = Path(__file__).resolve().parent / "bench.log"


def to_file(mode: str = "a") -> None:
    stream = LOG.open(mode)
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", []):
            if isinstance(handler, logging.StreamHandler) and not isinstance(handler, logging.FileHandler):
                handler.setStream(stream)
