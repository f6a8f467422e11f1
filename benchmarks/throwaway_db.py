"""A throwaway database for a benchmark, so a run never touches the portal's own data."""

import os


def use_throwaway_database(name, folder):
    """Point DATABASE_URL at a fresh database: a SQLite file in `folder`, or, when DATABASE_URL names a
    PostgreSQL server, a database `name` created there. Returns (label, drop) where drop() removes it."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'bench.sqlite3'}"
        return "SQLite", lambda: None
    base, _, _ = url.rpartition("/")
    os.environ["DATABASE_URL"] = f"{base}/{name}"
    _recreate(url, name)
    return "PostgreSQL", lambda: _recreate(url, name, create=False)


def _recreate(url, name, *, create=True):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')
