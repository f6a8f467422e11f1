"""Load parsed digests into the database.

One file is one transaction. A paper's fields are always recomputed from all of its digest entries
in a fixed order (as-written text before machine translation, then file name, then position), so
importing the same files in any order gives the same papers, and a curator's edit is never touched.

Two steps per file: prepare() does everything that needs no database (parse, checksum, abstract
keys, search text, name keys), import_prepared() matches and writes. A load of many files runs the
first step in a second process, one file ahead of the writer. Writes are plain multi-row
statements, not model instances: at tens of thousands of entries the ORM's per-row work cost more
than the database's.
"""

import datetime
import hashlib
import json
import multiprocessing
import re
import signal
import sys
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from . import bulk, parsing, search
from .models import (
    TEXT_FIELDS,
    Affiliation,
    Area,
    Author,
    Authorship,
    Digest,
    DigestEntry,
    Institution,
    Paper,
    SearchEntry,
    Source,
    normalize_name,
    slug_base,
)

MAX_FILE_NAME_LENGTH = Digest._meta.get_field("name").max_length
DATE_IN_NAME = re.compile(r"(20\d\d)[-_.]?([01]\d)[-_.]?([0-3]\d)")


@dataclass
class ImportReport:
    """What importing one file did, or would do with --dry-run."""

    name: str
    status: str = "imported"  # imported | unchanged | failed
    dry_run: bool = False
    entries: int = 0
    created: int = 0
    matched: int = 0
    updated: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    digest_id: int | None = None

    @property
    def failed(self):
        return self.status == "failed"

    def summary(self):
        if self.status == "failed":
            return f"{self.name}: FAILED, nothing imported: {self.error}"
        if self.status == "unchanged":
            return f"{self.name}: unchanged, already imported (digest #{self.digest_id}); nothing written"
        verb = "would import" if self.dry_run else "imported"
        unchanged = self.matched - self.updated
        return (
            f"{self.name}: {verb} {self.entries} entries: {self.created} papers created, "
            f"{self.matched} matched ({self.updated} updated, {unchanged} unchanged), "
            f"{len(self.warnings)} warnings"
        )


def text_key(text):
    return hashlib.sha256(text.strip().encode()).hexdigest() if text and text.strip() else None


class FutureDateError(ValueError):
    """The date in a file name is later than any digest can be dated (see latest_digest_date)."""


def latest_digest_date():
    """The latest date a digest may have: tomorrow, for a digest dated where the day starts earlier.

    Lists and feeds put the newest digest first, so a typo such as 2062 would keep a digest's papers
    at the top of every list for decades.
    """
    return timezone.localdate() + datetime.timedelta(days=1)


def digest_date(name):
    """The date in a file name (2026-11-23, 20261123), else today; FutureDateError if after tomorrow."""
    match = DATE_IN_NAME.search(name)
    if match:
        try:
            date = datetime.date(*map(int, match.groups()))
        except ValueError:
            pass
        else:
            if date > latest_digest_date():
                raise FutureDateError(
                    f"{name}: the date in the file name, {date.isoformat()}, is more than a day after "
                    f"today ({timezone.localdate().isoformat()}); rename the file with the digest's real "
                    "date, since digests are listed by it"
                )
            return date
    return timezone.localdate()


@dataclass
class Prepared:
    """One file, read and parsed, with what the import needs of it that no database does.

    Computing it is pure (see prepare()), so import_paths() runs it in a second process while the
    first one writes the previous file: on a two-core machine parsing, hashing and folding the
    search text no longer add to the writer's time.
    """

    name: str
    checksum: str | None = None
    parsed: parsing.ParsedDigest | None = None
    error: str | None = None
    # Per entry, in file order: (abstract_en_key, abstract_zh_key, {text field: its search index text}).
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
        (
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
    names = name_keys.keys()
    return Prepared(
        name=name,
        checksum=checksum,
        parsed=parsed,
        complete_entries_only=complete_entries_only,
        entry_extras=extras,
        name_keys=name_keys,
        slug_bases={spaced: slug_base(spaced) for spaced in {" ".join(n.split()) for n in names}},
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


def import_digest(data, *, name, dry_run=False, complete_entries_only=False):
    """Import one digest file's bytes; never raises for bad input, the report says what happened."""
    prepared = prepare(data, name=name, complete_entries_only=complete_entries_only)
    return import_prepared(prepared, dry_run=dry_run)


def import_prepared(prepared, *, dry_run=False):
    report = ImportReport(name=prepared.name, dry_run=dry_run)
    if prepared.error:
        report.status, report.error = "failed", prepared.error
        return report
    try:
        with transaction.atomic():
            # Every check below is made, and every row written, after any other import has committed:
            # two imports introducing the same author or paper at once would otherwise both insert it.
            bulk.one_writer_at_a_time()
            bulk.plan_for_hot_indexes()
            _check_and_write(prepared, report)
            if dry_run or report.status != "imported":
                transaction.set_rollback(True)
    except DatabaseError as err:
        report.status, report.error = "failed", f"{prepared.name}: database refused the import: {err}"
        report.created = report.matched = report.updated = 0
    if dry_run:
        report.digest_id = None
    return report


def _check_and_write(prepared, report):
    name = prepared.name
    existing = Digest.objects.filter(checksum=prepared.checksum).first()
    if existing:
        report.status, report.digest_id = "unchanged", existing.pk
        return
    if prepared.unparsed is not None:
        # Its digest was removed since the file was read: parse it after all.
        prepared = prepare(prepared.unparsed, name=name, complete_entries_only=prepared.complete_entries_only)
        if prepared.error:
            report.status, report.error = "failed", prepared.error
            return
    if Digest.objects.filter(name=name).exists():
        report.status = "failed"
        report.error = (
            f"a different digest named {name!r} was imported before; "
            "rename the file if it is a new digest (a digest's name is its identity)"
        )
        return
    try:
        published_on = digest_date(name)
    except FutureDateError as err:
        report.status, report.error = "failed", str(err)
        return
    report.warnings.extend(str(w) for w in prepared.parsed.warnings)
    _write(prepared, report=report, published_on=published_on)


# Files prepared ahead of the one being written: enough to keep the second process busy, few enough
# that a slow database never piles up parsed files in memory.
PREPARE_AHEAD = 4


def import_paths(paths, *, dry_run=False, progress=None, parallel=None, complete_entries_only=False):
    """Import files and folders (their *.txt files, by name); yields one report per file.

    With several files (or parallel=True) a second process reads and parses the next files while
    this one writes; the reports, and what is written, are the same either way.
    """
    paths, imported = expand_paths(paths), 0
    if parallel is None:
        parallel = len(paths) > PREPARE_AHEAD
    imported_before = frozenset(Digest.objects.values_list("checksum", flat=True))
    files = _prepared(
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


def _prepared(paths, *, parallel, imported, complete_entries_only):
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


# --- the write itself -------------------------------------------------------------------------


class _Slot:
    """The paper one or more entries of this file belong to: an existing row or a new one."""

    def __init__(self, paper=None):
        self.paper = paper  # the model instance of an existing paper; new papers are written as rows
        self.paper_id = paper.pk if paper is not None else None
        self.is_new = paper is None
        self.entries = []  # this file's new entries (_Entry)
        self.merged = None  # the values _merge() chose from all the paper's entries
        self.people = {}  # "authors" / "institutions" → ids of the kept rows, as written (new papers)

    def curated(self, source_field):
        return self.paper is not None and getattr(self.paper, source_field) == Source.CURATOR


class _Entry:
    """A new digest entry: a DigestEntry's attributes, without the model instance.

    _merge() and _report_conflicts() read these and stored DigestEntry rows alike; building a model
    instance per entry cost more than writing it.
    """

    __slots__ = (
        "digest", "position", "section", "number", "line", "arxiv_id", "area_code",
        *TEXT_FIELDS, "authors", "authors_truncated", "institutions", "machine_translated",
        "abstract_en_key", "abstract_zh_key", "index_text",
    )  # fmt: skip

    def __init__(self, parsed_entry, extras, digest, position):
        e = parsed_entry
        self.digest, self.position = digest, position
        self.section, self.number, self.line = e.section, e.number, e.line
        self.arxiv_id, self.area_code = e.arxiv_id, e.area
        self.title_en, self.title_zh, self.summary_zh = e.title_en, e.title_zh, e.summary_zh
        self.abstract_en, self.abstract_zh = e.abstract_en, e.abstract_zh
        self.authors, self.authors_truncated = list(e.authors), e.authors_truncated
        self.institutions = list(e.institutions)
        self.machine_translated = sorted(e.machine_translated)
        self.abstract_en_key, self.abstract_zh_key, self.index_text = extras


def _write(prepared, *, report, published_on):
    parsed = prepared.parsed
    digest = Digest.objects.create(
        name=parsed.name,
        format=parsed.format,
        checksum=prepared.checksum,
        published_on=published_on,
        reposted_from=parsed.reposted_from or "",
        summary_items=list(parsed.summary_items),
        legend=dict(parsed.legend),
        entry_count=len(parsed.entries),
    )
    report.digest_id = digest.pk
    report.entries = len(parsed.entries)
    areas = _resolve_areas(parsed, report)

    slots = _match_papers(prepared, digest, report)
    old_entries = _existing_entries([s.paper_id for s in slots if not s.is_new])

    new_slots, changed = [], []
    for slot in slots:
        entries = old_entries.get(slot.paper_id, []) + slot.entries if not slot.is_new else slot.entries
        merged = _merge(entries)
        _report_conflicts(slot, merged, report)
        slot.merged = merged
        if slot.is_new:
            new_slots.append(slot)
        elif _apply(slot.paper, merged, areas):
            changed.append(slot.paper)

    now = timezone.now()
    _insert_papers(new_slots, areas=areas, now=now)
    bulk.insert(DigestEntry, _ENTRY_COLUMNS, [_entry_row(e, s.paper_id) for s in slots for e in s.entries])

    entities = _write_people(slots, prepared)
    list_changed = [s.paper for s in slots if not s.is_new and s.people_changed]
    for paper in changed + [p for p in list_changed if p not in changed]:
        paper.updated_at = now
    to_update = {p.pk: p for p in changed + list_changed}.values()
    if to_update:
        Paper.objects.bulk_update(list(to_update), [*_PAPER_FIELDS, "updated_at"], batch_size=bulk.CHUNK)

    report.created = len(new_slots)
    report.matched = len(slots) - len(new_slots)
    report.updated = len(to_update)
    # Bulk writes send no signals: the search index is brought up to date here, in the same
    # transaction. New papers' rows come from what this import holds in memory; papers that
    # changed are read back, since a curator's text or list may be part of them.
    search.index_new_papers([_index_row(slot, entities) for slot in new_slots])
    search.reindex_papers([p.pk for p in to_update])


def _index_row(slot, entities):
    """A new paper's search index row, as search.reindex_papers() would read it back."""
    folded = {name: entry.index_text[name] for name, entry in slot.merged["from"].items()}
    if slot.merged["arxiv_id"]:
        folded["arxiv_id"] = search.index_text(slot.merged["arxiv_id"])
    people = [
        search.index_text(label)
        for kind in ("authors", "institutions")
        for pk in slot.people[kind]
        for label in entities[kind][pk]
    ]
    return (slot.paper_id, *search.paper_columns(folded, people))


_PAPER_FIELDS = [
    "arxiv_id", "area", "authors_truncated", "listed_digest", "listed_on", "listed_position",
    *TEXT_FIELDS, *(f"{f}_source" for f in TEXT_FIELDS), "authors_source", "institutions_source",
]  # fmt: skip


def _resolve_areas(parsed, report):
    codes = {e.area for e in parsed.entries if e.area}
    areas = {a.code: a for a in Area.objects.filter(code__in=codes)}
    for code in sorted(codes - areas.keys()):
        name_zh = parsed.legend.get(code, code)
        areas[code] = Area.objects.create(code=code, name_en=code, name_zh=name_zh)
        report.warnings.append(
            f"new area {code} ({name_zh}) created; a superuser can give it an English name in the admin"
        )
    return areas


def _match_papers(prepared, digest, report):
    """Attach each entry to the paper it describes: by arXiv id, else by an identical abstract."""
    entries = [
        _Entry(parsed_entry, extras, digest, position)
        for position, (parsed_entry, extras) in enumerate(
            zip(prepared.parsed.entries, prepared.entry_extras, strict=True), start=1
        )
    ]
    ids = {e.arxiv_id for e in entries if e.arxiv_id}
    keys = {k for e in entries for k in (e.abstract_en_key, e.abstract_zh_key) if k}

    known = dict(bulk.select_in(Paper, ("id", "arxiv_id"), "arxiv_id", ids))
    paper_ids_by_key = {}
    for column in ("abstract_en_key", "abstract_zh_key"):
        for key, paper_id in bulk.select_in(DigestEntry, (column, "paper_id"), column, keys):
            paper_ids_by_key.setdefault(key, paper_id)
    # Most entries of a day are new papers: model instances are loaded only for the matched ones.
    slots_by_pk = {
        paper.pk: _Slot(paper)
        for chunk in bulk.chunks(sorted(known.keys() | set(paper_ids_by_key.values())))
        for paper in Paper.objects.filter(pk__in=chunk).order_by()
    }
    by_id = {slots_by_pk[pk].paper.arxiv_id: slots_by_pk[pk] for pk in known}
    by_key = {key: slots_by_pk[pk] for key, pk in paper_ids_by_key.items()}

    slots = {}
    for entry in entries:
        entry_keys = [k for k in (entry.abstract_en_key, entry.abstract_zh_key) if k]
        slot = by_id.get(entry.arxiv_id) if entry.arxiv_id else None
        if slot is None:
            for key in entry_keys:
                candidate = by_key.get(key)
                if candidate is None:
                    continue
                other_id = _slot_arxiv_id(candidate)
                if entry.arxiv_id and other_id and other_id != entry.arxiv_id:
                    report.warnings.append(
                        f"line {entry.line}: same abstract as arXiv {other_id} but the link says "
                        f"{entry.arxiv_id}; kept as separate papers"
                    )
                    continue
                slot = candidate
                break
        if slot is None:
            slot = _Slot()
        slot.entries.append(entry)
        if entry.arxiv_id:
            by_id.setdefault(entry.arxiv_id, slot)
        for key in entry_keys:
            by_key.setdefault(key, slot)
        slots[id(slot)] = slot
    return list(slots.values())


def _slot_arxiv_id(slot):
    if slot.paper is not None and slot.paper.arxiv_id:
        return slot.paper.arxiv_id
    return next((e.arxiv_id for e in slot.entries if e.arxiv_id), None)


_ENTRY_COLUMNS = [
    "digest_id", "paper_id", "position", "section", "number", "line", "arxiv_id", "area_code",
    *TEXT_FIELDS, "authors", "authors_truncated", "institutions", "machine_translated",
    "abstract_en_key", "abstract_zh_key",
]  # fmt: skip


def _entry_row(e, paper_id):
    def as_json(value):
        return json.dumps(value, ensure_ascii=False)

    return (
        e.digest.pk, paper_id, e.position, e.section, e.number, e.line, e.arxiv_id, e.area_code,
        *(getattr(e, f) for f in TEXT_FIELDS),
        as_json(e.authors), e.authors_truncated, as_json(e.institutions), as_json(e.machine_translated),
        e.abstract_en_key, e.abstract_zh_key,
    )  # fmt: skip


def _existing_entries(paper_ids):
    entries = {}
    for chunk in bulk.chunks(paper_ids):
        for entry in DigestEntry.objects.filter(paper_id__in=chunk).select_related("digest"):
            entries.setdefault(entry.paper_id, []).append(entry)
    return entries


def _merge(entries):
    """The paper's digest-derived values, chosen from all its entries in a fixed order."""
    ordered = sorted(entries, key=lambda e: (e.digest.name, e.position)) if len(entries) > 1 else entries
    merged = {"entries": ordered, "from": {}}
    for name in TEXT_FIELDS:
        candidates = [
            (name in e.machine_translated, e.digest.name, e.position, getattr(e, name), e)
            for e in ordered
            if getattr(e, name)
        ]
        if candidates:
            machine, *_rest, value, entry = min(candidates, key=lambda c: c[:3])
            merged[name] = (value, Source.MACHINE_TRANSLATION if machine else Source.DIGEST)
            merged["from"][name] = entry
        else:
            merged[name] = (None, "")
    with_authors = [e for e in ordered if e.authors]
    merged["authors"] = list(with_authors[0].authors) if with_authors else []
    merged["authors_truncated"] = with_authors[0].authors_truncated if with_authors else False
    with_insts = [e for e in ordered if e.institutions]
    merged["institutions"] = list(with_insts[0].institutions) if with_insts else []
    merged["area_code"] = next((e.area_code for e in ordered if e.area_code), None)
    merged["arxiv_id"] = next((e.arxiv_id for e in ordered if e.arxiv_id), None)
    newest = newest_appearance(ordered)
    merged["listed"] = (newest.digest, newest.position)
    return merged


def newest_appearance(entries):
    """The entry a paper is listed at: its newest appearance. Newest digest date, then the digest
    imported last (highest id), then the first place in that digest. Imports and curation's
    re-dating and deleting of digests (papers.curation) all list papers by this rule."""
    return max(entries, key=lambda e: (e.digest.published_on, e.digest.pk or 0, -e.position))


def _apply(paper, merged, areas):
    """Set the digest-derived values on a paper, leaving curated fields alone. True if anything changed."""
    before = {f: getattr(paper, f) for f in _PAPER_FIELDS if f != "area"} | {"area": paper.area_id}
    for name in TEXT_FIELDS:
        if getattr(paper, f"{name}_source") == Source.CURATOR:
            continue
        value, source = merged[name]
        setattr(paper, name, value)
        setattr(paper, f"{name}_source", source)
    if merged["arxiv_id"] and not paper.arxiv_id:
        paper.arxiv_id = merged["arxiv_id"]
    if merged["area_code"] and not paper.area_id:
        paper.area = areas.get(merged["area_code"]) or Area.objects.get(code=merged["area_code"])
    if paper.authors_source != Source.CURATOR:
        paper.authors_truncated = merged["authors_truncated"]
        paper.authors_source = Source.DIGEST if merged["authors"] else ""
    if paper.institutions_source != Source.CURATOR:
        paper.institutions_source = Source.DIGEST if merged["institutions"] else ""
    digest, position = merged["listed"]
    paper.listed_digest, paper.listed_on, paper.listed_position = digest, digest.published_on, position
    after = {f: getattr(paper, f) for f in _PAPER_FIELDS if f != "area"} | {"area": paper.area_id}
    if before["listed_digest"] is not None:
        before["listed_digest"] = before["listed_digest"].pk
    after["listed_digest"] = digest.pk
    return before != after


def _report_conflicts(slot, merged, report):
    """Tell the importer when this file's text disagrees with what the paper keeps."""
    paper = slot.paper
    label = f"arXiv {merged['arxiv_id']}" if merged["arxiv_id"] else (f"paper #{paper.pk}" if paper else "it")
    for entry in slot.entries:
        for name in TEXT_FIELDS:
            value = getattr(entry, name)
            if not value:
                continue
            if paper is not None and getattr(paper, f"{name}_source") == Source.CURATOR:
                if value != getattr(paper, name):
                    report.warnings.append(
                        f"line {entry.line}: {name} differs from the curator's edit of {label}; "
                        "kept the curator's text"
                    )
                continue
            kept, _source = merged[name]
            had = getattr(paper, name) if paper is not None else None
            if had is not None and had != value and kept == value:
                report.warnings.append(
                    f"line {entry.line}: {name} differs from the text {label} had; replaced it with this "
                    "file's text (the earliest file by name wins)"
                )
            elif kept is not None and kept != value:
                report.warnings.append(
                    f"line {entry.line}: {name} differs from the text {label} already has; kept that text "
                    "(the earliest file by name wins)"
                )


def _write_people(slots, prepared):
    """(Re)write the ordered author and institution lists that are not curated.

    Sets each slot's `people` (ids of the kept rows, in list order) and `people_changed` (an
    existing paper whose list was rewritten). Returns, per kind, kept id → the names the search
    index lists for it (its own, then its aliases'), for the ids that new papers list.
    """
    name_keys = prepared.name_keys
    current = _current_lists([s.paper_id for s in slots if not s.is_new])
    for slot in slots:
        slot.people_changed = False
    labels = {}
    for kind, relation, model, link, source_field, fk in (
        ("authors", "authorships", Author, Authorship, "authors_source", "author_id"),
        ("institutions", "affiliations", Institution, Affiliation, "institutions_source", "institution_id"),
    ):
        names = {n for s in slots for n in s.merged[kind]}
        ids_by_key, created = _resolve_entities(model, names, name_keys, prepared.slug_bases)
        id_of = {name: ids_by_key[_name_key(name, name_keys)] for name in names}
        rewrite, rows = [], []
        for slot in slots:
            if slot.curated(source_field):
                continue
            wanted = [id_of[n] for n in slot.merged[kind]]
            if kind == "institutions":
                # Two spellings of one merged institution are listed once. Authors are not deduplicated:
                # two "Y Zhu" on one paper are usually two people, and the list stays as written.
                wanted = list(dict.fromkeys(wanted))
            slot.people[kind] = wanted
            if not slot.is_new and current[relation].get(slot.paper_id, []) == wanted:
                continue
            if not slot.is_new:
                rewrite.append(slot.paper_id)
                slot.people_changed = True
            rows.extend((slot.paper_id, pk, i) for i, pk in enumerate(wanted, 1))
        for chunk in bulk.chunks(rewrite):
            link.objects.filter(paper_id__in=chunk).delete()
        bulk.insert(link, ("paper_id", fk, "position"), rows)

        listed = {pk for s in slots if s.is_new for pk in s.people[kind]}
        labels[kind] = {pk: [name] for pk, name in created.items()}
        labels[kind].update(search.names_with_aliases(model, listed - created.keys()))
    return labels


def _name_key(name, name_keys):
    # Names of this file were normalized while it was prepared; older entries' names were not.
    return name_keys[name] if name in name_keys else normalize_name(name)


def _insert_papers(slots, *, areas, now):
    """Insert new papers straight from their merged values, and set the slots' paper ids.

    Every new paper is listed at its first entry in this file, so `listed_position` tells the
    returned ids apart without relying on the order of RETURNING rows.
    """
    if not slots:
        return
    fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
    # Every value is prepared for the database once per file, not once per paper: the rest are
    # strings, numbers, booleans and None, which go as they are.
    row = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    row["created_at"] = row["updated_at"] = Paper._meta.get_field("created_at").get_db_prep_save(
        now, connection
    )
    digest = slots[0].merged["listed"][0]
    row["listed_digest_id"] = digest.pk
    row["listed_on"] = Paper._meta.get_field("listed_on").get_db_prep_save(digest.published_on, connection)
    rows = []
    for slot in slots:
        merged = slot.merged
        assert merged["listed"][0] is digest  # a new paper's newest entry is in this file
        for name in TEXT_FIELDS:
            row[name], row[f"{name}_source"] = merged[name]
        row["arxiv_id"] = merged["arxiv_id"]
        row["area_id"] = areas[merged["area_code"]].pk if merged["area_code"] else None
        row["authors_truncated"] = merged["authors_truncated"]
        row["authors_source"] = Source.DIGEST if merged["authors"] else ""
        row["institutions_source"] = Source.DIGEST if merged["institutions"] else ""
        row["listed_position"] = merged["listed"][1]
        rows.append(tuple(row[f.attname] for f in fields))
    by_position = {slot.merged["listed"][1]: slot for slot in slots}
    assert len(by_position) == len(slots)
    for pk, position in bulk.insert(
        Paper, [f.column for f in fields], rows, returning=("id", "listed_position")
    ):
        by_position[position].paper_id = pk


def _current_lists(paper_ids):
    current = {"authorships": {}, "affiliations": {}}
    for relation, model, fk in (
        ("authorships", Authorship, "author_id"),
        ("affiliations", Affiliation, "institution_id"),
    ):
        rows = sorted(bulk.select_in(model, ("paper_id", "position", fk), "paper_id", paper_ids))
        for paper_id, _position, pk in rows:
            current[relation].setdefault(paper_id, []).append(pk)
    return current


def _resolve_entities(model, names, name_keys, slug_bases):
    """Normalized name → id of the kept (unmerged) row, creating rows for names never seen.

    Also returns the rows it created, id → name.
    """
    wanted = {}
    for name in sorted(names):
        wanted.setdefault(_name_key(name, name_keys), " ".join(name.split()))
    found, merged_into = {}, {}
    for key, pk, target in bulk.select_in(
        model, ("normalized_name", "id", "merged_into_id"), "normalized_name", wanted
    ):
        found[key] = pk
        if target:
            merged_into[pk] = target
    missing = [key for key in wanted if key not in found]
    created = {}
    if missing:
        # Most authors of a day's papers are new names.
        slugs = _assign_slugs(model, {key: wanted[key] for key in missing}, slug_bases)
        rows = [(wanted[key], key, slugs[key]) for key in missing]
        new = dict(
            bulk.insert(model, ("name", "normalized_name", "slug"), rows, returning=("normalized_name", "id"))
        )
        found.update(new)
        created = {pk: wanted[key] for key, pk in new.items()}
    _follow_merges(model, merged_into)
    return {key: _kept(pk, merged_into) for key, pk in found.items()}, created


def _follow_merges(model, merged_into):
    """Load the rest of each alias chain (an alias of an alias) so _kept() needs no query."""
    pending = set(merged_into.values()) - merged_into.keys()
    while pending:
        rows = model.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
            "pk", "merged_into_id"
        )
        new = dict(rows)
        merged_into.update(new)
        pending = set(new.values()) - merged_into.keys()


def _kept(pk, merged_into):
    seen = set()
    while pk in merged_into and pk not in seen:  # a cycle would be a curator's mistake; stop, not hang
        seen.add(pk)
        pk = merged_into[pk]
    return pk


def _assign_slugs(model, names, slug_bases):
    """normalized name → a slug no row has yet, for names about to be created."""
    bases = {
        key: (slug_bases[name] if name in slug_bases else slug_base(name)) or model.__name__.lower()
        for key, name in names.items()
    }
    taken = _taken_slugs(model, set(bases.values()))
    taken |= _taken_slugs(
        model, {f"{base}-{_name_hash(key)}" for key, base in bases.items() if base in taken}
    )
    slugs = {}
    for key, base in bases.items():
        slug = base
        if slug in taken:
            # A short hash of the name keeps slugs unique without a query per row.
            slug = f"{base}-{_name_hash(key)}"
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[key] = slug
    return slugs


def _taken_slugs(model, slugs):
    return {slug for (slug,) in bulk.select_in(model, ("slug",), "slug", slugs)}


def _name_hash(normalized_name):
    return hashlib.sha256(normalized_name.encode()).hexdigest()[:6]
