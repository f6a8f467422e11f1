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

With each card its COinS span is kept (templatetags/citing.py), the other thing a list page makes
of each paper. A page whose cards are all kept then reads only its papers' ids and dates: no author,
institution or link rows, and no model instances for them, which were most of a warm list page's
time (28 of 42 ms at 100,000 papers). Only the papers whose cards are missing are read whole.
PORTAL_CARD_CACHE=0 turns it off (every card rendered, as benchmarks/card_bench.py measures).

Feed items are kept the same way, by the same function (kept_per_paper; papers.feeds.FeedEntry):
each feed reads its 50 papers' ids, and builds only the entries it does not find.
"""

import functools
import hashlib
from dataclasses import dataclass
from importlib.metadata import version as installed_version

from django.conf import settings
from django.core.cache import cache
from django.db.models import QuerySet
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.translation import get_language

from .heads import PaperHeads
from .models import Paper
from .pagecache import STORED_SECONDS, code_digest, known_site_version
from .templatetags.citing import coins_span

CARD_TEMPLATE = "papers/includes/paper_card.html"
# The code a card's HTML comes from besides its template: its text goes through these.
CARD_CODE = (
    "papers.math", "papers.search.highlight", "papers.templatetags.highlight",
    # and, for the COinS span kept with each card:
    "papers.citations", "papers.downloads", "papers.templatetags.citing",
)  # fmt: skip


@functools.cache
def _card_digest():
    # A card changes with its template, how its texts are highlighted or their math rendered.
    return code_digest((CARD_TEMPLATE,), CARD_CODE, (installed_version("latex2mathml"),))


def is_new(listed_on, previous_visit):
    return bool(previous_visit and listed_on > previous_visit)


@dataclass
class Cards:
    """A page's cards and their COinS spans, in page order (`{% paper_cards page as cards %}`)."""

    html: list
    coins: list

    def __bool__(self):
        return bool(self.html)


def render_cards(papers, context):
    """The cards (and COinS spans) of `papers` for a page whose template context is `context`.

    `papers` as kept_per_paper() takes them."""
    template = get_template(CARD_TEMPLATE).template
    previous_visit = context.get("previous_visit")
    query = context.get("search_query")
    text = getattr(query, "text", None)
    words = hashlib.sha256(text.encode()).hexdigest()[:16] if text else "-"
    kept = kept_per_paper(
        papers,
        f"card:{get_language()}:{words}:{_card_digest()}",
        lambda paper: (_render(template, context, paper), _coins(paper, context)),
        variant=lambda listed_on: int(is_new(listed_on, previous_visit)),
    )
    return Cards([card for card, _ in kept], [span for _, span in kept])


def kept_per_paper(papers, name, make, *, variant=None):
    """[make(paper) for paper in papers], each kept in the cache under the site version, the script
    prefix, `name` (what is made, and of which code) and the paper's id (and `variant(listed_on)`).

    `papers` is a list, or not read yet (a queryset of Paper.objects.for_cards(), PaperHeads):
    then only the papers whose results are not kept are read whole. Everything is
    made afresh when PORTAL_CARD_CACHE is off, or the request read no site version (a curator's,
    whose version would be a query more, or the database could not say which version it is)."""
    version = known_site_version() if settings.PORTAL_CARD_CACHE else None
    if version is None:
        return [make(paper) for paper in papers]
    base = f"{name}:{version}:{get_script_prefix()}"
    if isinstance(papers, QuerySet) and papers._result_cache is None:
        heads = list(papers.values_list("pk", "listed_on"))
        whole = {}
    elif isinstance(papers, PaperHeads) and not papers.loaded:
        heads, whole = papers.heads, {}
    else:
        whole = {paper.pk: paper for paper in papers}
        heads = [(paper.pk, paper.listed_on) for paper in whole.values()]
    keys = [f"{base}:{pk}:{variant(listed_on) if variant else '-'}" for pk, listed_on in heads]
    found = cache.get_many(keys)
    wanted = [pk for key, (pk, _) in zip(keys, heads, strict=True) if key not in found and pk not in whole]
    if wanted:
        whole.update(Paper.objects.for_cards().in_bulk(wanted))
    missing = {}
    for key, (pk, _) in zip(keys, heads, strict=True):
        if key not in found and pk in whole:
            found[key] = missing[key] = make(whole[pk])
    if missing:
        cache.set_many(missing, STORED_SECONDS)
    return [found[key] for key in keys if key in found]


def _coins(paper, context):
    return coins_span(paper, context.request)


def _render(template, context, paper):
    with context.push(paper=paper):
        return template.render(context)
