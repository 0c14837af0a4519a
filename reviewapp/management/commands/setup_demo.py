"""First-run setup for `make run`: migrate, load the lens, and a demo user with a demo workload and review."""

from __future__ import annotations

import secrets

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

from reviewapp.models import Team, User, Workload
from reviewapp.services import review_start, team_create, workload_create

DEMO_USERNAME = "demo"


class Command(BaseCommand):
    help = "Prepare the embedded default: migrate, load lenses, create the demo user and workload, print the login."

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000",
            help="Where the app will be served, for the printed hint (make run passes its HOST and PORT).",
        )

    def handle(self, *args, **options):
        call_command("migrate", verbosity=0, interactive=False)
        call_command("load_lens", verbosity=0, stdout=self.stdout)
        with transaction.atomic():
            password = self._demo_user()
            user = User.objects.get(username=DEMO_USERNAME)
            team = Team.objects.filter(name__iexact="Demo team").first() or team_create(
                name="Demo team", actor=user
            )
            workload = Workload.objects.filter(team=team, name__iexact="Demo web shop").first()
            if workload is None:
                workload = workload_create(
                    team=team,
                    actor=user,
                    name="Demo web shop",
                    description="A sample three-tier web shop on AWS, to try a review on.",
                    environment="PRODUCTION",
                    review_owner="demo@example.test",
                    aws_regions=["eu-west-1", "us-east-1"],
                    account_ids=["123456789012"],
                    industry="Retail and wholesale",
                )
            if not workload.reviews.exists():
                review_start(workload=workload, actor=user)
        self.stdout.write("")
        self.stdout.write(f"  Open {options['url']} and sign in with")
        self.stdout.write(f"    username: {DEMO_USERNAME}")
        self.stdout.write(f"    password: {password}")
        self.stdout.write("")

    def _demo_user(self) -> str:
        """A fresh random password each run: printed for the person at the terminal, stored only as a hash."""
        password = f"demo-{secrets.token_urlsafe(9)}"
        user = User.objects.filter(username=DEMO_USERNAME).first()
        if user is None:
            # An architect who owns the demo team: the role most users of the product have.
            user = User(
                username=DEMO_USERNAME, email="demo@example.test", first_name="Demo", last_name="Architect"
            )
        user.set_password(password)
        user.save()
        return password
