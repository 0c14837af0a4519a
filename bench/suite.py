"""The run itself: seed, measure each figure in turn, and judge the figures against the issue's targets."""

from __future__ import annotations

import argparse
import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyotp
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from django.urls import reverse

from reviewapp.identity import totp
from reviewapp.models import Membership, MfaDevice, Role, User
from reviewapp.services import mfa_enrol

from .figures import Figure, Target
from .pages import (
    AnswerToggler,
    Paired,
    bare_figure,
    bare_queries,
    measure,
    page_figure,
    page_request,
    pick_toggle,
    signed_in,
)

ROOT = Path(__file__).resolve().parent.parent
QUESTION_RATIO = 3.0
SAVE_RATIO = 3.0
DASHBOARD_MS = 150.0
PDF_MS = 2000.0
CONSOLIDATED_MS = 20000.0

NAMES = {
    "bare": "bare authenticated view",
    "bare_lead": "bare authenticated view (security lead)",
    "layout": "empty page in the site layout (base.html)",
    "question": "question page",
    "overview": "review overview",
    "save": "answer save (htmx)",
    "dashboard_small": "dashboard, {n} workloads (security lead)",
    "dashboard": "dashboard, {n} workloads (security lead)",
    "dashboard_no_jit": "dashboard, {n} workloads, PostgreSQL JIT off",
    "seed": "seed_demo, {n} workloads",
    "saves": "answer saves against gunicorn (per save, under load)",
    "pdf": "PDF of a full review",
}


@contextmanager
def jit_off() -> Iterator[None]:
    """PostgreSQL's JIT compiler off for this process's connection, as `-c jit=off` in the settings would."""
    with connection.cursor() as cursor:
        cursor.execute("SET jit = off")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET jit")


class Suite:
    def __init__(self, args: argparse.Namespace, *, password: str) -> None:
        self.args = args
        self.password = password
        self.skip = {part.strip() for part in args.skip.split(",") if part.strip()}
        self.dashboard_queries: dict[int, int] = {}

    def section(self, name: str) -> bool:
        return name not in self.skip

    def say(self, message: str) -> None:
        print(f"bench: {message}", flush=True)

    def run(self) -> list[Figure]:
        args = self.args
        figures: list[Figure] = []
        seed_times = [self.seed(args.small)]
        lead = self.security_lead()
        lead_client = signed_in(lead)
        dashboard_runs: list[Paired] = []
        with override_settings(ROOT_URLCONF="bench.urls"):
            self.say(f"measuring the dashboard with {args.small} workloads")
            small = measure(
                lead_client, page_request(lead_client, reverse("dashboard")), requests=50, warmup=5
            )
            dashboard_runs.append(small)
            self.dashboard_queries[args.small] = small.queries
            figures.append(
                page_figure(NAMES["dashboard_small"].format(n=args.small), small, workloads=args.small)
            )
        seeded = args.small
        if self.section("consolidated") and args.portfolio > seeded:
            # The consolidated report is measured on a portfolio of its own size, before the big seed.
            seed_times.append(self.seed(args.portfolio - seeded))
            seeded = args.portfolio
            figures += self.consolidated(lead)
        if args.workloads > seeded:
            seed_times.append(self.seed(args.workloads - seeded))
        total = sum(seed_times)
        figures.insert(
            0,
            Figure.of(
                NAMES["seed"].format(n=f"{args.workloads:,}"),
                [total],
                extra={
                    "runs_s": [round(t, 1) for t in seed_times],
                    "workloads_per_second": round(args.workloads / total),
                },
            ),
        )
        with override_settings(ROOT_URLCONF="bench.urls"):
            if self.section("pages"):
                figures += self.pages(lead_client, dashboard_runs)
            if self.section("pdf"):
                figures.append(self.pdf())
        if self.section("saves"):
            self.say(f"answer saves: {args.clients} clients against gunicorn for {args.duration:g} s")
            from .saves import saves_per_second

            figures.append(
                saves_per_second(
                    database_url=os.environ["DATABASE_URL"],
                    password=self.password,
                    workers=args.workers,
                    clients=args.clients,
                    duration=args.duration,
                )
            )
        if self.section("collection"):
            from .collection import collection_figures

            self.say("evidence collection against a local AWS emulator")
            figures += collection_figures(say=self.say)
        if self.section("imports"):
            from .imports import measure as import_figure

            self.say("evidence import of a 20,000-finding Prowler file")
            figures.append(import_figure(20_000))
        return figures

    # --- Data -----------------------------------------------------------------------------------------------

    def seed(self, workloads: int) -> float:
        self.say(f"seed_demo --workloads {workloads}")
        started = time.perf_counter()
        call_command(
            "seed_demo", workloads=workloads, seed=workloads, password=self.password, stdout=io.StringIO()
        )
        elapsed = time.perf_counter() - started
        # Planner statistics as autovacuum keeps them on a live database (it analyses a table within a minute
        # of a bulk insert). Without them PostgreSQL plans on guesses, which is not what production sees.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        return elapsed

    @staticmethod
    def security_lead() -> User:
        """demo-lead, with the authenticator its role requires (MFA_REQUIRED_ROLES), enrolled as people do."""
        lead = User.objects.get(username="demo-lead")
        if not MfaDevice.objects.filter(user=lead).exists():
            secret = totp.new_secret()
            mfa_enrol(user=lead, secret=secret, code=pyotp.TOTP(secret).now())
        return lead

    # --- Pages ----------------------------------------------------------------------------------------------

    def pages(self, lead_client, dashboard_runs: list[Paired]) -> list[Figure]:
        from .reports import review_with_items

        args = self.args
        n, warmup = args.requests, args.warmup
        review = review_with_items()
        answer, code = pick_toggle(review)
        contributor = (
            Membership.objects.filter(team_id=review.workload.team_id, role=Role.CONTRIBUTOR)
            .select_related("user")
            .first()
            .user
        )
        client = signed_in(contributor)
        question_url = reverse(
            "review_question", kwargs={"review_id": review.pk, "question_code": answer.question.code}
        )
        runs: dict[str, Paired] = {}
        requests = {
            "layout": page_request(client, "/__bench__/bare-page/"),
            "question": page_request(client, question_url),
            "overview": page_request(client, reverse("review_overview", kwargs={"review_id": review.pk})),
            "save": AnswerToggler(client, answer, code),
        }
        for key, request in requests.items():
            self.say(f"measuring the {NAMES[key]} ({n} requests)")
            runs[key] = measure(client, request, requests=n, warmup=warmup)
        self.say(f"measuring the dashboard with {args.workloads:,} workloads ({n} requests)")
        big = measure(lead_client, page_request(lead_client, reverse("dashboard")), requests=n, warmup=warmup)
        dashboard_runs.append(big)
        self.dashboard_queries[args.workloads] = big.queries
        self.say(
            f"measuring the dashboard with {args.workloads:,} workloads, PostgreSQL JIT off ({n} requests)"
        )
        with jit_off():
            no_jit = measure(
                lead_client, page_request(lead_client, reverse("dashboard")), requests=n, warmup=warmup
            )
        dashboard_runs.append(no_jit)
        if args.profile:
            self.profile({**requests, "dashboard": page_request(lead_client, reverse("dashboard"))})

        figures = [
            bare_figure(NAMES["bare"], list(runs.values()), bare_queries(client)),
            bare_figure(NAMES["bare_lead"], dashboard_runs, bare_queries(lead_client)),
        ]
        review_facts = {"review": str(review.pk), "question": answer.question.code}
        for key in ("layout", "question", "overview", "save"):
            extra = review_facts if key != "layout" else {}
            figures.append(page_figure(NAMES[key], runs[key], **extra))
        figures.append(
            page_figure(
                NAMES["dashboard"].format(n=f"{args.workloads:,}"),
                big,
                workloads=args.workloads,
                queries_by_workloads={str(k): v for k, v in self.dashboard_queries.items()},
            )
        )
        figures.append(
            page_figure(
                NAMES["dashboard_no_jit"].format(n=f"{args.workloads:,}"),
                no_jit,
                workloads=args.workloads,
                note="SET jit = off on the connection: the setting docs/performance.md recommends",
            )
        )
        return figures

    def profile(self, requests: dict) -> None:
        """pyinstrument profiles of 20 requests per page in bench/profile-<page>.log (needs pyinstrument)."""
        from pyinstrument import Profiler

        for key, request in requests.items():
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(20):
                    request()
            path = ROOT / "bench" / f"profile-{key}.log"
            path.write_text(profiler.output_text(unicode=True, show_all=False))
            self.say(f"profile of the {key} page: {path.relative_to(ROOT)}")

    def consolidated(self, lead: User) -> list[Figure]:
        from .portfolio import consolidated_figures

        n = self.args.portfolio
        self.say(f"rendering the consolidated report of {n} workloads ({self.args.pdf_runs} runs per format)")
        return consolidated_figures(lead, workloads=n, runs=self.args.pdf_runs)

    def pdf(self) -> Figure:
        from .reports import pdf_figure, review_with_items

        self.say(f"rendering the PDF of a full review ({self.args.pdf_runs} runs)")
        return pdf_figure(review_with_items(), runs=self.args.pdf_runs)

    # --- Targets --------------------------------------------------------------------------------------------

    def targets(self, figures: list[Figure]) -> list[Target]:
        """The issue's targets, judged; each figure a target is about also records it in its `extra`."""
        by_name = {figure.name: figure for figure in figures}
        targets = []

        def judge(figure: Figure, text: str, met: bool, detail: str) -> None:
            targets.append(Target(text, met, detail))
            figure.extra.setdefault("targets", []).append({"target": text, "met": met})

        for key, limit in (("question", QUESTION_RATIO), ("save", SAVE_RATIO)):
            figure = by_name.get(NAMES[key])
            if figure is not None:
                judge(
                    figure,
                    f"{NAMES[key]} within {limit:g}x the bare view",
                    figure.ratio_to_bare <= limit,
                    f"{figure.ratio_to_bare:.2f}x ({figure.median_ms:.1f} ms)",
                )
        dashboard = by_name.get(NAMES["dashboard"].format(n=f"{self.args.workloads:,}"))
        if dashboard is not None:
            judge(
                dashboard,
                f"dashboard with {self.args.workloads:,} workloads under {DASHBOARD_MS:g} ms median",
                dashboard.median_ms < DASHBOARD_MS,
                f"{dashboard.median_ms:.1f} ms",
            )
            counts = self.dashboard_queries
            judge(
                dashboard,
                "dashboard query count constant",
                len(set(counts.values())) == 1,
                ", ".join(f"{count} queries with {n:,} workloads" for n, count in sorted(counts.items())),
            )
        for fmt in ("PDF", "XLSX"):
            figure = by_name.get(f"consolidated {fmt}, {self.args.portfolio} workloads")
            if figure is not None:
                judge(
                    figure,
                    f"consolidated {fmt} of {self.args.portfolio} workloads under {CONSOLIDATED_MS / 1000:g} s",
                    figure.p95_ms < CONSOLIDATED_MS,
                    f"median {figure.median_ms / 1000:.1f} s, slowest {figure.p95_ms / 1000:.1f} s, "
                    f"load {max(figure.extra['load_1min']):.1f}",
                )
        pdf = by_name.get(NAMES["pdf"])
        if pdf is not None:
            judge(
                pdf, f"full PDF under {PDF_MS / 1000:g} s", pdf.median_ms < PDF_MS, f"{pdf.median_ms:.0f} ms"
            )
        return targets
