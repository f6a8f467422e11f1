"""Back up the portal's database to one file, while the portal keeps serving.

SQLite: the online backup API (sqlite3's Connection.backup) copies a consistent snapshot of what
was committed, without stopping readers or waiting for a writer, into a single self-contained file.
PostgreSQL: pg_dump's custom format (restore with pg_restore), when pg_dump is installed here;
otherwise the command says how to run it where it is. Either way the file is written under a
temporary name and renamed at the end, so an interrupted backup never takes the place of a good one.
"""

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from papers import bulk
from papers.models import Paper


class Command(BaseCommand):
    help = "Back up the database to a file (SQLite: online backup; PostgreSQL: pg_dump -Fc)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the backup file to write")
        parser.add_argument("--force", action="store_true", help="overwrite the file if it exists")

    def handle(self, *, path, force, **options):
        target = Path(path)
        if target.is_dir():
            raise CommandError(f"{target} is a folder; give the backup file's name")
        if target.exists() and not force:
            raise CommandError(f"{target} already exists; give another name, or --force to overwrite it")
        if not target.parent.is_dir():
            raise CommandError(f"no such folder: {target.parent}")
        partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
        started = time.monotonic()
        try:
            # The portal runs on SQLite or PostgreSQL (papers.bulk is where that is asked).
            back_up = self.back_up_postgresql if bulk.is_postgresql() else self.back_up_sqlite
            papers = back_up(partial)
            for stale in ("-wal", "-shm", "-journal"):  # an old copy's, which SQLite would apply to this one
                target.with_name(target.name + stale).unlink(missing_ok=True)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
        megabytes, seconds = target.stat().st_size / 1e6, time.monotonic() - started
        self.stdout.write(f"backed up {papers} papers to {target} ({megabytes:.1f} MB in {seconds:.1f} s)")

    def back_up_sqlite(self, partial):
        connection.ensure_connection()
        copy = sqlite3.connect(partial)
        try:
            # All pages in one step: one read transaction, so one consistent snapshot, whatever other
            # connections write meanwhile (in WAL mode a writer never blocks it).
            connection.connection.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file to copy or restore, no -wal beside it
            [check] = copy.execute("PRAGMA quick_check").fetchone()
            if check != "ok":
                raise CommandError(f"the copy failed its integrity check: {check}")
            [papers] = copy.execute(f'SELECT count(*) FROM "{Paper._meta.db_table}"').fetchone()
        finally:
            copy.close()
        return papers

    def back_up_postgresql(self, partial):
        pg_dump = shutil.which("pg_dump")
        db = connection.settings_dict
        if not pg_dump:
            raise CommandError(
                "PostgreSQL is backed up with pg_dump, which is not installed here. Run it where it is, "
                f"e.g. `pg_dump --format=custom --file=portal.dump {db['NAME']}` on the database host, or "
                "`docker compose exec -T db pg_dump -U portal --format=custom portal > portal.dump`"
            )
        env = {**os.environ, "PGDATABASE": db["NAME"], "PGCONNECT_TIMEOUT": "10"}
        for variable, value in (
            ("PGHOST", db.get("HOST")),
            ("PGPORT", db.get("PORT")),
            ("PGUSER", db.get("USER")),
            ("PGPASSWORD", db.get("PASSWORD")),
            ("PGSSLMODE", db.get("OPTIONS", {}).get("sslmode")),
        ):
            if value:
                env[variable] = str(value)
        result = subprocess.run(
            [pg_dump, "--format=custom", f"--file={partial}"], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise CommandError(f"pg_dump failed: {' '.join(result.stderr.split())}")
        return Paper.objects.count()
