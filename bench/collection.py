"""Evidence collection: every registered check in 17 regions against a local AWS emulator, one task after the
other and then with 4 worker processes.

The emulator is moto's server (the WSGI app ThreadedMotoServer runs) in a thread on a loopback port, seeded
with the demo account of checks/demo.py (resources that pass and fail the checks). The run is the real thing:
`checks.services.run_start` creates it with one task per (check group, region), and `checks.tasks.run_task`
executes each task (assume the role, run the group's checks, store the findings). Only how the tasks reach a
process differs:

- sequential: each task runs in this process, one after the other;
- parallel: a Celery worker (`--pool=prefork -c 4`) on Redis when REDIS_URL is set, as in production; without
  Redis, a pool of 4 processes of this interpreter.

The emulator answers in a few milliseconds and shares this machine's CPUs with the workers, so both runs are
repeated with 30 ms added to every answer: closer to a worker calling AWS over a network, where the time goes
in waiting, which is what parallel workers overlap.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings

from checks import services
from checks.demo import DEMO_ACCOUNT, DEMO_ROLE, demo_session, seed_demo_account
from checks.models import EvidenceRun, RunState
from checks.registry import all_checks
from checks.tasks import run_task
from reviewapp.celery import app
from reviewapp.models import Workload

from . import pool as pool_side
from .figures import Figure
from .pages import BenchError

ROOT = Path(__file__).resolve().parent.parent
# The 17 regions every AWS account has enabled by default (no opt-in needed).
REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
]  # fmt: skip
WORKERS = 4
# A Redis database of its own, so no other Celery worker on the same server takes the benchmark's tasks.
BENCH_REDIS_DB = 13
EMULATOR_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench-emulator", "AWS_SECRET_ACCESS_KEY": "bench-emulator"}
RUN_TIMEOUT = 600
# What an AWS API call costs from a worker in the same region, about: the emulator answers in a few ms.
NETWORK_LATENCY = 0.03

Say = Callable[[str], None]


class Emulator:
    """moto's threaded server on a free loopback port. `latency` (seconds) delays every answer, as the network
    between a worker and the AWS endpoints does; 0 answers at once."""

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        self.latency = 0.0
        backends = DomainDispatcherApplication(create_backend_app)

        def delayed(environ: dict, start_response: Callable) -> Any:
            if self.latency:
                time.sleep(self.latency)
            return backends(environ, start_response)

        self.server = make_server("127.0.0.1", 0, delayed, threaded=True, request_handler=MotoRequestHandler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, name="bench-aws-emulator", daemon=True
        )
        self.endpoint = f"http://127.0.0.1:{self.server.server_port}"

    def __enter__(self) -> Emulator:
        # moto loads its catalogue of public AMIs per region on first use: seconds each, and nothing checks them.
        os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
        # One log line per emulated call would cost the emulator more time than the call.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        self.saved = {name: os.environ.get(name) for name in ("AWS_ENDPOINT_URL", *EMULATOR_CREDENTIALS)}
        os.environ.update(AWS_ENDPOINT_URL=self.endpoint, **EMULATOR_CREDENTIALS)
        os.environ.pop("AWS_SESSION_TOKEN", None)
        self.previous_endpoint = settings.AWS_ENDPOINT_URL
        settings.AWS_ENDPOINT_URL = self.endpoint
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        settings.AWS_ENDPOINT_URL = self.previous_endpoint
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.server.shutdown()
        self.thread.join()


@contextmanager
def collected_tasks() -> Iterator[list[int]]:
    """run_start as it is, except that the ids of the tasks it would queue are handed to us instead."""
    task_ids: list[int] = []

    def keep(task_name, arguments, **kwargs):
        task_ids.extend(args[0] for args in arguments)

    with mock.patch.object(services, "enqueue_on_commit", keep):
        yield task_ids


def _finished(run: EvidenceRun) -> EvidenceRun:
    run.refresh_from_db()
    if run.state != RunState.SUCCEEDED:
        raise BenchError(f"evidence run {run.pk} ended {run.state}: {run.error}")
    return run


def sequential(workload: Workload) -> tuple[float, EvidenceRun]:
    started = time.perf_counter()
    with collected_tasks() as task_ids:
        run = services.run_start(workload=workload, actor=None)
    for task_id in task_ids:
        run_task(task_id)
    return time.perf_counter() - started, _finished(run)


Runner = Callable[[Workload], tuple[float, EvidenceRun]]


@contextmanager
def process_pool() -> Iterator[Runner]:
    # Fresh interpreters rather than forks of this one, which runs the emulator's threads.
    with multiprocessing.get_context("spawn").Pool(WORKERS, initializer=pool_side.start) as pool:
        # The processes are up before any clock starts. A process that cannot start is replaced for ever, so
        # every wait has a limit.
        pool.map_async(pool_side.ready, range(WORKERS), chunksize=1).get(timeout=120)

        def collect(workload: Workload) -> tuple[float, EvidenceRun]:
            started = time.perf_counter()
            with collected_tasks() as task_ids:
                run = services.run_start(workload=workload, actor=None)
            pool.map_async(pool_side.run, task_ids, chunksize=1).get(timeout=RUN_TIMEOUT)
            return time.perf_counter() - started, _finished(run)

        yield collect


def _bench_broker(redis_url: str) -> str:
    return urlunsplit(urlsplit(redis_url)._replace(path=f"/{BENCH_REDIS_DB}"))


@contextmanager
def celery_worker(broker: str, endpoint: str) -> Iterator[None]:
    log = ROOT / "bench" / "celery-worker.log"
    env = dict(os.environ) | {"REDIS_URL": broker, "AWS_ENDPOINT_URL": endpoint, **EMULATOR_CREDENTIALS}
    command = [
        sys.executable, "-m", "celery", "-A", "reviewapp", "worker", "--pool=prefork", "-c", str(WORKERS),
        "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "info",
    ]  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while "ready." not in log.read_text():
            if process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"the Celery worker did not start; see {log}")
            time.sleep(0.2)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def publishing_to(broker: str) -> Iterator[None]:
    """This process publishes to the benchmark's Redis database, with eager execution off."""
    import redis

    redis.Redis.from_url(broker).flushdb()
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.update(broker_url=broker, task_always_eager=False)
    app._pool = None
    app.amqp._producer_pool = None
    try:
        yield
    finally:
        app.pool.force_close_all()
        app.conf.update(saved)
        app._pool = None
        app.amqp._producer_pool = None
        redis.Redis.from_url(broker).flushdb()


def _celery_collect(workload: Workload) -> tuple[float, EvidenceRun]:
    started = time.perf_counter()
    run = services.run_start(workload=workload, actor=None)
    deadline = time.monotonic() + RUN_TIMEOUT
    while True:
        run.refresh_from_db()
        if not run.is_active:
            break
        if time.monotonic() > deadline:
            raise BenchError(f"evidence run {run.pk} still {run.state} after {RUN_TIMEOUT} s")
        time.sleep(0.02)
    return time.perf_counter() - started, _finished(run)


@contextmanager
def celery_runner(endpoint: str) -> Iterator[Runner]:
    broker = _bench_broker(settings.REDIS_URL)
    with celery_worker(broker, endpoint), publishing_to(broker):
        yield _celery_collect


def _facts(run: EvidenceRun) -> dict[str, Any]:
    return {"tasks": run.total_tasks, "findings": run.findings.count()}


def collection_figures(*, say: Say) -> list[Figure]:
    checks = all_checks()
    workload = Workload.objects.select_related("team").order_by("created_at", "pk").first()
    owner = workload.team.memberships.get(role="OWNER").user
    common = {"checks": len(checks), "regions": len(REGIONS), "account": DEMO_ACCOUNT}
    latencies = (0.0, NETWORK_LATENCY)
    figures: list[Figure] = []
    with Emulator() as emulator:
        skipped = seed_demo_account(demo_session(DEMO_ACCOUNT, REGIONS[0]), REGIONS)
        if skipped:
            say(f"the emulator did not take these demo resources: {', '.join(skipped)}")
        services.target_create(
            workload=workload, actor=owner, account_id=DEMO_ACCOUNT, role_arn=DEMO_ROLE, regions=REGIONS
        )
        sequential_s = {}
        for latency in latencies:
            emulator.latency = latency
            say(f"collection, sequential: {len(checks)} checks x {len(REGIONS)} regions{_label(latency)}")
            seconds, run = sequential(workload)
            sequential_s[latency] = seconds
            figures.append(
                Figure.of(
                    f"evidence collection, sequential{_label(latency)}",
                    [seconds],
                    extra=common | _facts(run) | {"workers": 1, "added_latency_ms": round(latency * 1000)},
                )
            )
        if settings.REDIS_URL:
            how, runner = f"Celery prefork -c {WORKERS} on Redis", celery_runner(emulator.endpoint)
        else:
            how, runner = f"multiprocessing pool of {WORKERS} (REDIS_URL is not set)", process_pool()
        with runner as collect:
            for latency in latencies:
                emulator.latency = latency
                say(f"collection, parallel: {how}{_label(latency)}")
                seconds, run = collect(workload)
                figures.append(
                    Figure.of(
                        f"evidence collection, {WORKERS} worker processes{_label(latency)}",
                        [seconds],
                        extra=common
                        | _facts(run)
                        | {
                            "workers": WORKERS,
                            "how": how,
                            "added_latency_ms": round(latency * 1000),
                            "speed_up": round(sequential_s[latency] / seconds, 2),
                        },
                    )
                )
    return figures


def _label(latency: float) -> str:
    return f", +{latency * 1000:.0f} ms per AWS call" if latency else ""
