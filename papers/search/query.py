"""The query language, the same on both backends. Pure Python: no Django.

Like PostgreSQL's websearch_to_tsquery: words are ANDed, "quoted phrases" match as phrases, -word or
-"a phrase" excludes, `or` between two terms accepts either. English stop words are dropped (see
STOP_WORDS). A query never fails to parse: unusable parts are dropped.
"""

import functools
import re
import unicodedata
from dataclasses import dataclass

from .highlight import highlighter
from .text import CJK_CHAR, arxiv_id, index_text

MAX_QUERY_LENGTH = 200

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
        return highlighter(t.text for group in self.groups for t in group)


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
    return Term(text=text, phrase=phrase, prefix=len(text) == 1 and bool(CJK_CHAR.match(text)))
