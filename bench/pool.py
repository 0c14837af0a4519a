"""The worker side of bench/collection.py's process pool.

A spawned process imports this module to find these functions before Django is set up, so nothing here may
import a model at module level.
"""

from __future__ import annotations


def start() -> None:
    import django

    from . import logs

    django.setup()
    logs.to_file()


def ready(_: int) -> None:
    return None


def run(task_id: int) -> None:
    from checks.tasks import run_task

    run_task(task_id)
