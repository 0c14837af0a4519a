"""`python -m bench` (`make bench`): build a throwaway PostgreSQL database at scale and measure the app on it.

Steps: create the database `bench_reviews` (or BENCH_DATABASE) on the server DATABASE_URL names, migrate, load the
lens, then seed 100, 1,000 and 10,000 workloads in turn (and 200 for the consolidated report) and, at each size,
measure the lists that grow with the organisation next to the bare view. At 1,000 it also measures the guided
review's pages, renders the PDF, counts answer saves per second against gunicorn and times evidence collection
and a 20,000-finding import. Each section runs on its own: one that fails is reported and the rest still run.
It prints the tables, writes bench/results.json and drops the database. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import secrets
import sys
import time
import warnings
from pathlib import Path

from . import database, logs

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = f"bench-{secrets.token_urlsafe(12)}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scales",
        default="100,1000,10000",
        help="workload counts the lists are measured at (100,1000,10000)",
    )
    parser.add_argument(
        "--portfolio", type=int, default=200, help="workloads in the consolidated report (200)"
    )
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page (200)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests first (20)")
    parser.add_argument("--pdf-runs", type=int, default=5, help="timed PDF renders (5)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients saving answers (8)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of concurrent saving (10)")
    parser.add_argument("--workers", type=int, default=min(4, max(2, os.cpu_count() or 2)), help="gunicorn")
    parser.add_argument(
        "--skip",
        default="",
        help="comma-separated sections to leave out: lists, pages, saves, pdf, collection, imports, consolidated",
    )
    parser.add_argument(
        "--keep-db", action="store_true", help="keep bench_reviews afterwards, to look into it"
    )
    parser.add_argument("--profile", action="store_true", help="write a pyinstrument profile of each page")
    return parser.parse_args(argv)


def configure_environment(bench_url: str) -> None:
    """Settings for this process (and gunicorn), before Django reads them."""
    os.environ["DATABASE_URL"] = bench_url
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
    os.environ.setdefault("STATIC_MANIFEST", "0")
    os.environ["DEBUG"] = "0"
    # The benchmark measures how long renders take: on a busy machine the production limit (30 s) would turn
    # a slow figure into no figure. Each section has its own time limit (bench/sections.py).
    os.environ.setdefault("REPORT_RENDER_TIMEOUT", "150")
    # "testserver" is the host name of Django's test client, which the in-process measurements use.
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    if not os.environ.get("FIELD_ENCRYPTION_KEY"):
        from cryptography.fernet import Fernet

        # The security lead signs in with a second factor; its seed is encrypted with this throwaway key.
        os.environ["FIELD_ENCRYPTION_KEY"] = Fernet.generate_key().decode()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reviewapp.settings")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    server_url = os.environ.get("DATABASE_URL") or database.DEFAULT_URL
    try:
        bench_url = database.bench_url(server_url)
    except database.NotPostgres as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    print(f"bench: creating database {database.BENCH_DATABASE!r} on {bench_url.rsplit('@', 1)[-1]}")
    postgres_version = database.recreate(server_url)
    configure_environment(bench_url)
    try:
        return run(args, postgres_version)
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            print(f"bench: kept database {database.BENCH_DATABASE!r}")
        else:
            database.drop(server_url)


def run(args: argparse.Namespace, postgres_version: str) -> int:
    import django

    # WhiteNoise warns that collectstatic has not run; the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at", module="django.core.handlers.base")
    django.setup()
    logs.to_file("w")

    from django.core.management import call_command

    from .figures import Figure, table, write_results
    from .growth import growth_table
    from .machine import describe
    from .suite import Suite

    machine = describe(postgres_version)
    print("bench: " + "; ".join(f"{key} {value}" for key, value in machine.items()))
    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("load_lens", verbosity=0, stdout=io.StringIO())
    suite = Suite(args, password=PASSWORD)
    figures: list[Figure] = suite.run()
    print()
    print(table(figures))
    print()
    print(growth_table(figures, suite.scales))
    print()
    targets = suite.targets(figures)
    for target in targets:
        print(f"{'met   ' if target.met else 'MISSED'}  {target.text}: {target.detail}")
    path = write_results(figures)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"\nbench: wrote {path.relative_to(ROOT)} in {time.perf_counter() - started:.0f} s; load at the end "
          f"{load} (Python {platform.python_version()}, Django {django.get_version()})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
