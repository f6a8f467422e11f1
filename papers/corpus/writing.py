"""Writing a synthetic corpus: digests, papers, their entries, people and search index rows.

Rows are written as the importer leaves them (listing columns, provenance, one DigestEntry per
appearance, affiliations to the kept institution of a merged spelling, the index row of
papers.search.text.paper_columns), but straight from fake.py's digests as plain tuples through
papers.bulk: building model instances or going through the importer's matching would cost more
than the database's own work (the importer does 1,000 entries/s; this, several times that).

Every PREPARE_DAYS digests are one transaction, so a second process can make the next papers
while this one writes, and an interrupted run keeps whole days: --append continues it exactly.
"""

import datetime
import hashlib
import json
import multiprocessing
import signal
import sys
import time
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from .. import bulk, search
from ..importing.pipeline import text_key
from ..importing.rules import latest_digest_date
from ..models import (
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
    kept_id,
    normalize_name,
    slug_base,
)
from . import fake, vocabulary

# Days the second process makes at a time (one transaction of the writer), and how many of those it
# may be ahead: enough to keep it busy while the writer commits, a few MB of text each.
PREPARE_DAYS, PREPARE_AHEAD = 10, 4
PROGRESS_EVERY = 10_000  # papers


class CorpusError(Exception):
    """The corpus cannot be generated here; the message says why and what to do."""


@dataclass
class Generated:
    papers: int = 0
    digests: int = 0
    authors: int = 0  # rows created
    institutions: int = 0  # rows created, aliases included
    seconds: float = 0.0
    index_seconds: float = 0.0  # of which writing the search index

    def summary(self):
        return (
            f"generated {self.papers:,} papers in {self.digests:,} digests "
            f"({self.authors:,} new authors, {self.institutions:,} new institutions) in {self.seconds:.1f}s"
        )


def generate(papers, *, seed=1, append=False, progress=None, parallel=None):
    """Add `papers` synthetic papers, as fake.py makes them from `seed`; returns a Generated.

    Refuses a database that has papers unless `append`: then the new digests follow the newest
    synthetic one, so generating 300 papers, or 200 and then 100 more, writes the same corpus.
    `progress(papers_so_far, seconds)` is called every PROGRESS_EVERY papers. With more than
    PREPARE_DAYS digests (or parallel=True), a second process makes the papers while this one writes.
    """
    started = time.perf_counter()
    if papers < 1:
        raise CorpusError("--papers must be at least 1")
    existing = Paper.objects.count()
    if existing and not append:
        raise CorpusError(
            f"the database already has {existing:,} papers; generate_corpus fills an empty database. "
            "Pass --append to add synthetic papers to these, or point DATABASE_URL at an empty database."
        )
    first_day = _next_day()
    days = -(-papers // fake.DIGEST_SIZE)
    last = fake.START + datetime.timedelta(days=first_day + days - 1)
    if last > latest_digest_date(timezone.localdate()):
        raise CorpusError(
            f"{papers:,} more papers would need digests up to {last.isoformat()}, after tomorrow; "
            "digests are never dated in the future. Generate fewer papers."
        )
    plan = [(day, min(fake.DIGEST_SIZE, papers - (day - first_day) * fake.DIGEST_SIZE))
            for day in range(first_day, first_day + days)]  # fmt: skip
    if parallel is None:
        parallel = days > PREPARE_DAYS
    done = Generated()
    writer = _Writer(seed, done)
    for chunk in _prepared_chunks(seed, plan, parallel=parallel):
        before = done.papers
        with transaction.atomic():
            bulk.one_writer_at_a_time()  # an import running meanwhile waits, as for another import
            writer.write(chunk)
        if progress and done.papers // PROGRESS_EVERY > before // PROGRESS_EVERY:
            progress(done.papers, time.perf_counter() - started)
    _refresh_statistics()
    done.seconds = time.perf_counter() - started
    return done


def _next_day():
    """The day after the newest synthetic digest (the first day in a database without one)."""
    days = [
        fake.day_of(name)
        for name in Digest.objects.filter(name__startswith="synthetic-").values_list("name", flat=True)
    ]
    days = [d for d in days if d is not None]
    return max(days) + 1 if days else 0


def _refresh_statistics():
    """Statistics for the planner, since readers come next (see bulk.analyze_for_readers)."""
    bulk.analyze_for_readers(
        (Paper, DigestEntry, Digest, Author, Institution, Authorship, Affiliation, SearchEntry)
    )


@dataclass
class _Prepared:
    """A fake digest and what its rows need that no database id does: made in the second process."""

    digest: fake.FakeDigest
    folded: list  # each entry's fields as the index holds them (search.text.index_text)
    entry_rows: list  # each entry's DigestEntry columns after digest_id and paper_id


def _prepare(seed, plan):
    """The fake digests of plan's (day, entry count) pairs: pure Python, no database."""
    prepared = []
    for day, count in plan:
        digest = fake.fake_digest(seed, day, count)
        prepared.append(
            _Prepared(digest, [_folded(e) for e in digest.entries], [_entry_row(e) for e in digest.entries])
        )
    return prepared


def _prepared_chunks(seed, plan, *, parallel):
    """Lists of PREPARE_DAYS _Prepared digests of the plan, in order; made in a forked worker
    process if parallel.

    As the importer prepares files (papers.importing.pipeline): fork, since the worker needs only
    pure functions already loaded and never touches the parent's database connection.
    """
    chunks = [plan[i : i + PREPARE_DAYS] for i in range(0, len(plan), PREPARE_DAYS)]
    if not parallel or "fork" not in multiprocessing.get_all_start_methods() or sys.platform != "linux":
        for chunk in chunks:
            yield _prepare(seed, chunk)
        return
    with ProcessPoolExecutor(
        max_workers=1, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
    ) as pool:
        pending = deque()
        for chunk in chunks:
            pending.append(pool.submit(_prepare, seed, chunk))
            if len(pending) > PREPARE_AHEAD:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _start_worker():
    # Ctrl-C is the writer's to handle (it rolls back the transaction in progress); the worker just ends.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class _People:
    """One table of authors or institutions, in memory: name → kept row, kept row → index names."""

    def __init__(self, model):
        self.model = model
        rows = list(
            model.objects.order_by("pk").values_list(
                "pk", "name", "normalized_name", "slug", "merged_into_id"
            )
        )
        merged_into = {pk: target for pk, _, _, _, target in rows if target}
        self.kept = {key: kept_id(pk, merged_into.get) for pk, _, key, _, _ in rows}
        # What papers.search.names_with_aliases() lists for a row: its name, then its aliases'.
        self.labels = {pk: [name] for pk, name, _, _, _ in rows}
        for _, name, _, _, target in rows:
            if target:
                self.labels[target].append(name)
        self.slugs = {slug for _, _, _, slug, _ in rows}
        self.created = 0
        self._index_names = {}

    def ids(self, names, *, merged_into=None):
        """Name → id of its kept row, creating rows for names never seen (aliases of `merged_into`)."""
        wanted = {}
        for name in names:
            key = normalize_name(name)
            if key not in self.kept and key not in wanted:
                wanted[key] = name
        if wanted:
            rows = [(name, key, self._slug(name), merged_into) for key, name in wanted.items()]
            returned = bulk.insert(
                self.model,
                ("name", "normalized_name", "slug", "merged_into_id"),
                rows,
                returning=("id", "normalized_name"),
            )
            for pk, key in sorted(returned):  # aliases are listed oldest first
                self.kept[key] = merged_into or pk
                self.labels[pk] = [wanted[key]]
                if merged_into:
                    self.labels[merged_into].append(wanted[key])
                    self._index_names.pop(merged_into, None)
            self.created += len(returned)
        return {name: self.kept[normalize_name(name)] for name in names}

    def _slug(self, name):
        base = slug_base(name) or self.model.__name__.lower()
        slug, n = base, 1
        while slug in self.slugs:
            n += 1
            slug = f"{base}-{n}"
        self.slugs.add(slug)
        return slug

    def index_names(self, pk):
        """A kept row's names as its papers' index rows list them (folded once, not once a paper)."""
        if pk not in self._index_names:
            self._index_names[pk] = [search.index_text(label) for label in self.labels[pk]]
        return self._index_names[pk]


class _Writer:
    def __init__(self, seed, done):
        self.seed, self.done = seed, done
        self.areas = dict(Area.objects.values_list("code", "pk"))
        self.authors = _People(Author)
        self.institutions = _People(Institution)
        kept = self.institutions.ids([name for name, _ in vocabulary.INSTITUTIONS])
        for name, aliases in vocabulary.INSTITUTIONS:
            if aliases:
                self.institutions.ids(aliases, merged_into=kept[name])
        # Institution number (its place in vocabulary.INSTITUTIONS) → its kept row.
        self.institution_ids = [kept[name] for name, _ in vocabulary.INSTITUTIONS]
        self.paper_fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
        self.defaults = {
            f.attname: f.get_db_prep_save(f.get_default(), connection) for f in self.paper_fields
        }

    def write(self, chunk):
        """Write a list of _Prepared digests."""
        digests = [p.digest for p in chunk]
        authors = self.authors.ids(sorted({a for d in digests for e in d.entries for a in e.authors}))
        self.done.authors, self.done.institutions = self.authors.created, self.institutions.created
        digest_ids = self._insert_digests(digests)
        papers = self._insert_papers(digests, digest_ids)
        entries, authorships, affiliations, index = [], [], [], []
        for prepared in chunk:
            digest_id = digest_ids[prepared.digest.name]
            for e, folded, entry_row in zip(
                prepared.digest.entries, prepared.folded, prepared.entry_rows, strict=True
            ):
                pk = papers[digest_id, e.position]
                entries.append((digest_id, pk, *entry_row))
                author_ids = [authors[a] for a in e.authors]
                institution_ids = list(dict.fromkeys(self.institution_ids[i] for i, _ in e.institutions))
                authorships += [(pk, a, i) for i, a in enumerate(author_ids, 1)]
                affiliations += [(pk, a, i) for i, a in enumerate(institution_ids, 1)]
                people = [n for a in author_ids for n in self.authors.index_names(a)]
                people += [n for a in institution_ids for n in self.institutions.index_names(a)]
                index.append((pk, *search.paper_columns(folded, people)))
        bulk.insert(DigestEntry, _ENTRY_COLUMNS, entries)
        bulk.insert(Authorship, ("paper_id", "author_id", "position"), authorships)
        bulk.insert(Affiliation, ("paper_id", "institution_id", "position"), affiliations)
        indexing = time.perf_counter()
        search.index_new_papers(index)
        self.done.index_seconds += time.perf_counter() - indexing
        self.done.papers += len(papers)
        self.done.digests += len(digests)

    def _insert_digests(self, digests):
        imported_at = Digest._meta.get_field("imported_at").get_db_prep_save(timezone.now(), connection)
        published = Digest._meta.get_field("published_on")
        rows = [
            (
                d.name,
                d.format,
                hashlib.sha256(f"synthetic corpus, seed {self.seed}: {d.name}".encode()).hexdigest(),
                published.get_db_prep_save(d.published_on, connection),
                vocabulary.SOURCE if d.format == "daily" else "",
                json.dumps(d.summary_items, ensure_ascii=False),
                json.dumps(vocabulary.LEGEND if d.format == "daily" else {}, ensure_ascii=False),
                len(d.entries),
                imported_at,
            )
            for d in digests
        ]
        columns = ("name", "format", "checksum", "published_on", "reposted_from", "summary_items", "legend",
                   "entry_count", "imported_at")  # fmt: skip
        return {name: pk for pk, name in bulk.insert(Digest, columns, rows, returning=("id", "name"))}

    def _insert_papers(self, digests, digest_ids):
        """Insert the digests' papers, each listed at its entry (its only appearance); returns
        (digest id, position) → paper id."""
        row = dict(self.defaults)
        now = Paper._meta.get_field("created_at").get_db_prep_save(timezone.now(), connection)
        row["created_at"] = row["updated_at"] = now
        listed_on = Paper._meta.get_field("listed_on")
        rows = []
        for digest in digests:
            row["listed_digest_id"] = digest_ids[digest.name]
            row["listed_on"] = listed_on.get_db_prep_save(digest.published_on, connection)
            for e in digest.entries:
                for name in TEXT_FIELDS:
                    value = getattr(e, name)
                    row[name] = value
                    row[f"{name}_source"] = "" if value is None else _source(e, name)
                row["arxiv_id"] = e.arxiv_id
                row["area_id"] = self.areas[e.area] if e.area else None
                row["authors_truncated"] = e.authors_truncated
                row["authors_source"] = "digest" if e.authors else ""
                row["institutions_source"] = "digest" if e.institutions else ""
                row["is_published"], row["is_featured"] = not e.hidden, e.featured
                row["listed_position"] = e.position
                rows.append(tuple(row[f.attname] for f in self.paper_fields))
        returned = bulk.insert(
            Paper,
            [f.column for f in self.paper_fields],
            rows,
            returning=("id", "listed_digest_id", "listed_position"),
        )
        return {(digest_id, position): pk for pk, digest_id, position in returned}


def _source(entry, name):
    return "machine_translation" if name in entry.machine_translated else "digest"


def _folded(entry):
    """The entry's fields as the index holds them (papers.search.text.index_text)."""
    folded = {name: search.index_text(getattr(entry, name)) for name in TEXT_FIELDS if getattr(entry, name)}
    if entry.arxiv_id:
        folded["arxiv_id"] = search.index_text(entry.arxiv_id)
    return folded


_ENTRY_COLUMNS = [
    "digest_id", "paper_id", "position", "section", "number", "line", "arxiv_id", "area_code",
    *TEXT_FIELDS, "authors", "authors_truncated", "institutions", "machine_translated",
    "abstract_en_key", "abstract_zh_key",
]  # fmt: skip


def _entry_row(e):
    """The entry's DigestEntry columns after digest_id and paper_id (_ENTRY_COLUMNS)."""
    # Where the entry would start in the file: a daily digest's preamble is 7 lines, a main entry
    # 11 and one of the other list 8; a stream holds two lines an abstract.
    if e.section == "stream":
        line = 2 * e.position - 1
    elif e.section == "main":
        line = 8 + 11 * (e.position - 1)
    else:
        line = 12 + 11 * fake.MAIN_ENTRIES + 8 * (e.position - fake.MAIN_ENTRIES - 1)
    return (
        e.position, e.section, e.number, line, e.arxiv_id, e.area,
        *(getattr(e, name) for name in TEXT_FIELDS),
        json.dumps(list(e.authors), ensure_ascii=False), e.authors_truncated,
        json.dumps([spelling for _, spelling in e.institutions], ensure_ascii=False),
        json.dumps(list(e.machine_translated)), text_key(e.abstract_en), text_key(e.abstract_zh),
    )  # fmt: skip
