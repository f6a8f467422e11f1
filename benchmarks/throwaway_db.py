"""A throwaway database for a benchmark, so a run never touches the portal's own data."""

import os


def use_throwaway_database(name, folder):
    """Point DATABASE_URL at a fresh database: a SQLite file in `folder`, or, when DATABASE_URL names a
    PostgreSQL server, a database `name` created there (BENCH_DATABASE names another, so two checkouts
    sharing a server do not drop each other's). Returns (label, drop) where drop() removes it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
        return "SQLite", lambda: None
    name = os.environ.get("BENCH_DATABASE") or name
    base, _, _ = url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}"
    # Created from the server's maintenance database, as createdb does, so DATABASE_URL may name one
    # that does not exist (such as the test suite's, which pytest creates under another name).
    _recreate(f"{base}/postgres", name)
    return "PostgreSQL", lambda: _recreate(f"{base}/postgres", name, create=False)


def _recreate(url, name, *, create=True):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


def settle():
    """What autovacuum would have done by the time readers come: on PostgreSQL, VACUUM ANALYZE (the
    visibility map that index-only scans need, the GIN index's pending list merged), so a server
    with autovacuum off or behind is not what gets measured. (SQLite has no such upkeep.)"""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
