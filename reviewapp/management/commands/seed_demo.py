"""Demo data at scale: teams with members, and workloads with fully answered reviews, plans and milestones.

`manage.py seed_demo --workloads 1000 [--teams 50] [--seed 1] [--password ...]` is where the benchmarks
(bench/) and anyone trying the dashboard with many workloads start. Rows are written in bulk, so a thousand
workloads take seconds, but everything the services would derive is derived by the same functions:

- every Answer.risk is `risk.question_risk` of `services.answers.answer_state`, as `answer_record` stores it;
- each review is answered in three rounds (a first review, a follow-up, today), and after every round each
  question's improvement items move exactly as `services.answers.items_sync` moves them (created OPEN,
  resolved as DONE when adopted, withdrawn when not applicable, reopened when dropped again);
- the first two rounds are frozen as milestones: `snapshot_of` (the milestone service's snapshot_from_rows) builds,
  from the rows in memory, exactly what
  `services.milestones.review_snapshot` would read back (a test holds the two equal), hashed with
  `snapshot_sha256` and `snapshot_fingerprint` as `milestone_create` does.

It only ever adds: a second run adds new teams numbered after the earlier ones. One audit entry records it.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models.fields import AutoFieldMixin
from django.utils import timezone
from psycopg.types.json import Jsonb

from questionnaire.models import Lens, LensVersion, Question
from questionnaire.rating import Level, QuestionSpec, Risk
from reviewapp.audit import audit_record
from reviewapp.models import (
    Answer,
    Environment,
    ImprovementItem,
    ItemStatus,
    Membership,
    Milestone,
    NotApplicableReason,
    Review,
    Role,
    Team,
    User,
    Workload,
)
from reviewapp.risk import AnswerState, answer_state, missing_choices, question_risk
from reviewapp.services.answers import item_placement

# Snapshots are built by the milestone service from the rows seeded in memory, so the format has one home.
from reviewapp.services.milestones import catalogue_practices, snapshot_fingerprint, snapshot_sha256
from reviewapp.services.milestones import snapshot_from_rows as snapshot_of
from reviewapp.specs import version_specs

BATCH = 2000
CHUNK = 1000
TEAM_NAME = re.compile(r"^Demo (?:\w+ )+(\d{4})$")
# Contributors besides the owner and one viewer: who answers questions and owns items.
CONTRIBUTORS_PER_TEAM = 2

DOMAINS = (
    "Payments", "Identity", "Search", "Logistics", "Analytics", "Mobile", "Platform", "Billing",
    "Catalogue", "Messaging", "Risk", "Support",
)  # fmt: skip
SERVICES = (
    "Checkout API", "Order history", "Customer portal", "Data lake", "Event bus", "Fraud scoring",
    "Image resizer", "Invoice generator", "Login service", "Notification hub", "Partner gateway",
    "Price engine", "Recommendation model", "Reporting warehouse", "Search index", "Session store",
    "Shipping tracker", "Stock sync", "Support chat", "Tax calculator", "Ticketing", "Video transcoder",
    "Web shop", "Loyalty points", "Document archive", "Feature flags", "Audit export", "Mobile backend",
)  # fmt: skip
FIRST_NAMES = ("Ada", "Ben", "Chloe", "Dev", "Eli", "Fatima", "Gus", "Hana", "Ivo", "Jun", "Kemi", "Lars")
LAST_NAMES = ("Okafor", "Novak", "Silva", "Tanaka", "Berg", "Haddad", "Moreau", "Kowalski", "Reyes", "Lund")
REGIONS = ("eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2", "eu-north-1")
NOTES = (
    "Checked with the platform team; evidence is in the wiki page for this workload.",
    "Partly done: production accounts only, the sandbox accounts follow next quarter.",
    "Handled by the shared landing zone, which this workload inherits.",
    "Agreed in the architecture review; tickets are linked from the plan.",
)
JUSTIFICATIONS = (
    "Compensating control: the workload sits behind the shared inspection layer.",
    "Decommissioned within the year; the replacement is designed with this in place.",
    "Low data sensitivity; reviewed and accepted by the risk committee.",
)
# How much likelier a best practice of each level is adopted: teams fix high-risk gaps first.
LEVEL_BONUS = {Level.HIGH: 0.08, Level.MEDIUM: 0.0, Level.LOW: -0.12, None: 0.0}
ROUNDS = (("First review", 130), ("Follow-up review", 45), ("", 0))  # (milestone name, days ago)


@dataclass
class _Team:
    team: Team
    owner: User
    contributors: list[User]


@dataclass
class _Question:
    """A question's fixed draws: which choices do not apply, and how ready each choice is to be adopted."""

    question: Question
    spec: QuestionSpec
    not_applicable_reason: str
    choices_na: dict[str, str]
    readiness: dict[str, float]
    notes: str


@dataclass
class _Workload:
    workload: Workload
    review: Review
    team: _Team
    maturity: tuple[float, float, float]
    questions: list[_Question]
    answers: dict[int, Answer] = field(default_factory=dict)
    items: dict[str, ImprovementItem] = field(default_factory=dict)


def copy_insert(model: type[models.Model], rows: Iterable[models.Model], *, now: datetime) -> None:
    """Write unsaved `rows` with PostgreSQL's COPY (bulk_create elsewhere), as they are in memory.

    The big tables go this way: bulk_create sends each column as an escaped text array, which for tens of
    thousands of JSON answers and snapshots costs most of a 10,000-workload seed. Timestamps Django fills in
    on save are `now` unless a row has its own.
    """
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(rows, batch_size=BATCH)
        return
    columns = [column for column in model._meta.concrete_fields if not isinstance(column, AutoFieldMixin)]
    names = [column.attname for column in columns]
    stamped = {
        c.attname for c in columns if getattr(c, "auto_now", False) or getattr(c, "auto_now_add", False)
    }
    # JSON goes as jsonb; every other value here (text, numbers, booleans, UUIDs, dates) psycopg writes as is.
    json = {column.attname for column in columns if isinstance(column, models.JSONField)}

    def values(row: models.Model) -> list[Any]:
        prepared = []
        for name in names:
            value = getattr(row, name)
            if value is None and name in stamped:
                value = now
            prepared.append(Jsonb(value) if name in json and value is not None else value)
        return prepared

    quote = connection.ops.quote_name
    # Names from the model's own metadata, quoted: nothing here comes from input.
    table, fields = quote(model._meta.db_table), ", ".join(quote(column.column) for column in columns)
    statement = f"COPY {table} ({fields}) FROM STDIN"
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(values(row))


class Command(BaseCommand):
    help = "Add demo teams, users and workloads with answered reviews, improvement plans and milestones."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workloads", type=int, required=True, help="how many workloads to add")
        parser.add_argument("--teams", type=int, help="how many teams to share them (default: one per 20)")
        parser.add_argument("--seed", type=int, default=1, help="random seed, for the same data every time")
        parser.add_argument("--password", help="password of every user created (default: a random one)")

    def handle(
        self, *args: Any, workloads: int, teams: int | None, seed: int, password: str | None, **options
    ):
        if not 1 <= workloads <= 100_000:
            raise CommandError("--workloads must be between 1 and 100,000.")
        teams = teams if teams is not None else max(1, (workloads + 19) // 20)
        if not 1 <= teams <= workloads:
            raise CommandError("--teams must be between 1 and the number of workloads.")
        lens = Lens.objects.filter(slug=settings.DEFAULT_LENS_SLUG).first()
        version = lens.current_version() if lens else None
        if lens is None or version is None:
            raise CommandError("The built-in lens is not loaded: run `manage.py load_lens` first.")
        password = password or f"demo-{secrets.token_urlsafe(9)}"
        started = time.perf_counter()
        # Demo data, not secrets: a seeded generator makes the same data every time.
        rng = random.Random(seed)  # noqa: S311  # nosec B311
        password_hash = make_password(password)
        counts: Counter[str] = Counter()
        with transaction.atomic():
            # A chunk of workloads is played out in memory and written at once; chunks bound the memory used.
            for start in range(0, workloads, CHUNK):
                size = min(CHUNK, workloads - start)
                chunk_teams = max(1, round(teams * size / workloads))
                counts.update(Seeder(rng, lens, version, password_hash).run(size, chunk_teams))
            audit_record(actor=None, action="demo.seed", object_type="Demo", after=dict(counts))
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"Added {counts['teams']} teams, {counts['users']} users, {counts['workloads']} workloads with "
            f"answered reviews, {counts['items']} improvement items and {counts['milestones']} milestones "
            f"in {elapsed:.1f} s."
        )
        self.stdout.write(f"Every user created signs in with the password: {password}")


class Seeder:
    def __init__(self, rng: random.Random, lens: Lens, version: LensVersion, password_hash: str) -> None:
        self.rng = rng
        self.lens = lens
        self.version = version
        self.password_hash = password_hash
        self.specs = version_specs(version.pk)
        self.questions = list(Question.objects.filter(lens_version=version).order_by("order"))
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.counts = {"teams": 0, "users": 0, "workloads": 0, "items": 0, "milestones": 0}

    def run(self, workload_count: int, team_count: int) -> dict[str, int]:
        org_people = self._org_people()
        teams = self._teams(team_count)
        seeded = self._workloads(workload_count, teams)
        practices = catalogue_practices(self.version)
        milestones: list[tuple[datetime, list[Milestone]]] = []
        # The rounds play out in memory and each row is written once, in its final state: updating tens of
        # thousands of rows twice over costs minutes, inserting them costs seconds.
        for number, (name, days_ago) in enumerate(ROUNDS):
            for entry in seeded:
                self._answer_round(entry, number)
            self._track_items(seeded, org_people)
            if name:
                created_at = self.now - timedelta(days=days_ago)
                milestones.append(
                    (created_at, [self._milestone(entry, practices, name, created_at) for entry in seeded])
                )
        for entry in seeded:
            self._place_items(entry)
        copy_insert(Answer, (answer for entry in seeded for answer in entry.answers.values()), now=self.now)
        copy_insert(
            ImprovementItem, (item for entry in seeded for item in entry.items.values()), now=self.now
        )
        for created_at, rows in milestones:
            for row in rows:
                # The row's timestamp is the one inside its hashed snapshot (auto_now_add would say "now").
                row.created_at = created_at
            copy_insert(Milestone, rows, now=self.now)
            self.counts["milestones"] += len(rows)
        self.counts["items"] = sum(len(entry.items) for entry in seeded)
        return self.counts

    # --- People and teams ---------------------------------------------------------------------------------

    def _user(self, username: str, **extra: Any) -> User:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        return User(
            username=username,
            password=self.password_hash,
            email=f"{username}@example.test",
            first_name=first,
            last_name=last,
            **extra,
        )

    def _org_people(self) -> list[User]:
        """A security lead and an administrator, shared by every run (created once, never changed)."""
        people = []
        for username, role in (("demo-lead", User.OrgRole.SECURITY_LEAD), ("demo-admin", User.OrgRole.ADMIN)):
            user = User.objects.filter(username=username).first()
            if user is None:
                user = self._user(username, org_role=role)
                user.save()
                self.counts["users"] += 1
            people.append(user)
        return people

    def _teams(self, count: int) -> list[_Team]:
        numbers = [
            int(match[1])
            for name in Team.objects.values_list("name", flat=True)
            if (match := TEAM_NAME.match(name))
        ]
        first = max(numbers, default=0) + 1
        if first + count - 1 > 9999:
            raise CommandError("Demo team numbers run out at 9999: seed a fresh database.")
        teams, users, memberships, result = [], [], [], []
        for number in range(first, first + count):
            team = Team(name=f"Demo {DOMAINS[number % len(DOMAINS)]} {number:04d}")
            owner = self._user(f"demo{number:04d}-owner")
            contributors = [
                self._user(f"demo{number:04d}-dev{k}") for k in range(1, CONTRIBUTORS_PER_TEAM + 1)
            ]
            viewer = self._user(f"demo{number:04d}-viewer")
            teams.append(team)
            users += [owner, *contributors, viewer]
            memberships += [
                Membership(team=team, user=owner, role=Role.OWNER),
                *(Membership(team=team, user=user, role=Role.CONTRIBUTOR) for user in contributors),
                Membership(team=team, user=viewer, role=Role.VIEWER),
            ]
            result.append(_Team(team, owner, contributors))
        taken = User.objects.filter(username__in=[user.username for user in users]).values_list(
            "username", flat=True
        )
        if taken:
            raise CommandError(f"Users such as {sorted(taken)[0]!r} already exist: seed a fresh database.")
        Team.objects.bulk_create(teams, batch_size=BATCH)
        User.objects.bulk_create(users, batch_size=BATCH)
        Membership.objects.bulk_create(memberships, batch_size=BATCH)
        self.counts["teams"] += len(teams)
        self.counts["users"] += len(users)
        return result

    # --- Workloads and their fixed draws ------------------------------------------------------------------

    def _workloads(self, count: int, teams: list[_Team]) -> list[_Workload]:
        rng = self.rng
        used: dict[Any, set[str]] = {}
        seeded = []
        for index in range(count):
            team = teams[index % len(teams)]
            names = used.setdefault(team.team.pk, set())
            name = SERVICES[index // len(teams) % len(SERVICES)]
            if name in names:
                name = f"{name} {len(names) + 1}"
            names.add(name)
            workload = Workload(
                team=team.team,
                name=name,
                description=f"{name} of the {team.team.name} team (demo data).",
                environment=rng.choice(
                    [Environment.PRODUCTION, Environment.PRODUCTION, Environment.PREPRODUCTION]
                ),
                review_owner=team.owner.email,
                aws_regions=sorted(rng.sample(REGIONS, rng.randint(1, 3))),
                account_ids=[f"{rng.randrange(10**11, 10**12):012d}" for _ in range(rng.randint(1, 3))],
                industry=rng.choice(["Retail and wholesale", "Financial services", "Software and internet"]),
                tags={"cost-centre": f"CC-{rng.randint(1000, 9999)}", "owner-team": team.team.name[:60]},
                created_by=team.owner,
            )
            review = Review(
                workload=workload, lens=self.lens, lens_version=self.version, created_by=team.owner
            )
            # Where the team stands today, and a little and a lot less mature at the two earlier reviews.
            final = rng.uniform(0.3, 0.97)
            middle = final - rng.uniform(0.03, 0.2)
            seeded.append(
                _Workload(
                    workload=workload,
                    review=review,
                    team=team,
                    maturity=(middle - rng.uniform(0.05, 0.3), middle, final),
                    questions=[self._draws(question) for question in self.questions],
                )
            )
        Workload.objects.bulk_create([entry.workload for entry in seeded], batch_size=BATCH)
        Review.objects.bulk_create([entry.review for entry in seeded], batch_size=BATCH)
        self.counts["workloads"] += len(seeded)
        return seeded

    def _draws(self, question: Question) -> _Question:
        rng = self.rng
        reasons = NotApplicableReason.values
        spec = self.specs.by_question_id[question.pk]
        return _Question(
            question=question,
            spec=spec,
            not_applicable_reason=rng.choice(reasons) if rng.random() < 0.02 else "",
            choices_na={choice.code: rng.choice(reasons) for choice in spec.choices if rng.random() < 0.03},
            readiness={choice.code: rng.random() - LEVEL_BONUS[choice.level] for choice in spec.choices},
            notes=rng.choice(NOTES) if rng.random() < 0.25 else "",
        )

    # --- Answering rounds ---------------------------------------------------------------------------------

    def _answer_round(self, entry: _Workload, number: int) -> None:
        """The review as the team answers it in round `number`, items moved along as items_sync moves them."""
        maturity = entry.maturity[number]
        for draws in entry.questions:
            answer = entry.answers.get(draws.question.pk)
            if answer is None:
                # As review_start leaves it (version 1, unanswered); this round's save makes it version 2.
                answer = Answer(review=entry.review, question=draws.question, version=1)
                entry.answers[draws.question.pk] = answer
            elif not self._answer_changes(answer, draws, maturity, number):
                continue
            state = self._answer(answer, draws, maturity, number, entry.team)
            self._sync_items(entry, draws.spec, state)

    @staticmethod
    def _selected(draws: _Question, maturity: float) -> list[str]:
        if draws.not_applicable_reason:
            return []  # a question that does not apply has nothing selected (services.answers refuses it)
        return [
            choice.code
            for choice in draws.spec.choices
            if choice.code not in draws.choices_na and draws.readiness[choice.code] < maturity
        ]

    @staticmethod
    def _notes(draws: _Question, number: int) -> str:
        # Notes come with the follow-up: the first review only ticks boxes.
        return draws.notes if number > 0 else ""

    def _answer_changes(self, answer: Answer, draws: _Question, maturity: float, number: int) -> bool:
        return answer.selected != self._selected(draws, maturity) or answer.notes != self._notes(
            draws, number
        )

    def _answer(
        self, answer: Answer, draws: _Question, maturity: float, number: int, team: _Team
    ) -> AnswerState:
        """Fill in `answer` for this round and store its risk the way answer_record does."""
        codes = [choice.code for choice in draws.spec.choices]
        answer.selected = self._selected(draws, maturity)
        # Answered in full: a question with nothing adopted says so with "None of these".
        answer.none_of_these = (
            not answer.selected
            and not draws.not_applicable_reason
            and not set(codes) <= set(draws.choices_na)
        )
        answer.is_applicable = not draws.not_applicable_reason
        answer.reason = draws.not_applicable_reason
        answer.choices_not_applicable = {
            code: draws.choices_na[code] for code in codes if code in draws.choices_na
        }
        answer.notes = self._notes(draws, number)
        answer.version += 1
        answer.updated_by = self.rng.choice([team.owner, *team.contributors])
        state = answer_state(answer, codes)
        answer.risk = question_risk(draws.spec, state)
        return state

    def _sync_items(self, entry: _Workload, spec: QuestionSpec, state: AnswerState) -> None:
        """What services.answers.items_sync does to one question's items, on the rows held in memory."""
        missing = {choice.code for choice in missing_choices(spec, state)}
        for choice in spec.choices:
            code = choice.code
            item = entry.items.get(code)
            if code in missing:
                if item is None:
                    entry.items[code] = ImprovementItem(workload=entry.workload, lens=self.lens, bp_code=code)
                elif not item.is_active or item.status == ItemStatus.DONE:
                    item.is_active = True
                    if item.status == ItemStatus.DONE:
                        item.status = ItemStatus.OPEN
            elif item is not None and item.is_active:
                item.is_active = False
                if code in state.selected and state.answered and not state.question_not_applicable:
                    item.status = ItemStatus.DONE

    def _place_items(self, entry: _Workload) -> None:
        """The placement items_sync stores on each item, from its question's final risk."""
        specs = version_specs(entry.review.lens_version_id)
        for code, item in entry.items.items():
            answer = entry.answers.get(specs.bp_index[code][0])
            risk = answer.risk if answer else Risk.UNANSWERED
            for name, value in item_placement(specs, code, risk).items():
                setattr(item, name, value)

    # --- Tracking the plan --------------------------------------------------------------------------------

    def _track_items(self, seeded: list[_Workload], org_people: list[User]) -> None:
        """Owners, due dates, work in progress and a few accepted risks on items that are on the plan."""
        rng = self.rng
        for entry in seeded:
            for item in entry.items.values():
                if not item.is_active or item.status not in (ItemStatus.OPEN, ItemStatus.IN_PROGRESS):
                    continue
                roll = rng.random()
                if item.owner_id is None and roll < 0.5:
                    item.owner = rng.choice([entry.team.owner, *entry.team.contributors])
                    # Mostly ahead of today, some already overdue.
                    item.due_date = (
                        self.today + timedelta(days=rng.randint(-30, 150)) if rng.random() < 0.7 else None
                    )
                    item.ticket_url = f"https://tickets.example.test/SEC-{rng.randint(100, 99999)}"
                elif item.owner_id is not None and item.status == ItemStatus.OPEN and roll < 0.35:
                    item.status = ItemStatus.IN_PROGRESS
                elif roll > 0.97:
                    item.status = ItemStatus.RISK_ACCEPTED
                    item.acceptance_justification = rng.choice(JUSTIFICATIONS)
                    # Valid today (an expired one would have been reopened); some expire soon.
                    item.acceptance_expires_on = self.today + timedelta(days=rng.randint(3, 300))
                    item.accepted_by = rng.choice([entry.team.owner, org_people[0]])

    # --- Milestones ---------------------------------------------------------------------------------------

    def _milestone(
        self, entry: _Workload, practices: dict[int, list[dict[str, str]]], name: str, created_at: datetime
    ) -> Milestone:
        answers = [entry.answers[draws.question.pk] for draws in entry.questions]
        snapshot = snapshot_of(entry.review, answers, list(entry.items.values()), practices, name, created_at)
        return Milestone(
            workload=entry.workload,
            review=entry.review,
            lens_version=self.version,
            name=name,
            snapshot=snapshot,
            sha256=snapshot_sha256(snapshot),
            **snapshot_fingerprint(snapshot),
            created_by=entry.team.owner,
        )
