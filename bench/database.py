"""The benchmark's own PostgreSQL database: created fresh for a run and dropped after it.

The server comes from DATABASE_URL (default: the local development server); the benchmark connects to the
database named there only to create and drop BENCH_DATABASE, so it never reads or changes anything else.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# BENCH_DATABASE names another one, so two people benchmarking on one server do not drop each other's.
BENCH_DATABASE = os.environ.get("BENCH_DATABASE", "bench_reviews")


class NotPostgres(Exception):
    pass


def bench_url(server_url: str) -> str:
    """`server_url` with its database replaced by the benchmark's; refuses anything but PostgreSQL."""
    parts = urlsplit(server_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        raise NotPostgres(
            f"DATABASE_URL uses {parts.scheme or 'no scheme'!r}: the benchmarks measure the production setup "
            "and run on PostgreSQL only. Point DATABASE_URL at a PostgreSQL server (the benchmark creates "
            f"and drops its own database, {BENCH_DATABASE!r}, there), or unset it to use {DEFAULT_URL}."
        )
    return urlunsplit(parts._replace(path=f"/{BENCH_DATABASE}"))


def _admin_connection(server_url: str) -> psycopg.Connection:
    # psycopg understands postgres:// URLs itself; autocommit because CREATE/DROP DATABASE cannot run in a
    # transaction.
    parts = urlsplit(server_url.replace("pgsql://", "postgresql://", 1))
    if parts.path.strip("/") in ("", BENCH_DATABASE):
        # Never connected to the database it is about to drop.
        parts = parts._replace(path="/postgres")
    url = urlunsplit(parts)
    return psycopg.connect(url, autocommit=True, connect_timeout=5)


def recreate(server_url: str) -> str:
    """A new, empty benchmark database (any leftover from an interrupted run is dropped first)."""
    drop(server_url)
    with _admin_connection(server_url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))
        version = connection.execute("SHOW server_version").fetchone()[0]
    return version


def drop(server_url: str) -> None:
    with _admin_connection(server_url) as connection:
        # FORCE (PostgreSQL 13+) ends the connections a crashed run may have left behind.
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(BENCH_DATABASE))
        )
