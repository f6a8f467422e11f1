"""backup_database: an online SQLite backup while the portal writes; pg_dump on PostgreSQL."""

import io
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from papers.models import Paper

from .test_settings import clean_environment

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


def manage(database, *args, check=True):
    env = clean_environment({"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SECRET_KEY": "test"})
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def portal_database(tmp_path_factory):
    """A file SQLite database as `make run` leaves it: migrated, the seeds loaded."""
    database = tmp_path_factory.mktemp("portal") / "db.sqlite3"
    manage(database, "migrate", "--noinput", "--verbosity", "0")
    manage(database, "load_digests", str(SEEDS))
    return database


def test_sqlite_backup_while_a_write_is_open_elsewhere(portal_database, tmp_path):
    table = Paper._meta.db_table
    writer = sqlite3.connect(portal_database)
    [papers] = writer.execute(f"SELECT count(*) FROM {table}").fetchone()
    assert papers > 0
    # Another connection is in the middle of writing: the backup neither waits nor sees it.
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(f"UPDATE {table} SET title_en = 'not committed'")
    writer.execute(f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} LIMIT 3)")
    backup = tmp_path / "backup.sqlite3"
    started = time.monotonic()
    try:
        result = manage(portal_database, "backup_database", str(backup))
    finally:
        writer.rollback()
        writer.close()
    assert time.monotonic() - started < 15  # not the 20 s busy timeout: it did not wait for the writer
    assert f"backed up {papers} papers to {backup}" in result.stdout

    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one self-contained file
        assert copy.execute(f"SELECT count(*) FROM {table}").fetchone() == (papers,)
        titles = {title for (title,) in copy.execute(f"SELECT title_en FROM {table}")}
        assert "not committed" not in titles and len(titles) > 1
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["backup.sqlite3"]  # no partial file left

    # The portal reads the copy as its database: restoring is putting the file back.
    count = "from papers.models import Paper; print(Paper.objects.count())"
    restored = manage(backup, "shell", "--verbosity", "0", "-c", count)
    assert restored.stdout.strip() == str(papers)


def test_an_existing_backup_is_kept_unless_forced(portal_database, tmp_path):
    backup = tmp_path / "backup.sqlite3"
    backup.write_bytes(b"last week's backup")
    refused = manage(portal_database, "backup_database", str(backup), check=False)
    assert refused.returncode == 1
    assert "already exists; give another name, or --force to overwrite it" in refused.stderr
    assert backup.read_bytes() == b"last week's backup"

    manage(portal_database, "backup_database", "--force", str(backup))
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute(f"SELECT count(*) FROM {Paper._meta.db_table}").fetchone()[0] > 0
    finally:
        copy.close()

    nowhere = tmp_path / "no-such-folder" / "b.sqlite3"
    missing = manage(portal_database, "backup_database", str(nowhere), check=False)
    assert missing.returncode == 1 and "no such folder" in missing.stderr


@pytest.mark.django_db(transaction=True)
def test_postgresql_backup_is_a_pg_dump_that_pg_restore_reads(seeded, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump backs up PostgreSQL")
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump and pg_restore are not installed")
    backup = tmp_path / "portal.dump"
    out = io.StringIO()
    call_command("backup_database", str(backup), stdout=out)
    assert f"backed up {Paper.objects.count()} papers to {backup}" in out.getvalue()
    assert backup.read_bytes().startswith(b"PGDMP")  # pg_dump's custom format
    data = subprocess.run(
        ["pg_restore", "--data-only", f"--table={Paper._meta.db_table}", "--file=-", str(backup)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert Paper.objects.exclude(arxiv_id=None).first().arxiv_id in data


@pytest.mark.django_db
def test_postgresql_without_pg_dump_says_what_to_run(monkeypatch, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("pg_dump backs up PostgreSQL")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(CommandError, match="pg_dump --format=custom"):
        call_command("backup_database", str(tmp_path / "portal.dump"))
    assert list(tmp_path.iterdir()) == []
