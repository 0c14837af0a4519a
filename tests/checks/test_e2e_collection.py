"""End to end against real services: a Celery worker process on Redis, PostgreSQL, and moto's server as the
AWS endpoint with two accounts. A collection finds both accounts' resources without mixing them up; a worker
killed mid-run (SIGKILL) leaves a run the reaper fails, after which a new run succeeds.

Needs DATABASE_URL (PostgreSQL) and REDIS_URL; skipped otherwise (failed when REQUIRE_SERVICES=1).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
import redis
from django.core.management import call_command
from django.db import connection
from moto.server import ThreadedMotoServer

from checks import services
from checks.demo import demo_session, seed_demo_account
from checks.models import EvidenceRun, Finding, RunState, TaskState
from checks.selectors import Verdict, evidence_by_bp, suggested_practices
from questionnaire.models import Question
from reviewapp.celery import app

pytestmark = pytest.mark.services

ROOT = Path(__file__).resolve().parents[2]
FIRST, SECOND = "111111111111", "222222222222"
REGIONS = ["eu-west-1", "us-east-1", "eu-central-1"]
# A queue of its own: no other worker on the same Redis (another test run, a developer's) takes our messages.
QUEUE = f"e2e-evidence-{uuid.uuid4().hex[:12]}"


def _database_url() -> str:
    """The test database pytest-django created (test_<name>), for the worker process."""
    s = connection.settings_dict
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    return f"postgres://{s['USER']}:{s['PASSWORD'] or ''}@{host}/{s['NAME']}"


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [sys.executable, "-m", "celery", "-A", "reviewapp", "worker", "--pool=prefork", "-c", "2",
             "-Q", QUEUE, "-n", f"{QUEUE}@%h", "--without-gossip", "--without-mingle", "-l", "info"],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: SIGKILL reaches the pool processes too
        )  # fmt: skip
        deadline = time.monotonic() + 60
        try:
            while "ready." not in log.read_text():
                assert self.process.poll() is None, f"the worker exited:\n{log.read_text()}"
                assert time.monotonic() < deadline, f"the worker did not start:\n{log.read_text()}"
                time.sleep(0.2)
        except BaseException:
            self.stop()  # never leave a worker behind
            raise

    def kill(self) -> None:
        """What a crashed machine or the OOM killer does: no warm shutdown, no acknowledgements."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def _route(routes: dict) -> None:
    app.conf.task_routes = routes
    app.amqp.flush_routes()
    app.amqp.__dict__.pop("router", None)  # Celery caches the router made from the previous routes


@pytest.fixture
def broker(redis_url, monkeypatch) -> Iterator[str]:
    monkeypatch.setitem(app.conf, "broker_url", redis_url)
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setitem(app.conf, "task_default_queue", QUEUE)
    # Collection tasks are routed to the evidence queue; here to this test's own queue.
    routes = app.conf.task_routes
    _route(dict(routes, **{"checks.tasks.run_task": {"queue": QUEUE}}))
    # Publish through a pool connected to this broker, not one made earlier for another URL.
    app._pool = None
    app.amqp._producer_pool = None
    yield redis_url
    _route(routes)
    app.pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    redis.Redis.from_url(redis_url).delete(QUEUE)


@pytest.fixture
def emulator(settings, monkeypatch) -> Iterator[str]:
    # moto's public AMI catalogue is slow to load per region and would add thousands of snapshot findings.
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    settings.AWS_ENDPOINT_URL = endpoint
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "e2e-emulator")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "e2e-emulator")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    yield endpoint
    server.stop()


@pytest.fixture
def worker_env(broker, emulator) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST"))}
    return env | {
        "DATABASE_URL": _database_url(),
        "REDIS_URL": broker,
        "AWS_ENDPOINT_URL": emulator,
        "AWS_ACCESS_KEY_ID": "e2e-emulator",
        "AWS_SECRET_ACCESS_KEY": "e2e-emulator",
        "SECRET_KEY": "e2e-only-insecure-key",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        "LOG_LEVEL": "INFO",
    }


def _wait(run: EvidenceRun, until, timeout: float = 120) -> EvidenceRun:
    deadline = time.monotonic() + timeout
    while True:
        run.refresh_from_db()
        if until(run):
            return run
        assert time.monotonic() < deadline, f"run stuck at {run.state} {run.done_tasks}/{run.total_tasks}"
        time.sleep(0.05)


@pytest.mark.django_db(transaction=True)
def test_two_accounts_a_killed_worker_the_reaper_and_a_clean_rerun(
    postgres, transactional_db, worker_env, owner, workload, tmp_path, settings
):
    # Transactional tests start from the flushed database: put the catalogue back, as the review needs it.
    call_command("load_lens", verbosity=0, stdout=StringIO())
    from reviewapp.services import review_start

    review = review_start(workload=workload, actor=owner)
    seed_demo_account(demo_session(FIRST, REGIONS[0]), REGIONS[:1])
    demo_session(SECOND, REGIONS[0]).client("s3", REGIONS[0]).create_bucket(
        Bucket="second-account-only", CreateBucketConfiguration={"LocationConstraint": REGIONS[0]}
    )
    for account in (FIRST, SECOND):
        services.target_create(
            workload=workload,
            actor=owner,
            account_id=account,
            role_arn=f"arn:aws:iam::{account}:role/WellArchitectedEvidence",
            regions=REGIONS,
        )

    # 1. Kill the worker in the middle of a run.
    worker = Worker(worker_env, tmp_path / "worker-1.log")
    try:
        doomed = services.run_start(workload=workload, actor=owner)
        # Mid-task: a task is claimed (RUNNING) when the worker dies.
        _wait(doomed, lambda run: run.done_tasks >= 2 and run.tasks.filter(state=TaskState.RUNNING).exists())
        worker.kill()
    finally:
        worker.stop()
    doomed.refresh_from_db()
    assert doomed.state == RunState.RUNNING and doomed.done_tasks < doomed.total_tasks

    # 2. The reaper (beat runs it every 30 s) fails it within two minutes of the kill, in real time.
    killed_at = time.monotonic()
    while services.runs_reap() != [doomed.pk]:
        assert time.monotonic() - killed_at < 120, "the dead worker's run was not reaped within 2 minutes"
        time.sleep(1)
    doomed.refresh_from_db()
    assert doomed.state == RunState.FAILED and "Worker lost" in doomed.error
    assert not doomed.tasks.filter(state__in=[TaskState.QUEUED, TaskState.RUNNING]).exists()

    # 3. A new worker drains the dead run's leftover messages harmlessly and completes a new run.
    worker = Worker(worker_env, tmp_path / "worker-2.log")
    try:
        started = time.monotonic()
        run = services.run_start(workload=workload, actor=owner)
        _wait(run, lambda run: not run.is_active)
        elapsed = time.monotonic() - started
    finally:
        worker.stop()
    assert run.state == RunState.SUCCEEDED, (run.error, (tmp_path / "worker-2.log").read_text()[-3000:])
    # Global units: identity, detection, network, data, transit, org; regional: every group but identity.
    assert run.done_tasks == run.total_tasks == 2 * (6 + 6 * len(REGIONS))
    doomed.refresh_from_db()
    assert doomed.state == RunState.FAILED  # its late messages changed nothing

    findings = Finding.objects.filter(run=run)
    assert set(findings.values_list("account_id", flat=True)) == {FIRST, SECOND}
    for task in run.tasks.all():
        assert set(task.findings.values_list("account_id", flat=True)) == {task.account_id}
    assert set(
        findings.filter(resource_arn="arn:aws:s3:::second-account-only").values_list("account_id", flat=True)
    ) == {SECOND}
    assert findings.filter(account_id=FIRST, check_id="iam.console_users_mfa", status="FAIL").exists()
    assert not findings.filter(account_id=SECOND, check_id="iam.console_users_mfa", status="FAIL").exists()

    # 4. The review sees the evidence as suggestions; applying them answers nothing by itself.
    evidence = evidence_by_bp(workload)
    question = Question.objects.get(lens_version=review.lens_version, code="SEC2")
    suggested = suggested_practices(review, question).codes
    assert suggested and all(evidence[code].verdict == Verdict.SUPPORTS for code in suggested)
    assert review.answers.get(question=question).selected == []
    print(f"\nsecond run: {run.total_tasks} tasks, 2 accounts x {len(REGIONS)} regions, {elapsed:.1f}s wall")
