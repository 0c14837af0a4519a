"""`manage.py setup_demo`, the first half of `make run`: the printed hint follows `make run HOST=... PORT=...`."""

from __future__ import annotations

import shutil
import subprocess
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from reviewapp.models import User, Workload

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def test_it_prints_the_address_make_run_serves_and_the_login(lens):
    out = StringIO()
    call_command("setup_demo", url="http://127.0.0.1:8123", stdout=out)
    assert "Open http://127.0.0.1:8123 and sign in with" in out.getvalue()
    assert "username: demo" in out.getvalue()
    assert User.objects.filter(username="demo").exists()
    assert Workload.objects.filter(name="Demo web shop").exists()


@pytest.mark.parametrize(
    ("args", "url", "serve"),
    [
        ([], "http://127.0.0.1:8000", "127.0.0.1:8000"),
        (["PORT=8123"], "http://127.0.0.1:8123", "127.0.0.1:8123"),
        (["HOST=0.0.0.0", "PORT=9000"], "http://127.0.0.1:9000", "0.0.0.0:9000"),
    ],
)
def test_make_run_passes_host_and_port_to_the_server_and_the_hint(args, url, serve):
    make = shutil.which("make")
    assert make, "make is needed to run the README's commands"
    # A dry run (-n): make prints the commands of `run` and executes nothing.
    plan = subprocess.run(  # noqa: S603 - fixed arguments
        [make, "-n", "-s", "run", *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert f"setup_demo --url {url}" in plan
    assert f"demo_evidence --serve {serve}" in plan
