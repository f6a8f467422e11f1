"""Load parsed digests into the database.

One file is one transaction. A paper's fields are always recomputed from all of its digest entries
in a fixed order (as-written text before machine translation, then file name, then position), so
importing the same files in any order gives the same papers, and a curator's edit is never touched.
"""

import datetime
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from . import parsing, search
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
)

# SQLite refuses statements with more bound parameters than this; PostgreSQL does not care.
CHUNK = 500
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


def digest_date(name):
    match = DATE_IN_NAME.search(name)
    if match:
        try:
            return datetime.date(*map(int, match.groups()))
        except ValueError:
            pass
    return timezone.localdate()


def import_digest(data, *, name, dry_run=False):
    """Import one digest file's bytes; never raises for bad input, the report says what happened."""
    report = ImportReport(name=name, dry_run=dry_run)
    try:
        parsed = parsing.parse_digest(data, name=name)
    except parsing.ParseError as err:
        report.status, report.error = "failed", str(err)
        return report
    report.warnings.extend(str(w) for w in parsed.warnings)

    checksum = hashlib.sha256(data if isinstance(data, bytes) else data.encode()).hexdigest()
    existing = Digest.objects.filter(checksum=checksum).first()
    if existing:
        report.status, report.digest_id = "unchanged", existing.pk
        report.warnings.clear()
        return report
    if Digest.objects.filter(name=name).exists():
        report.status = "failed"
        report.error = (
            f"a different digest named {name!r} was imported before; "
            "rename the file if it is a new digest (a digest's name is its identity)"
        )
        return report

    try:
        with transaction.atomic():
            _write(parsed, checksum=checksum, report=report)
            if dry_run:
                transaction.set_rollback(True)
    except DatabaseError as err:
        report.status, report.error = "failed", f"{name}: database refused the import: {err}"
        report.created = report.matched = report.updated = 0
    if dry_run:
        report.digest_id = None
    return report


def import_paths(paths, *, dry_run=False, progress=None):
    """Import files and folders (their *.txt files, by name); yields one report per file."""
    paths, imported = expand_paths(paths), 0
    for index, path in enumerate(paths):
        if progress:
            progress(path)
        try:
            data = path.read_bytes()
        except OSError as err:
            yield ImportReport(name=path.name, status="failed", error=f"{path}: cannot read: {err.strerror}")
            continue
        report = import_digest(data, name=path.name, dry_run=dry_run)
        if report.status == "imported" and not dry_run:
            imported += 1
            # After the 1st, 2nd, 4th, 8th… file, and after the last: statistics at most half stale.
            if imported & (imported - 1) == 0 or index == len(paths) - 1:
                refresh_statistics()
        yield report


def refresh_statistics():
    """Refresh PostgreSQL's planner statistics on the tables an import grows.

    Without them PostgreSQL plans a lookup of 100 names in a table it believes empty as a full
    scan: importing 30,000 entries into a new database took 3 times as long. Autovacuum would
    catch up eventually (when it is on, at its next round), so a bulk load does what PostgreSQL's
    manual advises after one: ANALYZE. SQLite is left without statistics on purpose: its default
    assumption that an index is selective is right for every lookup here, while ANALYZE judged the
    mostly-NULL abstract_zh_key index useless and made imports scan the entries (2.5 times slower).
    """
    if connection.vendor != "postgresql":
        return
    grown = (Paper, DigestEntry, Digest, Author, Institution, Authorship, Affiliation, SearchEntry)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in grown))


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
        self.paper = paper
        self.is_new = paper is None
        self.entries = []  # new DigestEntry objects from this file
        self.merged = None  # the values _merge() chose from all the paper's entries


def _write(parsed, *, checksum, report):
    digest = Digest.objects.create(
        name=parsed.name,
        format=parsed.format,
        checksum=checksum,
        published_on=digest_date(parsed.name),
        source=parsed.source or "",
        summary_items=list(parsed.summary_items),
        legend=dict(parsed.legend),
        entry_count=len(parsed.entries),
    )
    report.digest_id = digest.pk
    report.entries = len(parsed.entries)
    areas = _resolve_areas(parsed, report)

    slots = _match_papers(parsed, digest, report)
    old_entries = _existing_entries([s.paper.pk for s in slots if not s.is_new])

    new_papers, changed = [], []
    for slot in slots:
        entries = old_entries.get(slot.paper.pk, []) + slot.entries if not slot.is_new else slot.entries
        merged = _merge(entries)
        _report_conflicts(slot, merged, report)
        if slot.is_new:
            slot.paper = Paper()
            _apply(slot.paper, merged, areas)
            new_papers.append(slot.paper)
        elif _apply(slot.paper, merged, areas):
            changed.append(slot.paper)
        slot.merged = merged

    now = timezone.now()
    for paper in new_papers:
        paper.created_at = paper.updated_at = now
    _insert_papers(new_papers)
    for slot in slots:
        for entry in slot.entries:
            entry.paper = slot.paper
    _insert(DigestEntry, _ENTRY_COLUMNS, [_entry_row(e) for s in slots for e in s.entries])

    list_changed = _write_people(slots, report)
    for paper in changed + [p for p in list_changed if p not in changed]:
        paper.updated_at = now
    to_update = {p.pk: p for p in changed + list_changed}.values()
    if to_update:
        Paper.objects.bulk_update(list(to_update), [*_PAPER_FIELDS, "updated_at"], batch_size=CHUNK)

    report.created = len(new_papers)
    report.matched = sum(1 for s in slots if not s.is_new)
    report.updated = len({p.pk for p in changed + list_changed if p not in new_papers})
    # Bulk writes send no signals: the search index is brought up to date here, in the same transaction.
    search.reindex_papers([p.pk for p in new_papers] + [p.pk for p in to_update])


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
        report.warnings.append(f"new area {code} ({name_zh}) created; give it an English name in the admin")
    return areas


def _match_papers(parsed, digest, report):
    """Attach each entry to the paper it describes: by arXiv id, else by an identical abstract."""
    ids = {e.arxiv_id for e in parsed.entries if e.arxiv_id}
    keys = {k for e in parsed.entries for k in (text_key(e.abstract_en), text_key(e.abstract_zh)) if k}

    known = dict(_select_in(Paper, ("id", "arxiv_id"), "arxiv_id", ids))
    paper_ids_by_key = {}
    for column in ("abstract_en_key", "abstract_zh_key"):
        for key, paper_id in _select_in(DigestEntry, (column, "paper_id"), column, keys):
            paper_ids_by_key.setdefault(key, paper_id)
    # Most entries of a day are new papers: model instances are loaded only for the matched ones.
    slots_by_pk = {
        paper.pk: _Slot(paper)
        for chunk in _chunks(sorted(known.keys() | set(paper_ids_by_key.values())))
        for paper in Paper.objects.filter(pk__in=chunk).order_by()
    }
    by_id = {slots_by_pk[pk].paper.arxiv_id: slots_by_pk[pk] for pk in known}
    by_key = {key: slots_by_pk[pk] for key, pk in paper_ids_by_key.items()}

    slots = {}
    for position, parsed_entry in enumerate(parsed.entries, start=1):
        entry = _new_entry(parsed_entry, digest, position)
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


def _new_entry(parsed_entry, digest, position):
    e = parsed_entry
    return DigestEntry(
        digest=digest,
        position=position,
        section=e.section,
        number=e.number,
        line=e.line,
        arxiv_id=e.arxiv_id,
        area_code=e.area,
        title_en=e.title_en,
        title_zh=e.title_zh,
        summary_zh=e.summary_zh,
        abstract_en=e.abstract_en,
        abstract_zh=e.abstract_zh,
        authors=list(e.authors),
        authors_truncated=e.authors_truncated,
        institutions=list(e.institutions),
        machine_translated=sorted(e.machine_translated),
        abstract_en_key=text_key(e.abstract_en),
        abstract_zh_key=text_key(e.abstract_zh),
    )


_ENTRY_COLUMNS = [
    "digest_id", "paper_id", "position", "section", "number", "line", "arxiv_id", "area_code",
    *TEXT_FIELDS, "authors", "authors_truncated", "institutions", "machine_translated",
    "abstract_en_key", "abstract_zh_key",
]  # fmt: skip
_JSON_COLUMNS = {"authors", "institutions", "machine_translated"}


def _entry_row(entry):
    entry.paper_id = entry.paper.pk
    entry.digest_id = entry.digest.pk
    return tuple(
        json.dumps(getattr(entry, c), ensure_ascii=False) if c in _JSON_COLUMNS else getattr(entry, c)
        for c in _ENTRY_COLUMNS
    )


def _existing_entries(paper_ids):
    entries = {}
    for chunk in _chunks(paper_ids):
        for entry in DigestEntry.objects.filter(paper_id__in=chunk).select_related("digest"):
            entries.setdefault(entry.paper_id, []).append(entry)
    return entries


def _merge(entries):
    """The paper's digest-derived values, chosen from all its entries in a fixed order."""
    ordered = sorted(entries, key=lambda e: (e.digest.name, e.position))
    merged = {"entries": ordered}
    for name in TEXT_FIELDS:
        candidates = [
            (name in e.machine_translated, e.digest.name, e.position, getattr(e, name), e)
            for e in ordered
            if getattr(e, name)
        ]
        if candidates:
            machine, *_rest, value, _entry = min(candidates, key=lambda c: c[:3])
            merged[name] = (value, Source.MACHINE_TRANSLATION if machine else Source.DIGEST)
        else:
            merged[name] = (None, "")
    with_authors = [e for e in ordered if e.authors]
    merged["authors"] = list(with_authors[0].authors) if with_authors else []
    merged["authors_truncated"] = with_authors[0].authors_truncated if with_authors else False
    with_insts = [e for e in ordered if e.institutions]
    merged["institutions"] = list(with_insts[0].institutions) if with_insts else []
    merged["area_code"] = next((e.area_code for e in ordered if e.area_code), None)
    merged["arxiv_id"] = next((e.arxiv_id for e in ordered if e.arxiv_id), None)
    newest = max(ordered, key=lambda e: (e.digest.published_on, e.digest.pk or 0, -e.position))
    merged["listed"] = (newest.digest, newest.position)
    return merged


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


def _write_people(slots, report):
    """(Re)write ordered author and institution lists that are not curated; returns papers changed."""
    current = _current_lists([s.paper.pk for s in slots if not s.is_new])
    author_names = {n for s in slots for n in s.merged["authors"]}
    institution_names = {n for s in slots for n in s.merged["institutions"]}
    authors = _resolve_entities(Author, author_names)
    institutions = _resolve_entities(Institution, institution_names)

    changed = []
    for relation, model, ids_by_name, key, source_field, fk in (
        ("authorships", Authorship, authors, "authors", "authors_source", "author_id"),
        ("affiliations", Affiliation, institutions, "institutions", "institutions_source", "institution_id"),
    ):
        rewrite, rows = [], []
        for slot in slots:
            paper = slot.paper
            if getattr(paper, source_field) == Source.CURATOR:
                continue
            wanted = [ids_by_name[normalize_name(n)] for n in slot.merged[key]]
            if key == "institutions":
                # Two spellings of one merged institution are listed once. Authors are not deduplicated:
                # two "Y Zhu" on one paper are usually two people, and the list stays as written.
                wanted = list(dict.fromkeys(wanted))
            if not slot.is_new and current[relation].get(paper.pk, []) == wanted:
                continue
            if not slot.is_new:
                rewrite.append(paper.pk)
                changed.append(paper)
            rows.extend((paper.pk, pk, i) for i, pk in enumerate(wanted, 1))
        for chunk in _chunks(rewrite):
            model.objects.filter(paper_id__in=chunk).delete()
        _insert(model, ("paper_id", fk, "position"), rows)
    return changed


def _insert(model, columns, rows, *, returning=()):
    """Insert plain tuples as multi-row INSERT statements; returns the `returning` columns' rows.

    Papers, link rows, new names and entries are nearly all an import writes; bulk_create (a model
    instance per row, each value prepared through the ORM's compiler) cost more than the rest of
    the import together, and executemany costs one round trip per row on PostgreSQL.
    """
    if not rows:
        return []
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) VALUES "
    tail = f" RETURNING {', '.join(map(quote, returning))}" if returning else ""
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    per_statement = max(1, (connection.features.max_query_params or 30_000) // len(columns))
    returned = []
    with connection.cursor() as cursor:
        for chunk in _chunks(rows, per_statement):
            sql = head + ", ".join([placeholder] * len(chunk)) + tail
            cursor.execute(sql, [v for row in chunk for v in row])
            if returning:
                returned.extend(cursor.fetchall())
    return returned


def _insert_papers(papers):
    """Insert new papers and set their ids.

    Every new paper is listed at its first entry in this file, so `listed_position` tells the
    returned ids apart without relying on the order of RETURNING rows.
    """
    fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
    # Only dates need the backend's conversion; strings, numbers, booleans and None go as they are
    # (preparing all 22 values of each paper through its field took most of the insert's time).
    dates = {f.attname for f in fields if isinstance(f, models.DateField)}
    rows = [
        tuple(
            f.get_db_prep_save(getattr(p, f.attname), connection)
            if f.attname in dates
            else getattr(p, f.attname)
            for f in fields
        )
        for p in papers
    ]
    by_position = {p.listed_position: p for p in papers}
    assert len(by_position) == len(papers)
    for pk, position in _insert(Paper, [f.column for f in fields], rows, returning=("id", "listed_position")):
        paper = by_position[position]
        paper.pk = pk
        paper._state.adding, paper._state.db = False, connection.alias


def _select_in(model, columns, column, values):
    """The `columns` of the rows of `model` whose `column` is one of `values`, as tuples.

    Raw SQL because an import looks up thousands of ids, keys and names per file, and building an
    ORM `__in` lookup (every value prepared through its field) cost more than running the query.
    """
    quote = connection.ops.quote_name
    select = (
        f"SELECT {', '.join(map(quote, columns))} FROM {quote(model._meta.db_table)} "
        f"WHERE {quote(column)} IN "
    )
    rows = []
    with connection.cursor() as cursor:
        for chunk in _chunks(sorted(set(values))):
            cursor.execute(select + "(" + ", ".join(["%s"] * len(chunk)) + ")", chunk)
            rows.extend(cursor.fetchall())
    return rows


def _current_lists(paper_ids):
    current = {"authorships": {}, "affiliations": {}}
    for relation, model, fk in (
        ("authorships", Authorship, "author_id"),
        ("affiliations", Affiliation, "institution_id"),
    ):
        rows = sorted(_select_in(model, ("paper_id", "position", fk), "paper_id", paper_ids))
        for paper_id, _position, pk in rows:
            current[relation].setdefault(paper_id, []).append(pk)
    return current


def _resolve_entities(model, names):
    """Normalized name → id of the kept (unmerged) row, creating rows for names never seen."""
    wanted = {}
    for name in sorted(names):
        wanted.setdefault(normalize_name(name), " ".join(name.split()))
    found, merged_into = {}, {}
    for key, pk, target in _select_in(
        model, ("normalized_name", "id", "merged_into_id"), "normalized_name", wanted
    ):
        found[key] = pk
        if target:
            merged_into[pk] = target
    missing = [key for key in wanted if key not in found]
    if missing:
        # Most authors of a day's papers are new names.
        slugs = _assign_slugs(model, {key: wanted[key] for key in missing})
        rows = [(wanted[key], key, slugs[key]) for key in missing]
        found.update(
            _insert(model, ("name", "normalized_name", "slug"), rows, returning=("normalized_name", "id"))
        )
    _follow_merges(model, merged_into)
    return {key: _kept(pk, merged_into) for key, pk in found.items()}


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


def _assign_slugs(model, names):
    """normalized name → a slug no row has yet, for names about to be created."""
    bases = {
        key: slugify(name, allow_unicode=True)[:80].strip("-") or model.__name__.lower()
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
    return {slug for (slug,) in _select_in(model, ("slug",), "slug", slugs)}


def _name_hash(normalized_name):
    return hashlib.sha256(normalized_name.encode()).hexdigest()[:6]


def _chunks(items, size=CHUNK):
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
