"""The run itself: seed, measure each figure in turn, and judge the figures against the issue's targets."""

from __future__ import annotations

import argparse
import io
import os
import time
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
from .growth import LISTS, by_list, growth, list_figures, list_urls, timed_list
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
from .sections import Sections

ROOT = Path(__file__).resolve().parent.parent
QUESTION_RATIO = 3.0
SAVE_RATIO = 4.0
LIST_GROWTH = 2.0
CSV_FIRST_BYTE_MS = 1000.0
PDF_MS = 2000.0
CONSOLIDATED_MS = 20000.0
SEED_10K_S = 120.0
# Each seed_demo call holds its workloads in memory until it writes them: bigger sizes are seeded in chunks.
SEED_CHUNK = 1000
# The lists that page (or total) in the database: their time may grow at most LIST_GROWTH-fold from the smallest
# size to the largest. The CSV holds every row, so only its first byte is judged.
GROWING = ("dashboard", "plan", "items_api", "workloads_api")
# Wall-clock limits per section: a section past its limit is reported as failed and the run goes on.
LIMITS_S = {"seed": 600.0, "list": 60.0, "page": 120.0, "pdf": 180.0, "saves": 120.0, "collection": 300.0,
            "imports": 180.0, "consolidated": 300.0}  # fmt: skip

NAMES = {
    "bare": "bare authenticated view",
    "bare_lead": "bare authenticated view (security lead)",
    "layout": "empty page in the site layout (base.html)",
    "question": "question page",
    "overview": "review overview",
    "save": "answer save (htmx)",
    "seed": "seed_demo, {n} workloads",
    "saves": "answer saves against gunicorn (per save, under load)",
    "pdf": "PDF of a full review",
}


class Suite:
    def __init__(self, args: argparse.Namespace, *, password: str) -> None:
        self.args = args
        self.password = password
        self.skip = {part.strip() for part in args.skip.split(",") if part.strip()}
        self.scales = sorted({int(part) for part in args.scales.split(",") if part.strip()})
        # The pages, PDFs, saves and collection are measured once, at 1,000 workloads (or the nearest below).
        self.pages_at = max((n for n in self.scales if n <= 1000), default=self.scales[0])
        self.sections = Sections(say=self.say)
        self.started = time.monotonic()
        self.seeded = 0

    def section(self, name: str) -> bool:
        return name not in self.skip

    def say(self, message: str) -> None:
        print(f"bench: {message}", flush=True)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    def run(self) -> list[Figure]:
        args = self.args
        figures: list[Figure] = []
        steps = set(self.scales)
        if self.section("consolidated") and 0 < args.portfolio < max(self.scales):
            steps.add(args.portfolio)
        seeded, seed_times = 0, []
        lead_client = None
        with override_settings(ROOT_URLCONF="bench.urls"):
            for target in sorted(steps):
                seconds = self.sections.run(
                    NAMES["seed"].format(n=f"{target:,}"),
                    lambda count=target - seeded: self.seed(count),
                    limit_s=LIMITS_S["seed"],
                )
                if seconds is None:
                    break  # every figure after this would be about data that is not there
                seed_times.append(seconds)
                seeded = target
                if lead_client is None:
                    lead_client = signed_in(self.security_lead())
                if target == args.portfolio and self.section("consolidated"):
                    figures += self.sections.figures(
                        f"consolidated report, {target} workloads",
                        lambda: self.consolidated(User.objects.get(username="demo-lead")),
                        limit_s=LIMITS_S["consolidated"],
                    )
                if target in self.scales and self.section("lists"):
                    figures += self.lists(lead_client, target)
                if target == self.pages_at:
                    figures += self.at_pages_scale()
        if seed_times:
            figures.insert(
                0,
                Figure.of(
                    NAMES["seed"].format(n=f"{seeded:,}"),
                    [sum(seed_times)],
                    extra={
                        "workloads": seeded,
                        "runs_s": [round(t, 1) for t in seed_times],
                        "workloads_per_second": round(seeded / sum(seed_times)),
                    },
                ),
            )
        return figures + self.sections.failures

    def lists(self, lead_client, workloads: int) -> list[Figure]:
        from .reports import review_with_items

        urls = list_urls(review_with_items().workload)
        figures: list[Figure] = []
        for key, url in urls.items():
            name = f"{LISTS[key]}, {workloads:,} workloads"
            self.say(f"measuring {name}")
            figures += self.sections.figures(
                name,
                lambda key=key, url=url: list_figures(key, timed_list(lead_client, url), workloads),
                limit_s=LIMITS_S["list"],
            )
        return figures

    def at_pages_scale(self) -> list[Figure]:
        """The sections measured once, at `pages_at` workloads."""
        args, run = self.args, self.sections.figures
        figures: list[Figure] = []
        if self.section("pages"):
            figures += self.pages()
        if self.section("pdf"):
            self.say(f"rendering the PDF of a full review ({args.pdf_runs} runs)")
            figures += run(NAMES["pdf"], self.pdf, limit_s=LIMITS_S["pdf"])
        if self.section("saves"):
            self.say(f"answer saves: {args.clients} clients against gunicorn for {args.duration:g} s")
            figures += run(NAMES["saves"], self.saves, limit_s=LIMITS_S["saves"])
        if self.section("collection"):
            from .collection import collection_figures

            self.say("evidence collection against a local AWS emulator")
            figures += run(
                "evidence collection",
                lambda: collection_figures(say=self.say),
                limit_s=LIMITS_S["collection"],
            )
        if self.section("imports"):
            from .imports import measure as import_figure

            self.say("evidence import of a 20,000-finding Prowler file")
            figures += run("evidence import", lambda: import_figure(20_000), limit_s=LIMITS_S["imports"])
        return figures

    def saves(self) -> Figure:
        from .saves import saves_per_second

        args = self.args
        return saves_per_second(
            database_url=os.environ["DATABASE_URL"],
            password=self.password,
            workers=args.workers,
            clients=args.clients,
            duration=args.duration,
        )

    # --- Data -----------------------------------------------------------------------------------------------

    def seed(self, workloads: int) -> float:
        self.say(f"seed_demo --workloads {workloads:,}")
        started = time.perf_counter()
        done = 0
        while done < workloads:
            chunk = min(SEED_CHUNK, workloads - done)
            call_command(
                "seed_demo", workloads=chunk, seed=self.seeded + done + 1, password=self.password,
                stdout=io.StringIO(),
            )  # fmt: skip
            done += chunk
        self.seeded += workloads
        elapsed = time.perf_counter() - started
        # Planner statistics as autovacuum keeps them on a live database (it analyses a table within a minute
        # of a bulk insert). Without them PostgreSQL plans on guesses, which is not what production sees.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.say(f"seeded {workloads:,} workloads in {elapsed:.1f} s")
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

    def pages(self) -> list[Figure]:
        """The guided review's pages, each timed next to the bare view as a contributor of the review's team."""
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
        requests = {
            "layout": page_request(client, "/__bench__/bare-page/"),
            "question": page_request(client, question_url),
            "overview": page_request(client, reverse("review_overview", kwargs={"review_id": review.pk})),
            "save": AnswerToggler(client, answer, code),
        }
        runs: dict[str, Paired] = {}
        for key, request in requests.items():
            self.say(f"measuring the {NAMES[key]} ({n} requests)")
            paired = self.sections.run(
                NAMES[key],
                lambda request=request: measure(client, request, requests=n, warmup=warmup),
                limit_s=LIMITS_S["page"],
            )
            if paired is not None:
                runs[key] = paired
        if args.profile:
            self.profile(requests)
        if not runs:
            return []
        figures = [bare_figure(NAMES["bare"], list(runs.values()), bare_queries(client))]
        review_facts = {"review": str(review.pk), "question": answer.question.code}
        for key, paired in runs.items():
            figures.append(page_figure(NAMES[key], paired, **(review_facts if key != "layout" else {})))
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
        by_name = {figure.name: figure for figure in figures if not figure.failed}
        targets = []

        def judge(figure: Figure | None, text: str, met: bool, detail: str) -> None:
            targets.append(Target(text, met, detail))
            if figure is not None:
                figure.extra.setdefault("targets", []).append({"target": text, "met": met})

        for figure in figures:
            if figure.failed:
                judge(None, f"{figure.name} measured", False, figure.failed)
        for key, limit in (("question", QUESTION_RATIO), ("save", SAVE_RATIO)):
            figure = by_name.get(NAMES[key])
            if figure is not None and figure.ratio_to_bare is not None:
                judge(
                    figure,
                    f"{NAMES[key]} within {limit:g}x the bare view",
                    figure.ratio_to_bare <= limit,
                    f"{figure.ratio_to_bare:.2f}x ({figure.median_ms:.1f} ms, {figure.queries} queries)",
                )
        smallest, largest = self.scales[0], self.scales[-1]
        lists = by_list(figures)
        for key in GROWING:
            grew = growth(lists.get(key, {}), smallest, largest)
            if grew is not None:
                big = lists[key][largest]
                counts = ", ".join(f"{n:,}: {f.queries}" for n, f in sorted(lists[key].items()))
                judge(big, f"{LISTS[key]}: growth {largest:,}/{smallest:,} at most {LIST_GROWTH:g}x",
                      grew <= LIST_GROWTH, f"{grew:.2f}x; queries by workloads {counts}")  # fmt: skip
        first = lists.get("csv_first_byte", {}).get(largest)
        if first is not None:
            judge(first, f"all-workloads CSV at {largest:,} workloads: first byte under {CSV_FIRST_BYTE_MS:g} ms",
                  first.median_ms < CSV_FIRST_BYTE_MS, f"{first.median_ms:,.0f} ms")  # fmt: skip
        seed = next((f for f in figures if f.name.startswith("seed_demo") and not f.failed), None)
        if seed is not None and seed.extra["workloads"] >= 10_000:
            judge(seed, f"seeding {seed.extra['workloads']:,} workloads under {SEED_10K_S:g} s",
                  seed.median_ms / 1000 < SEED_10K_S, f"{seed.median_ms / 1000:.0f} s")  # fmt: skip
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
