"""Preparing files: everything an import computes without a database, in a second process when
there are many files.

prepare() parses a file and computes its checksum, abstract keys, search text, name keys and slug
bases; it touches no database, so import_paths() runs it in a forked worker one file ahead of the
writer: on a two-core machine parsing, hashing and folding no longer add to the writer's time.
"""

import hashlib
import multiprocessing
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from .. import parsing, search
from ..models import TEXT_FIELDS, Digest, normalize_name, slug_base

MAX_FILE_NAME_LENGTH = Digest._meta.get_field("name").max_length
# Files prepared ahead of the one being written: enough to keep the second process busy, few enough
# that a slow database never piles up parsed files in memory.
PREPARE_AHEAD = 4


def text_key(text):
    """The key an abstract is matched by: SHA-256 of the trimmed text."""
    return hashlib.sha256(text.strip().encode()).hexdigest() if text and text.strip() else None


@dataclass(frozen=True)
class EntryExtras:
    """What one entry needs that no database does: its abstract keys and its texts as indexed."""

    abstract_en_key: str | None
    abstract_zh_key: str | None
    index_text: dict  # text field → search index text


@dataclass
class Prepared:
    """One file, read and parsed, with what the import needs of it that no database does."""

    name: str
    checksum: str | None = None
    parsed: parsing.ParsedDigest | None = None
    error: str | None = None
    # One EntryExtras per parsed entry, in file order.
    entry_extras: list = field(default_factory=list)
    # Every author and institution name of the file → its normalized form; and each name, spaces
    # collapsed, → the start of the slug it gets if it is new.
    name_keys: dict = field(default_factory=dict)
    slug_bases: dict = field(default_factory=dict)
    # The bytes of a file not parsed because a digest with its checksum was imported before.
    unparsed: bytes | None = None
    # Asked for by the user: a file that ends mid-entry is imported without that entry (see parsing).
    complete_entries_only: bool = False


def prepare(data, *, name, complete_entries_only=False):
    """Parse one file's bytes and compute its checksum, abstract keys and search text."""
    checksum = hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()
    if len(name) > MAX_FILE_NAME_LENGTH:
        error = (
            f"{name[:60]}…: the file name is {len(name)} characters long; the limit is {MAX_FILE_NAME_LENGTH}"
        )
        return Prepared(name=name, checksum=checksum, error=error)
    try:
        parsed = parsing.parse_digest(data, name=name, complete_entries_only=complete_entries_only)
    except parsing.ParseError as err:
        return Prepared(name=name, checksum=checksum, error=str(err))
    extras = [
        EntryExtras(
            text_key(e.abstract_en),
            text_key(e.abstract_zh),
            {f: search.index_text(getattr(e, f)) for f in TEXT_FIELDS if getattr(e, f)},
        )
        for e in parsed.entries
    ]
    name_keys = {}
    for entry in parsed.entries:
        for n in (*entry.authors, *entry.institutions):
            key = name_keys[n] = normalize_name(n)
            if len(key) > parsing.MAX_NAME_LENGTH:
                # The parser bounds the name as written; folding (ß → ss, ㎏ → kg) can still lengthen it.
                error = f"{name}:{entry.line}: the name {n[:40]!r}… is too long once folded for matching"
                return Prepared(name=name, checksum=checksum, error=error)
    return Prepared(
        name=name,
        checksum=checksum,
        parsed=parsed,
        complete_entries_only=complete_entries_only,
        entry_extras=extras,
        name_keys=name_keys,
        slug_bases={spaced: slug_base(spaced) for spaced in {" ".join(n.split()) for n in name_keys}},
    )


def prepare_path(path, *, imported=frozenset(), complete_entries_only=False):
    """prepare() a file; one whose checksum is in `imported` is only read (re-imports are quick)."""
    try:
        data = path.read_bytes()
    except OSError as err:
        return Prepared(name=path.name, error=f"{path}: cannot read: {err.strerror}")
    checksum = hashlib.sha256(data).hexdigest()
    if checksum in imported:
        return Prepared(
            name=path.name, checksum=checksum, unparsed=data, complete_entries_only=complete_entries_only
        )
    return prepare(data, name=path.name, complete_entries_only=complete_entries_only)


def prepared_files(paths, *, parallel, imported, complete_entries_only):
    """(path, Prepared) for each path, in order; prepared in a forked worker process if parallel.

    Fork, because the worker needs nothing but this module's pure functions, already loaded, and
    starts in milliseconds; it never touches the parent's database connection. Where fork is not
    available the files are prepared here, one by one.
    """
    if not parallel or "fork" not in multiprocessing.get_all_start_methods() or sys.platform != "linux":
        for path in paths:
            yield path, prepare_path(path, imported=imported, complete_entries_only=complete_entries_only)
        return
    # The worker is forked with `imported` in its memory (initargs are not pickled under fork):
    # only paths and prepared files cross between the processes.
    with ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(imported, complete_entries_only),
    ) as pool:
        pending = deque()
        for path in paths:
            pending.append((path, pool.submit(_prepare_in_worker, path)))
            if len(pending) > PREPARE_AHEAD:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


_worker_options = {"imported": frozenset(), "complete_entries_only": False}


def _start_worker(imported, complete_entries_only):
    _worker_options.update(imported=imported, complete_entries_only=complete_entries_only)
    # Ctrl-C is the writer's to handle (it rolls back the file in progress); the worker just ends
    # with the pool.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _prepare_in_worker(path):
    return prepare_path(path, **_worker_options)
