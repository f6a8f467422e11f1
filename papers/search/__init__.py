"""Full-text search over papers, in Chinese and English, on SQLite and PostgreSQL.

What lives where:

- text.py: the text both backends index (width folding, CJK bigrams), the one row builder;
- query.py: the query language (what a reader typed → a Query);
- highlight.py: marking a query's words in a text;
- backends.py: FTS5 and tsvector, the only place the search asks which database it runs on;
- index.py: keeping the index right (reindexing, rebuilding);
- here: the search itself, which the FilterSet behind every list calls.

The first three are pure Python. Results are ordered by relevance, then newest first, and a search
returns at most the newest backends.RESULT_LIMIT matches of its selection.
An arXiv id, alone, is handled by the views: it jumps to the paper.
"""

from django.db.models import F, FloatField, Value

from ..models import NEWEST_FIRST, Paper, SearchEntry
from ..pagecache import versioned
from . import backends
from .backends import IndexColumn, backend
from .highlight import highlight, snippet, snippet_start
from .index import (
    index_new_papers,
    names_with_aliases,
    reindex_all,
    reindex_entity,
    reindex_papers,
    unindex_papers,
)
from .query import MAX_QUERY_LENGTH, Query, Term, parse
from .text import arxiv_id, index_text, paper_columns

__all__ = [
    "MAX_QUERY_LENGTH", "Query", "Term", "arxiv_id", "arxiv_paper", "highlight",
    "index_new_papers", "index_text", "names_with_aliases", "paper_columns", "papers", "parse",
    "ranked_heads", "reindex_all", "reindex_entity", "reindex_papers", "search", "snippet", "snippet_start",
    "unindex_papers",
]  # fmt: skip


def search(queryset, text):
    """The newest backends.RESULT_LIMIT papers of `queryset` matching `text`, annotated with `search_rank`
    and best first, in one query.

    Pass a queryset of published papers (`Paper.objects.published()`, or the FilterSet's).
    """
    query = parse(text) if isinstance(text, str) else text
    if not query:
        # Nothing searchable in it ("the", "?!"): nothing matches, as on PostgreSQL.
        return queryset.none() if query.text else queryset
    engine = backend()
    if not query.groups:
        # Only exclusions: the newest of everything else, newest first.
        excluded = SearchEntry.objects.filter(
            engine.lookup(_handle(engine, "title"), engine.any_of(query.excluded))
        )
        rest = queryset.exclude(pk__in=excluded.values("paper_id"))
        return (
            queryset.filter(pk__in=rest.order_by("-pk").values("pk")[: backends.RESULT_LIMIT])
            .annotate(search_rank=Value(0.0, output_field=FloatField()))
            .order_by(*NEWEST_FIRST)
        )
    match = engine.match(query)
    # Filtering on the relation makes the join to the index an INNER join, so the database can
    # start from the index's matches rather than scan every paper.
    handle = _handle(engine, "search_entry__title")
    matches = queryset.filter(search_entry__isnull=False).filter(engine.lookup(handle, match))
    # Ranked on the wanted terms only: ts_rank gives 0 to any query with a negation in it.
    rank = engine.rank(handle, engine.match(query, ranking=True))
    return (
        engine.newest(queryset, matches)
        .annotate(search_rank=rank)
        .order_by(F("search_rank").desc(), *NEWEST_FIRST)
    )


def _handle(engine, anchor):
    return IndexColumn(F(anchor), engine.column, engine.column_type)


def papers(text):
    """Published papers matching `text`, best first."""
    return search(Paper.objects.published(), text)


def ranked_heads(results, *, selection):
    """The (id, listing day) of `results()` (a search()'s queryset), best first, kept under the site
    version (papers.pagecache) and `selection`, which names them exactly (a list page's
    PaperFilter.described(), q among its filters): a popular query is asked again and again, and
    each asking ranks up to backends.RESULT_LIMIT matches; any change to the papers moves the
    version. A kept answer builds no search at all. Paging by id lets the database rank from the
    index and the covering index `paper_search_join_idx` alone; only a page's papers are then read
    whole (heads.PaperHeads)."""
    return versioned(f"search-heads:{selection}", lambda: list(results().values_list("pk", "listed_on")))


def arxiv_paper(text):
    """The published paper a query names by arXiv id, or None."""
    wanted = arxiv_id(text)
    if not wanted:
        return None
    return Paper.objects.published().filter(arxiv_id=wanted).first()
