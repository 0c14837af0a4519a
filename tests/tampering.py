"""Tests that play a database superuser: switch off the append-only triggers for the rest of the test."""

from __future__ import annotations

from django.db import connection


def disable_append_only(*tables: str) -> None:
    """As an intruder with the table owner's rights would. Inside the test's transaction on PostgreSQL, so the
    triggers are back when it rolls back (so not for tests with transaction=True)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Deferred foreign-key checks of rows inserted earlier in the test would block ALTER TABLE.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")  # noqa: S608  # nosec B608
