"""The two full-text backends: SQLite's FTS5 and PostgreSQL's tsvector. The only module of the
search that asks which database it runs on (backend()).

Both index the same text (papers.search.text) in one row per paper of the `papers_search` table
(SearchEntry), in three weighted columns: title (weight A / the highest bm25 weight), people
(authors and institutions with their aliases, B) and body (Chinese summary, both abstracts and the
arXiv id, C). SQLite keeps them in an FTS5 table (`porter unicode61` tokenizer: English stemming)
ranked with bm25() column weights; PostgreSQL in a plain table whose stored, generated tsvector
column (English stemming, setweight A/B/C) has a GIN index, ranked with ts_rank. Migration 0004
creates both.
"""

import functools

from django.db import connection
from django.db.models import Expression, FloatField, Func, Lookup, Subquery, TextField, Value
from django.db.models.functions import Coalesce

from ..models import SearchEntry

# A search returns the newest this-many matches of its selection (after every other filter),
# ranked. Counting and ranking cost something per match (PostgreSQL's ts_rank reads each match's
# vector from TOAST, 4 pages each), so a word in every paper ("learning", "模型") cost over a second
# at 100,000 papers; with the limit every search does bounded work. A reader narrows a larger result
# with more words or a filter; the page says when the limit was reached.
RESULT_LIMIT = 1000

# bm25() weights of the FTS5 columns (title, people, body), and ts_rank's weights for D, C, B, A:
# title matches come first on both (on SQLite with the help of TITLE_FIRST, see SQLite.rank).
FTS5_WEIGHTS = (10.0, 4.0, 1.0)
TITLE_FIRST = 100.0
TS_RANK_WEIGHTS = [0.05, 0.2, 0.4, 1.0]


def backend():
    return PostgreSQL() if connection.vendor == "postgresql" else SQLite()


class IndexColumn(Expression):
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


class SQLite:
    column = SearchEntry._meta.db_table  # FTS5's hidden column named after the table: the whole row
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


class PostgreSQL:
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
