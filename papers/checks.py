"""System checks for what the portal needs from its database beyond what Django itself requires."""

import sqlite3

from django.core import checks
from django.db import connections

MIN_SQLITE = (3, 35)  # INSERT … RETURNING, which the importer writes papers and names with


@checks.register(checks.Tags.compatibility)
def sqlite_version(app_configs, **kwargs):
    """Django 5.2 runs on SQLite 3.31; the importer needs 3.35 (Ubuntu 20.04 still ships 3.31)."""
    uses_sqlite = any(connections[alias].vendor == "sqlite" for alias in connections)
    if not uses_sqlite or sqlite3.sqlite_version_info >= MIN_SQLITE:
        return []
    return [
        checks.Error(
            f"SQLite {sqlite3.sqlite_version} is too old: importing digests needs SQLite "
            f"{'.'.join(map(str, MIN_SQLITE))} or newer.",
            hint="Use a Python built against a newer SQLite, or PostgreSQL (set DATABASE_URL).",
            id="papers.E001",
        )
    ]
