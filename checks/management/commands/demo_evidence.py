"""`manage.py demo_evidence`: try evidence collection without an AWS account.

Starts moto's server on a free loopback port inside this process, seeds a demo account with resources that
pass and fail the checks, connects the demo workload (from `setup_demo`) to it, and then runs the development
server in the same process, so "Collect evidence" on the demo workload works from `make run` alone.

With --endpoint it seeds an emulator you run yourself (`moto_server -H 127.0.0.1 -p 5000`) instead; start the
web server and any Celery workers with AWS_ENDPOINT_URL pointing at it and any dummy AWS_ACCESS_KEY_ID /
AWS_SECRET_ACCESS_KEY.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from checks.demo import DEMO_ACCOUNT, DEMO_ROLE, demo_session, seed_demo_account
from checks.models import AwsTarget
from checks.services import target_create
from reviewapp.models import User, Workload

DEMO_WORKLOAD = "Demo web shop"
MOTO_MISSING = (
    "demo_evidence runs moto, the demo's AWS emulator, which is not installed here (production images leave it "
    "out). Install it with: pip install 'wa-security-reviews[demo]' (make run and make install do)."
)
# moto accepts any credentials; these live only in this process's environment, never in a file or the DB.
EMULATOR_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "demo-emulator",
    "AWS_SECRET_ACCESS_KEY": "demo-emulator",  # noqa: S105  # nosec B105
}


class Command(BaseCommand):
    help = (
        "Run a local AWS emulator with a seeded demo account, connect the demo workload, and serve the app."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--endpoint", help="Seed this already running emulator instead of starting one.")
        parser.add_argument(
            "--serve", default="127.0.0.1:8000", metavar="ADDRPORT", help="Run the development server here."
        )
        parser.add_argument(
            "--no-serve",
            action="store_true",
            help="Only seed and connect; keep the emulator running until interrupted (--endpoint: exit).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_evidence points the app at a local AWS emulator: run it with DEBUG=1 only."
            )
        workload = Workload.objects.filter(name__iexact=DEMO_WORKLOAD).select_related("team").first()
        if workload is None:
            raise CommandError("There is no demo workload yet: run `manage.py setup_demo` first.")
        server = None
        endpoint = options["endpoint"]
        if not endpoint:
            server, endpoint = self._start_emulator()
        self._use_emulator(endpoint)
        regions = workload.aws_regions or ["eu-west-1"]
        try:
            skipped = seed_demo_account(demo_session(DEMO_ACCOUNT, regions[0]), regions)
        except Exception as exc:
            raise CommandError(f"Could not seed the demo account at {endpoint}: {exc}") from exc
        if skipped:
            self.stdout.write(f"Kept existing demo resources for: {', '.join(skipped)}.")
        self._connect(workload, regions)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo AWS account {DEMO_ACCOUNT} is served by {endpoint} and connected to “{workload.name}”."
            )
        )
        if options["no_serve"]:
            if server is not None:
                self.stdout.write("The emulator runs until you press Ctrl-C. In other shells, set:")
                self.stdout.write(f"  export AWS_ENDPOINT_URL={endpoint} AWS_ACCESS_KEY_ID=demo-emulator "
                                  "AWS_SECRET_ACCESS_KEY=demo-emulator")  # fmt: skip
                self._wait_for_interrupt()
            return
        self.stdout.write("Open the demo workload's Evidence page and press “Collect evidence”.")
        call_command("runserver", options["serve"], use_reloader=False)

    def _start_emulator(self) -> tuple[Any, str]:
        # Imported here: moto is the demo's emulator, in the `demo` extra, and not installed in production.
        try:
            from moto.server import ThreadedMotoServer
        except ImportError as exc:
            raise CommandError(MOTO_MISSING) from exc

        # moto's catalogue of public AMIs (and their snapshots, which it reports as the account's own) takes
        # seconds to load per region and would flood the demo with findings about snapshots nobody made.
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        # One log line per emulated AWS call drowns the development server's own log.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        # Port 0: the operating system picks a free port, so two developers or a test run never collide.
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        return server, f"http://{host}:{port}"

    def _use_emulator(self, endpoint: str) -> None:
        settings.AWS_ENDPOINT_URL = endpoint
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        for name, value in EMULATOR_CREDENTIALS.items():
            os.environ.setdefault(name, value)
        os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
        if not settings.AWS_APP_PRINCIPAL_ARN:
            settings.AWS_APP_PRINCIPAL_ARN = "arn:aws:iam::123456789012:role/wa-security-reviews-demo"

    def _connect(self, workload: Workload, regions: list[str]) -> None:
        if AwsTarget.objects.filter(workload=workload, account_id=DEMO_ACCOUNT).exists():
            return
        actor = User.objects.filter(username="demo").first()
        if actor is None:
            raise CommandError("There is no demo user yet: run `manage.py setup_demo` first.")
        try:
            target_create(
                workload=workload, actor=actor, account_id=DEMO_ACCOUNT, role_arn=DEMO_ROLE, regions=regions,
                label="Demo account (local emulator)",
            )  # fmt: skip
        except ValidationError as exc:
            raise CommandError(f"Could not connect the demo account: {' '.join(exc.messages)}") from exc

    def _wait_for_interrupt(self) -> None:
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
