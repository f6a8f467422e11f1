"""Load digest files into the database.

One file is one transaction. A paper's fields are always recomputed from all of its digest entries
in a fixed order, so importing the same files in any order gives the same papers, and a curator's
edit is never touched. What lives where:

- pipeline.py: preparing files without a database (parse, checksums, keys), in a second process;
- matching.py: which paper each entry describes (arXiv id, then an identical abstract);
- rules.py: the rules themselves (which text wins, where a paper is listed, what date a digest
  gets, what to warn about), pure Python with no Django;
- people.py: ordered author and institution lists, aliases and slugs;
- writing.py: one file's transaction and the rows it writes (through papers.bulk);
- report.py: what an import did, with warnings as (line, message) records;
- here: importing many files, as `load_digests` and the admin do.
"""

from pathlib import Path

from .. import bulk
from ..models import Affiliation, Author, Authorship, Digest, DigestEntry, Institution, Paper, SearchEntry
from .pipeline import PREPARE_AHEAD, prepare, prepare_path, prepared_files
from .report import ImportReport, ImportWarning
from .rules import FutureDateError, digest_date, latest_digest_date, newest_appearance
from .writing import import_prepared

__all__ = [
    "FutureDateError", "ImportReport", "ImportWarning", "digest_date", "expand_paths", "import_digest",
    "import_paths", "import_prepared", "latest_digest_date", "newest_appearance", "prepare",
    "prepare_path", "refresh_statistics",
]  # fmt: skip


def import_digest(data, *, name, dry_run=False, complete_entries_only=False):
    """Import one digest file's bytes; never raises for bad input, the report says what happened."""
    prepared = prepare(data, name=name, complete_entries_only=complete_entries_only)
    return import_prepared(prepared, dry_run=dry_run)


def import_paths(paths, *, dry_run=False, progress=None, parallel=None, complete_entries_only=False):
    """Import files and folders (their *.txt files, by name); yields one report per file.

    With several files (or parallel=True) a second process reads and parses the next files while
    this one writes; the reports, and what is written, are the same either way.
    """
    paths, imported = expand_paths(paths), 0
    if parallel is None:
        parallel = len(paths) > PREPARE_AHEAD
    imported_before = frozenset(Digest.objects.values_list("checksum", flat=True))
    files = prepared_files(
        paths, parallel=parallel, imported=imported_before, complete_entries_only=complete_entries_only
    )
    for index, (path, prepared) in enumerate(files):
        if progress:
            progress(path)
        report = import_prepared(prepared, dry_run=dry_run)
        if report.status == "imported" and not dry_run:
            imported += 1
            # After the 1st, 2nd, 4th, 8th… file, and after the last: statistics at most half stale.
            if imported & (imported - 1) == 0 or index == len(paths) - 1:
                refresh_statistics()
        yield report


def refresh_statistics():
    """ANALYZE (on PostgreSQL) the tables an import grows; see bulk.analyze()."""
    bulk.analyze((Paper, DigestEntry, Digest, Author, Institution, Authorship, Affiliation, SearchEntry))


def expand_paths(paths):
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*.txt") if p.is_file() and not p.name.startswith(".")))
        else:
            files.append(path)
    return files
