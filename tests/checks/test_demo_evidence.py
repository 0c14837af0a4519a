"""`manage.py demo_evidence` against moto's real server (its HTTP mode), as `make run` uses it."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from moto.server import ThreadedMotoServer

from checks import execution, services
from checks.demo import DEMO_ACCOUNT
from checks.models import AwsTarget, Finding, RunState
from reviewapp.models import User

ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "MOTO_EC2_LOAD_DEFAULT_AMIS",
)


@pytest.fixture
def emulator(settings, monkeypatch):
    # The command points this process at the emulator; the fixtures put everything back afterwards.
    settings.DEBUG = True
    settings.AWS_ENDPOINT_URL = ""
    settings.AWS_APP_PRINCIPAL_ARN = ""
    for name in ENV:
        # setenv first, so that the fixture also removes what the command puts into os.environ.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def demo_workload(workload, owner):
    from reviewapp.services import workload_update

    User.objects.create_user(username="demo", password="x" * 20)
    return workload_update(workload=workload, actor=owner, name="Demo web shop", aws_regions=["eu-west-1"])


@pytest.mark.django_db
def test_it_seeds_the_demo_account_and_a_collection_finds_passes_and_failures(emulator, demo_workload, owner):
    out = StringIO()
    call_command("demo_evidence", "--endpoint", emulator, "--no-serve", stdout=out)
    assert f"Demo AWS account {DEMO_ACCOUNT} is served by {emulator}" in out.getvalue()
    target = AwsTarget.objects.get(workload=demo_workload)
    assert (target.account_id, target.regions) == (DEMO_ACCOUNT, ["eu-west-1"])

    run = services.run_start(workload=demo_workload, actor=owner)
    for task_id in run.tasks.values_list("id", flat=True):
        execution.task_execute(task_id)
    run.refresh_from_db()
    assert run.state == RunState.SUCCEEDED, run.error
    statuses = set(Finding.objects.filter(run=run).values_list("status", flat=True))
    assert {"PASS", "FAIL"} <= statuses and "ERROR" not in statuses
    assert set(Finding.objects.filter(run=run).values_list("account_id", flat=True)) == {DEMO_ACCOUNT}
    # S3 Control carries the account in its host name; against the emulator it must still answer.
    assert Finding.objects.get(run=run, check_id="s3.account_public_access_block").status == "FAIL"
    assert Finding.objects.filter(run=run, check_id="iam.console_users_mfa", status="FAIL").exists()
    assert Finding.objects.filter(run=run, check_id="s3.bucket_default_encryption", status="PASS").exists()

    # Running it again keeps what is there and does not connect the account twice.
    again = StringIO()
    call_command("demo_evidence", "--endpoint", emulator, "--no-serve", stdout=again)
    assert "Kept existing demo resources" in again.getvalue()
    assert AwsTarget.objects.filter(workload=demo_workload).count() == 1


@pytest.mark.django_db
def test_it_needs_the_demo_workload(emulator):
    with pytest.raises(CommandError, match="run `manage.py setup_demo` first"):
        call_command("demo_evidence", "--endpoint", emulator, "--no-serve")


@pytest.mark.django_db
def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=1"):
        call_command("demo_evidence", "--no-serve")


@pytest.mark.django_db
def test_without_moto_it_says_what_to_install(demo_workload, settings, monkeypatch):
    import sys

    settings.DEBUG = True
    # A None entry in sys.modules makes `import moto.server` raise ImportError, as in the production image.
    monkeypatch.setitem(sys.modules, "moto.server", None)
    with pytest.raises(CommandError, match=r"pip install 'wa-security-reviews\[demo\]'"):
        call_command("demo_evidence", "--no-serve")
    assert not AwsTarget.objects.exists()
