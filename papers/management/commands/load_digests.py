import logging
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from papers.importing import expand_paths, import_paths

logger = logging.getLogger("papers.imports")


def log_import(report, seconds):
    """One log line per file, whatever the command prints: for a log collector (DJANGO_LOG_FORMAT=json
    makes name, status, entries and seconds fields of their own). A failed file is a warning."""
    status = "would_import" if report.dry_run and report.status == "imported" else report.status
    fields = {"file": report.name, "status": status, "entries": report.entries, "seconds": round(seconds, 3)}
    if report.failed:
        fields["error"] = " ".join(str(report.error).split())
        logger.warning("import %s: failed in %.2f s: %s", report.name, seconds, fields["error"], extra=fields)
    else:
        logger.info(
            "import %s: %s, %d entries in %.2f s", report.name, status, report.entries, seconds, extra=fields
        )


class Command(BaseCommand):
    help = "Import digest files (or folders of *.txt digests). Each file is one transaction."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="digest files or folders")
        parser.add_argument("--dry-run", action="store_true", help="parse and report, write nothing")
        parser.add_argument("--quiet-warnings", action="store_true", help="count warnings, do not list them")
        parser.add_argument(
            "--complete-entries-only",
            action="store_true",
            help="import a file that ends in the middle of an entry (cut off) without that entry, "
            "instead of refusing it",
        )

    def handle(self, *, paths, dry_run, quiet_warnings, complete_entries_only, verbosity, **options):
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            raise CommandError(f"no such file or folder: {', '.join(missing)}")
        total = len(expand_paths(paths))
        if total == 0:
            raise CommandError(f"no digest files (*.txt) found in {', '.join(paths)}")

        started, done, failed, entries = time.monotonic(), 0, 0, 0
        try:
            last = started
            for report in import_paths(paths, dry_run=dry_run, complete_entries_only=complete_entries_only):
                now = time.monotonic()
                log_import(report, now - last)  # this file's time: since the previous one was done
                last = now
                done += 1
                entries += report.entries
                style = self.style.ERROR if report.failed else self.style.SUCCESS
                prefix = f"[{done}/{total}] " if total > 1 else ""
                stream = self.stderr if report.failed else self.stdout
                stream.write(prefix + style(report.summary()))
                failed += report.failed
                if report.warnings and not quiet_warnings and verbosity > 0:
                    for warning in report.warnings:
                        where = report.name if warning.line is None else f"{report.name}:{warning.line}"
                        self.stdout.write(f"    warning: {where}: {warning.message}")
        except KeyboardInterrupt:
            raise CommandError(
                f"interrupted after {done} of {total} files; the file being imported was rolled back "
                "and changed nothing. Run the same command again to import the rest: files already "
                "imported are skipped.",
                returncode=130,
            ) from None
        elapsed = time.monotonic() - started
        rate = f", {entries / elapsed:,.0f} entries/s" if elapsed > 0 and entries else ""
        verb = "checked (dry run, nothing written)" if dry_run else "processed"
        self.stdout.write(f"{done} files {verb} in {elapsed:.1f}s{rate}; {failed} failed")
        if failed:
            if failed == done:
                raise CommandError(
                    f"{'the file' if done == 1 else f'all {done} files'} failed; nothing was imported"
                )
            others = "checked" if dry_run else "imported (or were already)"
            raise CommandError(f"{failed} of {done} files failed; the other {done - failed} were {others}")
