"""Full-text search over papers, in Chinese and English, on SQLite and PostgreSQL.

The only module that knows which database backend is in use. Both backends index the same derived
text, one row per paper in the `papers_search` table (`SearchEntry`), in three weighted columns:

- title: English and Chinese titles (weight A / the highest bm25 weight),
- people: authors and institutions, with the names merged into them (B),
- body: Chinese summary, both abstracts and the arXiv id (C).

SQLite keeps them in an FTS5 table (`porter unicode61` tokenizer: English stemming) ranked with
bm25() column weights; PostgreSQL in a plain table whose stored, generated tsvector column (English
stemming, setweight A/B/C) has a GIN index, ranked with ts_rank. Migration 0004 creates both.

Chinese is written without spaces, and both default tokenizers take a whole run of Chinese
characters as one word, so `扩散` would never find `扩散模型`. We index every run of CJK characters as
its overlapping character bigrams (扩散模型 → 扩散 散模 模型; a one-character run stays itself) and turn a
Chinese query into the same bigrams as a phrase, which matches exactly the texts containing that
string. Bigrams rather than a word segmenter (jieba and the like): no dictionary to ship and keep
current, deterministic, no out-of-vocabulary misses for new technical terms, and the very same
tokens on both backends, so the two behave alike.

Query syntax, the same on both backends (like PostgreSQL's websearch_to_tsquery): words are ANDed,
"quoted phrases" match as phrases, -word or -"a phrase" excludes, `or` between two terms accepts
either. An arXiv id, alone, is handled by the views: it jumps to the paper. Results are ordered by
relevance, then newest first, and a search returns at most the newest RESULT_LIMIT matches of its
selection (see there).

Hidden papers are indexed like the rest: every search goes through `Paper.objects.published()`,
so hiding or showing a paper needs no reindexing.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Expression, F, FloatField, Func, Lookup, Subquery, TextField, Value
from django.db.models.functions import Coalesce
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .models import Affiliation, Author, Authorship, Institution, Paper, SearchEntry

MAX_QUERY_LENGTH = 200
INDEX_TABLE = SearchEntry._meta.db_table
CHUNK = 500  # papers per reindex batch (SQLite's bound-parameter limit is far above this)
# A search returns the newest this-many matches of its selection (after every other filter),
# ranked. Counting and ranking cost something per match (PostgreSQL's ts_rank reads each match's
# vector from TOAST, 4 pages each), so a word in every paper ("learning", "模型") cost over a second
# at 100,000 papers; with the limit every search does bounded work. A reader narrows a larger result
# with more words or a filter; the page says when the limit was reached.
RESULT_LIMIT = 1000

# bm25() weights of the FTS5 columns (title, people, body), and ts_rank's weights for D, C, B, A:
# title matches come first on both (on SQLite with the help of TITLE_FIRST, see _SQLite.rank).
FTS5_WEIGHTS = (10.0, 4.0, 1.0)
TITLE_FIRST = 100.0
TS_RANK_WEIGHTS = [0.05, 0.2, 0.4, 1.0]

# --- text: what gets indexed, and what a query turns into --------------------------------------

# Han ideographs (with extensions and compatibility forms) and Japanese kana: scripts written
# without spaces between words.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_CJK_CHAR = re.compile(f"[{_CJK}]")


def _bigrams(run):
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def index_text(text):
    """Text as both backends index it: width folded, CJK runs as spaced overlapping bigrams.

    Non-ASCII punctuation (，。、：“”…) becomes a space, so it never glues tokens together whatever
    the database's locale. Everything else is left to the backend's tokenizer (case, stemming).
    """
    if not text:
        return ""
    if text.isascii():
        return text  # nothing to fold, no CJK (most English text)
    text = _punctuation().sub(" ", unicodedata.normalize("NFKC", text))
    return _CJK_RUN.sub(lambda m: f" {_bigrams(m.group())} ", text)


@functools.cache
def _punctuation():
    """A regex of the non-ASCII punctuation, symbols and spaces (Unicode P*, S*, Z*) of the BMP."""
    ranges = []
    for cp in range(128, 0x10000):
        if unicodedata.category(chr(cp))[0] in "PSZ":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]+")


def index_row(*, title, people, body):
    """The three indexed columns of a paper, from lists of its texts (None skipped)."""
    # Each text is folded on its own so that English ones keep index_text's ASCII shortcut.
    return index_columns(*([index_text(t) for t in texts if t] for texts in (title, people, body)))


def index_columns(title, people, body):
    """The three indexed columns, from lists of texts already folded by index_text() (None skipped)."""
    return tuple(" \n ".join(t for t in texts if t is not None) for texts in (title, people, body))


# A paper's fields in its title and body columns, in order (its people column lists its names).
TITLE_FIELDS = ("title_en", "title_zh")
BODY_FIELDS = ("summary_zh", "abstract_en", "abstract_zh", "arxiv_id")


def paper_columns(folded, people):
    """A paper's three indexed columns: `folded` maps its fields to their index_text(), `people`
    holds its authors' then institutions' names, each followed by its aliases, folded too."""
    return index_columns(
        title=[folded.get(f) for f in TITLE_FIELDS],
        people=people,
        body=[folded.get(f) for f in BODY_FIELDS],
    )


# PostgreSQL's English stop words: they are not indexed there, so a query word that is one is
# dropped on both backends (otherwise "the" would find everything on SQLite and nothing on PostgreSQL).
STOP_WORDS = frozenset(
    """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own same
    so than too very s t can will just don should now""".split()
)

ARXIV_ID = re.compile(
    r"^(?:https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)?"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)


def arxiv_id(text):
    """The arXiv id (without version) a query consists of, or None: 2305.18290, arXiv:2305.18290v2, URLs."""
    match = ARXIV_ID.match((text or "").strip())
    return match.group(1) if match else None


@dataclass(frozen=True)
class Term:
    """One searched word or phrase."""

    text: str  # as typed (width folded): what the highlighter looks for
    phrase: str  # index_text(text): what the backend matches, as a phrase
    prefix: bool = False  # a lone CJK character: matches the bigrams it starts


@dataclass(frozen=True)
class Query:
    """A parsed query: every group must match (any one term of a group), no excluded term may."""

    text: str
    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()

    def __bool__(self):
        return bool(self.groups or self.excluded)

    @functools.cached_property
    def highlighter(self):
        return _highlighter(t for group in self.groups for t in group)


_QUOTES = str.maketrans({c: '"' for c in "“”„‟「」『』"})
_QUERY_TOKEN = re.compile(r'(-?)"([^"]*)"?|([^\s"]+)')


@functools.lru_cache(maxsize=256)
def parse(text):
    """Turn what a reader typed into a Query; never fails (unusable parts are dropped)."""
    text = unicodedata.normalize("NFKC", text or "").translate(_QUOTES).strip()[:MAX_QUERY_LENGTH]
    groups, excluded, pending_or = [], [], False
    for match in _QUERY_TOKEN.finditer(text):
        negated, quoted, word = match.groups()
        if word is not None:
            if word.lower() == "or":
                pending_or = bool(groups)
                continue
            negated = word.startswith("-")
            word = word.lstrip("-")
            if word.lower() in STOP_WORDS:
                continue
        term = _term(quoted if word is None else (arxiv_id(word) or word))
        if term is None:
            continue
        if negated:
            excluded.append(term)
        elif pending_or:
            groups[-1] = (*groups[-1], term)
        else:
            groups.append((term,))
        pending_or = False
    return Query(text=text, groups=tuple(groups), excluded=tuple(excluded))


def _term(text):
    text = " ".join(text.split())
    phrase = " ".join(index_text(text).split())
    # Keep only terms with something a tokenizer indexes (letters or digits).
    if not any(ch.isalnum() for ch in phrase):
        return None
    return Term(text=text, phrase=phrase, prefix=len(text) == 1 and bool(_CJK_CHAR.match(text)))


# --- searching -------------------------------------------------------------------------------


def search(queryset, text):
    """The newest RESULT_LIMIT papers of `queryset` matching `text`, annotated with `search_rank`
    and best first, in one query.

    Pass a queryset of published papers (`Paper.objects.published()`, or the FilterSet's).
    """
    query = parse(text) if isinstance(text, str) else text
    if not query:
        # Nothing searchable in it ("the", "?!"): nothing matches, as on PostgreSQL.
        return queryset.none() if query.text else queryset
    by_date = ("-listed_on", "-listed_digest_id", "listed_position", "-id")
    if not query.groups:
        # Only exclusions: the newest of everything else, newest first.
        rest = queryset.exclude(pk__in=_matching_ids(_backend().any_of(query.excluded)))
        return (
            queryset.filter(pk__in=rest.order_by("-pk").values("pk")[:RESULT_LIMIT])
            .annotate(search_rank=Value(0.0, output_field=FloatField()))
            .order_by(*by_date)
        )
    backend = _backend()
    match = backend.match(query)
    # Filtering on the relation makes the join to the index an INNER join, so the database can
    # start from the index's matches rather than scan every paper.
    handle = _IndexColumn(F("search_entry__title"), backend.column, backend.column_type)
    matches = queryset.filter(search_entry__isnull=False).filter(backend.lookup(handle, match))
    # Ranked on the wanted terms only: ts_rank gives 0 to any query with a negation in it.
    rank = backend.rank(handle, backend.match(query, ranking=True))
    return (
        backend.newest(queryset, matches)
        .annotate(search_rank=rank)
        .order_by(F("search_rank").desc(), *by_date)
    )


def papers(text):
    """Published papers matching `text`, best first."""
    return search(Paper.objects.published(), text)


def in_order(paper_ids):
    """The papers of a page of ranked ids, in that order, with what a paper card shows.

    Paging a search by id (`values_list("pk")`) lets the database rank from the index and the
    covering index `paper_search_join_idx` alone; only the page's papers are then read whole.
    """
    papers = Paper.objects.published().with_listing().in_bulk(list(paper_ids))
    return [papers[pk] for pk in paper_ids if pk in papers]


def _matching(match):
    """The index rows matching a backend query (the index alone, no join)."""
    backend = _backend()
    handle = _IndexColumn(F("title"), backend.column, backend.column_type)
    return SearchEntry.objects.filter(backend.lookup(handle, match))


def _matching_ids(match):
    return _matching(match).values("paper_id")


class _IndexColumn(Expression):
    """A column of the index table that SearchEntry does not declare (FTS5's hidden table column,
    PostgreSQL's generated tsvector), named through the join that `anchor` (a declared column) makes,
    so it follows the table's alias when the query becomes a subquery."""

    def __init__(self, anchor, column, output_field):
        super().__init__(output_field=output_field)
        self.anchor, self.column = anchor, column

    def get_source_expressions(self):
        return [self.anchor]

    def set_source_expressions(self, exprs):
        (self.anchor,) = exprs

    def as_sql(self, compiler, connection):
        # Exactly as Django writes the anchor's table (subquery aliases such as U0 stay unquoted).
        table = compiler.quote_name_unless_alias(self.anchor.alias)
        return f"{table}.{connection.ops.quote_name(self.column)}", []


class _Fts5Match(Lookup):
    lookup_name = "fts5_match"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} MATCH %s", [*lhs_params, self.rhs]

    def get_prep_lookup(self):
        return self.rhs  # the FTS5 query string, bound as one parameter


class _SQLite:
    column = INDEX_TABLE  # FTS5's hidden column named after the table: the whole row
    column_type = TextField()

    @staticmethod
    def newest(queryset, matches):
        """The RESULT_LIMIT newest matches: those from the oldest of them on, by the index's rowid.

        FTS5 hands out its matches in rowid order and takes a rowid range as a constraint, so
        neither finding that oldest one nor reading the range touches the older matches; and bm25()
        needs the MATCH in the query that ranks.
        """
        oldest_kept = matches.order_by("-search_entry__paper_id").values("search_entry__paper_id")[
            RESULT_LIMIT - 1 : RESULT_LIMIT
        ]
        return matches.filter(search_entry__paper_id__gte=Coalesce(Subquery(oldest_kept), 0))

    @staticmethod
    def _term(term):
        # Inside double quotes FTS5 takes everything literally (its tokenizer splits it into a
        # phrase); the text has no quotes left, and the whole query is a bound parameter.
        return '"' + term.phrase.replace('"', " ") + '"' + ("*" if term.prefix else "")

    def any_of(self, terms):
        return " OR ".join(self._term(t) for t in terms)

    def match(self, query, *, ranking=False):
        expr = " AND ".join(f"({self.any_of(group)})" for group in query.groups)
        if query.excluded and not ranking:
            expr = f"({expr}) NOT ({self.any_of(query.excluded)})"
        return expr

    def lookup(self, handle, match):
        return _Fts5Match(handle, match)

    def rank(self, handle, match):
        # FTS5's column weights scale term frequencies, which bm25 then saturates, so they cannot
        # put title matches first on their own: the title's own score leads, the weighted whole
        # breaks ties. bm25() is lower-is-better; negated so that a higher rank is better on both.
        def bm25(*weights):
            return Func(handle, *map(Value, weights), function="bm25", output_field=FloatField())

        return -(bm25(1.0, 0.0, 0.0) * TITLE_FIRST + bm25(*FTS5_WEIGHTS))


class _PostgreSQL:
    column = "document"

    @staticmethod
    def newest(queryset, matches):
        """The RESULT_LIMIT newest matches, by id.

        The planner walks the primary key backwards for a common word, or sorts the GIN index's
        matches for a rarer one, whichever its statistics say is cheaper. ts_rank needs only the
        vector, so the kept ids are joined to the index rather than matched again (which could make
        the planner collect every match from the GIN index a second time).
        """
        newest = matches.order_by("-pk").values("pk")[:RESULT_LIMIT]
        return queryset.filter(search_entry__isnull=False, pk__in=newest)

    @property
    def column_type(self):
        from django.contrib.postgres.search import SearchVectorField

        return SearchVectorField()

    @staticmethod
    def _term(term):
        from django.contrib.postgres.search import SearchQuery

        if term.prefix:
            # One CJK character (no quote or operator can be in it): the bigrams it starts.
            return SearchQuery(f"'{term.phrase}':*", config="english", search_type="raw")
        return SearchQuery(term.phrase, config="english", search_type="phrase")

    def any_of(self, terms):
        return functools.reduce(lambda a, b: a | b, map(self._term, terms))

    def match(self, query, *, ranking=False):
        expr = functools.reduce(lambda a, b: a & b, (self.any_of(g) for g in query.groups))
        for term in () if ranking else query.excluded:
            expr &= ~self._term(term)
        return expr

    def lookup(self, handle, match):
        from django.contrib.postgres.search import SearchVectorExact

        return SearchVectorExact(handle, match)

    def rank(self, handle, match):
        from django.contrib.postgres.search import SearchRank

        return SearchRank(handle, match, weights=TS_RANK_WEIGHTS)


def _backend():
    return _PostgreSQL() if connection.vendor == "postgresql" else _SQLite()


def arxiv_paper(text):
    """The published paper a query names by arXiv id, or None."""
    wanted = arxiv_id(text)
    if not wanted:
        return None
    return Paper.objects.published().filter(arxiv_id=wanted).first()


def names_with_aliases(model, ids):
    """Author or institution id → [its name, then the names merged into it, oldest first]: what a
    paper's people column lists for each of its authors and institutions."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = {}
    ids = sorted(ids)
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            cursor.execute(
                f"SELECT entity.id, entity.name, alias.name FROM {table} entity "
                f"LEFT JOIN {table} alias ON alias.merged_into_id = entity.id "
                f"WHERE entity.id IN ({', '.join(['%s'] * len(chunk))}) ORDER BY entity.id, alias.id",
                chunk,
            )
            for pk, name, alias in cursor.fetchall():
                listed = names.setdefault(pk, [name])
                if alias is not None:
                    listed.append(alias)
    return names


# --- keeping the index right -------------------------------------------------------------------


def reindex_papers(paper_ids):
    """Recompute the index rows of these papers (a deleted paper's row just goes).

    A few queries per 500 papers, whatever their number of authors: the importer calls it once per
    file, the admin's save signals once per changed object.
    """
    ids = sorted({int(pk) for pk in paper_ids if pk is not None})
    if not ids:
        return
    quote = connection.ops.quote_name
    table = quote(INDEX_TABLE)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            rows = _index_rows(chunk)
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {table} WHERE {quote('rowid')} IN ({marks})", chunk)
            _insert_rows(cursor, rows)


def index_new_papers(rows):
    """Add the index rows of papers that have none yet: (paper id, title, people, body) tuples, the
    columns as paper_columns() makes them. The importer builds them from what it has just written."""
    if rows:
        with connection.cursor() as cursor:
            _insert_rows(cursor, rows)


def _insert_rows(cursor, rows):
    quote = connection.ops.quote_name
    columns = ", ".join(map(quote, ("rowid", "title", "people", "body")))
    if connection.vendor == "postgresql":
        # COPY: executemany would send a statement per row.
        with (
            connection.wrap_database_errors,
            cursor.cursor.copy(f"COPY {quote(INDEX_TABLE)} ({columns}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {quote(INDEX_TABLE)} ({columns}) VALUES (%s, %s, %s, %s)", rows)


def unindex_papers(paper_ids):
    """Drop the index rows of deleted papers."""
    ids = sorted({int(pk) for pk in paper_ids if pk is not None})
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(f"DELETE FROM {quote(INDEX_TABLE)} WHERE {quote('rowid')} IN ({marks})", chunk)


def reindex_entity(entity):
    """After an author or institution is renamed or merged: the papers listing it, or listing the
    row it was merged into (whose papers are also found by the alias's name)."""
    kept = entity.canonical() if entity.merged_into_id else entity
    link, fk = (Authorship, "author") if isinstance(entity, Author) else (Affiliation, "institution")
    reindex_papers(link.objects.filter(**{fk: kept}).values_list("paper_id", flat=True))


def reindex_all():
    """Rebuild the whole index (after a restore, or to change what is indexed)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(INDEX_TABLE)}")
        ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
        reindex_papers(ids)
    return len(ids)


def _index_rows(paper_ids):
    fields = (*TITLE_FIELDS, *BODY_FIELDS)
    people = _people(paper_ids)
    return [
        (
            pk,
            *paper_columns(
                {f: index_text(v) for f, v in zip(fields, values, strict=True) if v},
                [index_text(name) for name in people.get(pk, [])],
            ),
        )
        for pk, *values in Paper.objects.filter(pk__in=paper_ids).values_list("pk", *fields)
    ]


def _people(paper_ids):
    """Paper id → its authors' then its institutions' names, each followed by the names merged into
    it, so that "CMU" finds Carnegie Mellon's papers.

    Two queries per kind: the papers' link rows, then the names of the rows they point to, both
    by explicit ids, so each is an index lookup whatever the table sizes. (Looking aliases up by a
    subquery of entity ids let PostgreSQL pick a plan that read the whole author table on every
    import, when its statistics lagged behind a long import.)
    """
    people = {}
    for link, model, fk in ((Authorship, Author, "author_id"), (Affiliation, Institution, "institution_id")):
        rows = link.objects.filter(paper_id__in=paper_ids).order_by("paper_id", "position")
        rows = list(rows.values_list("paper_id", fk))
        names = names_with_aliases(model, {pk for _paper_id, pk in rows})
        for paper_id, pk in rows:
            people.setdefault(paper_id, []).extend(names[pk])
    return people


# --- highlighting ------------------------------------------------------------------------------

_SUFFIXES = (
    "ational",
    "ations",
    "ation",
    "ings",
    "ing",
    "ies",
    "ied",
    "ers",
    "es",
    "ed",
    "er",
    "s",
    "y",
    "e",
)
_WORD = re.compile(rf"[{_CJK}]+|[^\W_]+")


def _stem(word):
    """A crude English stem, only for highlighting (the database decides what matches)."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _highlighter(terms):
    patterns = set()
    for term in terms:
        for word in _WORD.findall(term.text):
            if _CJK_CHAR.match(word):
                patterns.add(re.escape(word))
            elif len(word) > 1 or word.isdigit():
                patterns.add(r"(?<![^\W_])" + re.escape(_stem(word)) + r"[^\W_]*")
    if not patterns:
        return None
    return re.compile("|".join(sorted(patterns, key=len, reverse=True)), re.IGNORECASE)


def highlight(text, query, *, start=0):
    """HTML of `text` (from `start`) with the query's words in <mark>; every piece is escaped."""
    text = text or ""
    pattern = query.highlighter if query else None
    if pattern is None:
        return escape(text[start:])
    pieces, position = [], start
    for match in pattern.finditer(text, start):
        if match.end() == match.start():
            continue
        pieces += [escape(text[position : match.start()]), "<mark>", escape(match.group()), "</mark>"]
        position = match.end()
    pieces.append(escape(text[position:]))
    # Safe: every piece of the reader's or the digest's text went through escape() above.
    return mark_safe("".join(pieces))


def snippet(text, query, *, before=60):
    """Like highlight(), but starting shortly before the first match when that is far into the text."""
    text = text or ""
    pattern = query.highlighter if query else None
    match = pattern.search(text) if pattern else None
    if match is None or match.start() <= before * 2:
        return highlight(text, query)
    start = match.start() - before
    space = text.find(" ", start, match.start())
    start = space + 1 if space != -1 and not _CJK_CHAR.match(text[match.start()]) else start
    return format_html("…{}", highlight(text, query, start=start))
