"""watch_inbox: digests dropped into a folder are imported and moved aside; failures stay visible.

Transactional tests: the command is a long-lived process that closes stale connections between
scans, as no request does it for it, and a test's own transaction would not survive that.
"""

import io
import logging
import os
import time

import pytest
from django.core.management import CommandError, call_command

from papers.models import Digest, Paper

from .builders import Entry, daily_digest
from .test_outage import Database


def scan(inbox, *options):
    out, err = io.StringIO(), io.StringIO()
    call_command("watch_inbox", str(inbox), "--once", "--settle", "0", *options, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def names(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def inbox(tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    return folder


@pytest.mark.django_db(transaction=True)
def test_dropped_digests_are_imported_and_failures_kept_with_their_error(inbox, caplog):
    caplog.set_level(logging.INFO, logger="papers.imports")
    (inbox / "2026-11-20.txt").write_bytes(daily_digest([Entry("First paper", "2311.00001")]))
    (inbox / "2026-11-21.txt").write_bytes(daily_digest([Entry("Second paper", "2311.00002")]))
    (inbox / "broken.txt").write_text("this is not a digest\n")
    (inbox / ".being-copied.txt").write_text("half a file")  # dotfiles wait for their rename
    (inbox / "notes.md").write_text("not a digest file")

    with pytest.raises(CommandError, match="1 files failed; they are in .*failed, each with its error"):
        scan(inbox)

    assert sorted(Paper.objects.values_list("title_en", flat=True)) == ["First paper", "Second paper"]
    assert names(inbox) == [".being-copied.txt", "failed", "imported", "notes.md"]
    assert names(inbox / "imported") == ["2026-11-20.txt", "2026-11-21.txt"]
    assert names(inbox / "failed") == ["broken.txt", "broken.txt.error"]
    error = (inbox / "failed" / "broken.txt.error").read_text()
    assert "broken.txt" in error and error.endswith("\n")
    [failed] = [r for r in caplog.records if getattr(r, "status", None) == "failed"]
    assert failed.levelname == "WARNING" and failed.file == "broken.txt"
    assert sorted(r.file for r in caplog.records if getattr(r, "status", None) == "imported") == [
        "2026-11-20.txt",
        "2026-11-21.txt",
    ]


@pytest.mark.django_db(transaction=True)
def test_a_file_dropped_again_is_not_imported_twice_and_a_fixed_one_clears_its_error(inbox):
    digest = daily_digest([Entry("A paper", "2311.00003")])
    (inbox / "2026-11-22.txt").write_bytes(digest)
    scan(inbox)
    (inbox / "2026-11-22.txt").write_bytes(digest)
    out, _ = scan(inbox)
    assert "unchanged, already imported" in out
    assert Digest.objects.count() == 1 and Paper.objects.count() == 1
    assert names(inbox / "imported") == ["2026-11-22.txt"]

    (inbox / "2026-11-23.txt").write_text("not yet a digest\n")
    with pytest.raises(CommandError):
        scan(inbox)
    assert names(inbox / "failed") == ["2026-11-23.txt", "2026-11-23.txt.error"]
    (inbox / "2026-11-23.txt").write_bytes(daily_digest([Entry("Fixed paper", "2311.00004")]))
    scan(inbox)
    assert names(inbox / "failed") == []
    assert names(inbox / "imported") == ["2026-11-22.txt", "2026-11-23.txt"]


@pytest.mark.django_db(transaction=True)
def test_a_file_still_being_written_waits(inbox):
    fresh = inbox / "2026-11-24.txt"
    fresh.write_bytes(daily_digest([Entry("Late paper", "2311.00005")]))
    scan(inbox, "--settle", "60")
    assert names(inbox) == ["2026-11-24.txt"] and not Paper.objects.exists()
    old = time.time() - 120
    os.utime(fresh, (old, old))
    scan(inbox, "--settle", "60")
    assert Paper.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_while_the_database_is_down_files_wait_in_the_inbox(inbox, tmp_path, caplog):
    (inbox / "2026-11-25.txt").write_bytes(daily_digest([Entry("Patient paper", "2311.00006")]))
    database = Database(tmp_path)
    database.down()
    try:
        scan(inbox)  # no failure: the file is not at fault
    finally:
        database.up()
    assert names(inbox) == ["2026-11-25.txt"]
    [warning] = [r for r in caplog.records if r.name == "papers.imports"]
    assert warning.getMessage().startswith("database unavailable (")
    assert warning.getMessage().endswith("the inbox's files wait for the next scan")

    scan(inbox)
    assert names(inbox / "imported") == ["2026-11-25.txt"]
    assert Paper.objects.get().title_en == "Patient paper"


def test_an_inbox_that_is_not_there_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="no such folder"):
        call_command("watch_inbox", str(tmp_path / "nowhere"), "--once")
