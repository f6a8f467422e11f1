"""An inbox folder of digests: every *.txt dropped in is imported, then moved out of the way.

A file imported (or found already imported: importing is idempotent) moves to imported/, so the
inbox itself shows only what is still to come. A file that fails moves to failed/, with its error
beside it in NAME.error, where a person sees it; fixed and dropped in again, it is tried again.
A file changed in the last few seconds may still be being written, so it waits for a later scan
(write a big file under another name, a dotfile or not *.txt, and rename it in). While the database
cannot be reached nothing moves: the failure is not the file's, and the files wait.
"""

import datetime
import os
import time
from pathlib import Path

IMPORTED = "imported"
FAILED = "failed"


def ready_files(inbox, *, settle_seconds, now=None):
    """The inbox's digests, by name, that nobody has changed for `settle_seconds`."""
    now = time.time() if now is None else now
    files = sorted(p for p in Path(inbox).glob("*.txt") if p.is_file() and not p.name.startswith("."))
    return [p for p in files if p.stat().st_mtime <= now - settle_seconds]


def file_away(path, report):
    """Move an imported file to imported/, a failed one to failed/ with NAME.error; the new path."""
    path = Path(path)
    folder = path.parent / (FAILED if report.failed else IMPORTED)
    folder.mkdir(exist_ok=True)
    if report.failed:
        when = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        (folder / f"{path.name}.error").write_text(f"{when}: {report.error}\n", encoding="utf-8")
    destination = folder / path.name
    os.replace(path, destination)
    if not report.failed:
        # It failed before and imports now: the old error no longer says anything true.
        (path.parent / FAILED / f"{path.name}.error").unlink(missing_ok=True)
        (path.parent / FAILED / path.name).unlink(missing_ok=True)
    return destination
