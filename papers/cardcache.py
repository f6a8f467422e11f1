"""Rendered paper cards, kept in the configured cache so that a card shown on one page is not
rendered again for the next (the home page, an area's, an author's and a search share most cards).

A card is kept under (site version, interface language, script prefix, the search's words, whether
it carries the reader's "new" mark, a digest of the card's template and code, paper id). The site version
(papers.pagecache) moves with every write to the tables a card is made of, so an edit, a hidden
paper or a renamed author or institution shows at once; the "new" mark is the only part that
differs between readers, and it is in the key as a yes/no, so a card never carries another
reader's mark. One get_many reads a page's cards, one set_many keeps those it rendered. Only for
the requests whose site version the page cache read already (anonymous reads): a curator's pages
render every card, which costs them no query more.
PORTAL_CARD_CACHE=0 turns it off (every card rendered, as benchmarks/card_bench.py measures).
"""

import functools
import hashlib
from importlib import import_module
from importlib.metadata import version as installed_version
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.translation import get_language

from .pagecache import STORED_SECONDS, known_site_version

CARD_TEMPLATE = "papers/includes/paper_card.html"
# The code a card's HTML comes from besides its template: its text goes through these.
CARD_CODE = ("papers.math", "papers.search.highlight", "papers.templatetags.highlight")


@functools.cache
def _code_digest():
    # A deploy that changes the card, or how its texts are highlighted or their math rendered, makes
    # the old fragments unreachable (Redis outlives processes).
    sources = [get_template(CARD_TEMPLATE).template.source, installed_version("latex2mathml")]
    sources += [Path(import_module(name).__file__).read_text() for name in CARD_CODE]
    return hashlib.sha256("\0".join(sources).encode()).hexdigest()[:12]


def is_new(paper, previous_visit):
    return bool(previous_visit and paper.listed_on > previous_visit)


def render_cards(papers, context):
    """The card HTML of each paper, in order, for a page whose template context is `context`."""
    template = get_template(CARD_TEMPLATE).template
    previous_visit = context.get("previous_visit")
    version = known_site_version() if settings.PORTAL_CARD_CACHE else None
    # Off; or a request the page cache does not read (a curator's), whose version would be a query
    # more; or the database could not say which version the cards are of.
    if version is None:
        return [_render(template, context, paper) for paper in papers]
    query = context.get("search_query")
    text = getattr(query, "text", None)
    words = hashlib.sha256(text.encode()).hexdigest()[:16] if text else "-"
    base = f"card:{version}:{get_language()}:{get_script_prefix()}:{words}:{_code_digest()}"
    keys = [f"{base}:{paper.pk}:{int(is_new(paper, previous_visit))}" for paper in papers]
    found = cache.get_many(keys)
    missing = {}
    cards = []
    for key, paper in zip(keys, papers, strict=True):
        if key not in found:
            found[key] = missing[key] = _render(template, context, paper)
        cards.append(found[key])
    if missing:
        cache.set_many(missing, STORED_SECONDS)
    return cards


def _render(template, context, paper):
    with context.push(paper=paper):
        return template.render(context)
