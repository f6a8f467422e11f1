import logging
import signal
import threading
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import InterfaceError, OperationalError, close_old_connections, connection

from papers.importing import import_paths
from papers.inbox import FAILED, file_away, ready_files
from papers.management.commands.load_digests import log_import

logger = logging.getLogger("papers.imports")


def database_answers():
    try:
        connection.close()  # a connection that just failed may be broken; ask on a new one
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except (OperationalError, InterfaceError):
        return False


class Command(BaseCommand):
    help = (
        "Import every *.txt dropped into a folder, every --interval seconds: imported files move to "
        "imported/, failed ones to failed/ with NAME.error beside them (see papers/inbox.py)."
    )

    def add_arguments(self, parser):
        parser.add_argument("inbox", help="the folder to watch")
        parser.add_argument("--interval", type=float, default=30, help="seconds between scans (30)")
        parser.add_argument(
            "--settle", type=float, default=10, help="seconds a file must be unchanged before import (10)"
        )
        parser.add_argument(
            "--once", action="store_true", help="scan once and exit; non-zero if a file failed"
        )

    def handle(self, *, inbox, interval, settle, once, **options):
        inbox = Path(inbox)
        if not inbox.is_dir():
            raise CommandError(f"no such folder: {inbox}")
        if once:
            failed = self.scan(inbox, settle)
            if failed:
                where = inbox / FAILED
                raise CommandError(f"{failed} files failed; they are in {where}, each with its error")
            return
        stop = threading.Event()
        # `docker compose stop` sends SIGTERM: the file being imported is finished, then it stops.
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        logger.info("watching %s every %.0f s", inbox, interval)
        while not stop.is_set():
            self.scan(inbox, settle, stop=stop)
            stop.wait(interval)

    def scan(self, inbox, settle, stop=None):
        """Import the files ready in the inbox, one by one; the number that failed."""
        close_old_connections()  # a long-lived process gets no request to do this for it
        failed = 0
        for path in ready_files(inbox, settle_seconds=settle):
            if stop is not None and stop.is_set():
                break
            started = time.monotonic()
            try:
                [report] = import_paths([path])
            except (OperationalError, InterfaceError) as error:
                self.database_unavailable(error)
                return failed
            if report.failed and not database_answers():
                self.database_unavailable(report.error)
                return failed
            log_import(report, time.monotonic() - started)
            moved = file_away(path, report)
            failed += report.failed
            stream = self.stderr if report.failed else self.stdout
            stream.write(f"{report.summary()} -> {moved.parent.name}/")
        return failed

    def database_unavailable(self, error):
        reason = " ".join(str(error).split())[:300]
        logger.warning("database unavailable (%s); the inbox's files wait for the next scan", reason)
