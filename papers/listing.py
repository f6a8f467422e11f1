"""What a list page computes: a selector from query parameters to a Listing.

Every paper list (`/`, `/search/`, an area's, an institution's, an author's page) is the same read:
the shared PaperFilter over published papers, a page of 25 (newest first, or ranked for a search),
facet counts with the URL that toggles each one, and the feeds that mirror the selection. Views
only name the fixed facet their URL stands for and render the Listing; feeds build their URLs here.
"""

import functools
import hashlib
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import get_language

from . import search
from .cleaning import strip_control_characters
from .filters import WINDOW_PARAMS, PaperFilter, area_facets, detail_facets, institution_facets, precount
from .heads import PaperHeads
from .models import InstitutionKind, Paper
from .pagecache import code_digest, versioned

PAGE_SIZE = 25
ORPHANS = 3


@dataclass
class Facet:
    """A facet value that is not a row (an institution kind, a country), with its count and label."""

    value: str
    n: int
    label: str


@dataclass
class Listing:
    """One list page's read model; the template's context, by these names."""

    filterset: PaperFilter
    page: Page
    query: dict  # the active filters in URL form, {name: [values]}
    facet_column: str  # templates/papers/includes/facets.html for this selection (facet_column())
    facets: object  # what it shows (selection_facets()): read only where something asks for it
    feeds: dict
    search_query: search.Query | None
    search_text: str  # the search box's value, as typed less what no text may hold
    search_shown: bool
    problems: dict = field(default_factory=dict)  # parameter → why its value was ignored
    previous_visit: object = None  # the reader's previous visit day (papers.visits), or None
    new_count: int = 0  # papers of the selection listed after it
    search_max_length: int = search.MAX_QUERY_LENGTH

    @property
    def page_query(self):
        return urlencode(self.query, doseq=True)

    @property
    def search_result_limit(self):
        return f"{search.backends.RESULT_LIMIT:,}"

    @property
    def search_limit_reached(self):
        return self.search_query is not None and self.page.paginator.count >= search.backends.RESULT_LIMIT

    def context(self):
        names = [*self.__dataclass_fields__, "page_query", "search_result_limit", "search_limit_reached"]
        context = {name: getattr(self, name) for name in names if name != "facets"}
        # By their names too, as a reading list's page has them; computed on first use, which a
        # page whose facet column was kept never makes.
        for name in FACET_NAMES:
            context[name] = SimpleLazyObject(lambda name=name: self.facets()[name])
        return context


FACET_NAMES = (
    "area_facets", "institution_facets", "kind_facets", "country_facets", "both_toggle_url",
    "has_code_toggle_url", "window",
)  # fmt: skip


def paper_listing(params, *, fixed=None, list_url, feed=("latest", None), title="", previous_visit=None):
    """The Listing for query parameters `params` (a QueryDict), or the paper an arXiv id names.

    `fixed` holds the filter a facet page stands for (its URL), merged over the query string;
    `feed` names the feed that mirrors the page (its kind and key), which keeps the same query;
    `list_url` is where facet links go (the page itself, or /search/); `previous_visit` is the
    reader's previous visit day (papers.visits): papers listed after it are counted as new.
    """
    filterset = page_filterset(params, fixed)
    data = filterset.data
    search_query = filterset.search_query()
    if search_query is not None and (paper := search.arxiv_paper(search_query.text)):
        return paper  # an arXiv id (2305.18290, arXiv:…v2, its URL) jumps to the paper
    # A list by areas and one institution at most is counted from models.PaperCount, not its papers.
    counts = precount(filterset) if search_query is None else None
    if counts is not None and counts.institution_id:
        filterset.walk_listing = walk_is_cheaper(counts, params.get("page"))
    query = filterset.query_params()
    selection = filterset.described()
    if search_query is None:
        page = newest_page(filterset, counts, params.get("page"), selection)
    else:
        # A search is at most backends.RESULT_LIMIT papers ordered by rank (filterset.qs is): their ids in one
        # query, which also counts them, then only the page's papers are read.
        ranked = search.ranked_heads(lambda: filterset.qs, selection=selection)
        page = Paginator(ranked, PAGE_SIZE, orphans=ORPHANS).get_page(params.get("page"))
        page.object_list = PaperHeads(page.object_list)

    @functools.cache
    def selected():
        if search_query is None:
            return filterset.qs
        # Facets count the results in hand, never search again: grouping the affiliations of a search
        # as a subquery let SQLite's planner scan every affiliation per match (seconds at 36,000
        # papers, 30 s for a long query), where these ids bound the work by RESULT_LIMIT.
        return Paper.objects.filter(pk__in=[pk for pk, _listed_on in ranked])

    def area_selection():
        # Area facets count the selection without its area filter (so other areas can be added); a
        # search without one counts the results in hand.
        if search_query is not None and "area" not in query:
            return selected()
        return filterset.qs_without("area")

    facets = functools.cache(
        lambda: selection_facets(filterset, selected(), area_selection(), base=list_url, counts=counts)
    )
    return Listing(
        filterset=filterset,
        page=page,
        query=query,
        facet_column=facet_column(selection, list_url, facets),
        facets=facets,
        feeds=feed_urls(*feed, query={k: v for k, v in query.items() if k not in (fixed or {})}, title=title),
        search_query=search_query,
        search_text=strip_control_characters(data.get("q", "")),
        search_shown="q" in data,
        problems=filterset.problems(),
        previous_visit=previous_visit,
        # One COUNT, only for a reader with a previous visit; the cards compare dates they already have.
        new_count=selected().filter(listed_on__gt=previous_visit).count() if previous_visit else 0,
    )


def newest_page(filterset, counts, number, selection):
    """Page `number` of a list, newest first, its papers as PaperHeads: their (id, listing day) pairs
    are kept under the site version (papers.pagecache) and `selection` (PaperFilter.described()),
    with its count when `counts` (a Precount) does not give it. So a kept page builds no queryset: its
    filters, the card annotations and the ids query were a millisecond and a half of a list page.
    The pairs are read on the list's ordering index alone, however deep the page (on PostgreSQL,
    reading the skipped papers' rows cost page 200 of 100,000 papers 6-40 ms)."""
    newest = lambda: filterset.qs.newest_first()  # noqa: E731
    if counts is not None:
        total = counts.total
    else:
        total = versioned(f"list-count:{selection}", lambda: newest().count())
    page = Paginator(range(total), PAGE_SIZE, orphans=ORPHANS).get_page(number)
    start, end = page.start_index() - 1, page.end_index()
    heads = versioned(
        f"list-page:{selection}:{page.number}",
        lambda: list(newest().values_list("pk", "listed_on")[start:end]) if end else [],
    )
    page.object_list = PaperHeads(heads)
    return page


def selection_facets(filterset, papers, area_selection, *, base, counts=None, shared=True):
    """The facet column of a selection: its query, each facet with its count and toggle URL (links to
    `base`), the language and code toggles and the time window; what templates/papers/includes/
    facets.html shows. `papers` is the selection, `area_selection` the same without its area filter,
    `counts` its Precount if any; `shared=False` for a selection the site version does not follow (a
    reading list), whose institution counts must not be cached under it.
    """
    query = filterset.query_params()
    areas = area_facets(area_selection, filterset.areas, counts, cached=shared)
    top = institution_facets(papers, precounted=counts, cached=shared)
    zh = get_language().startswith("zh")
    details = detail_facets(papers, cached=shared)
    kinds = [
        Facet(value, n, InstitutionKind(value).label)
        for value, n in details["kind"]
        if value in InstitutionKind.values
    ]
    names = filterset.countries if details["country"] else {}  # a query only when there are some
    countries = [
        Facet(code, n, names.get(code, (code, code))[1 if zh else 0]) for code, n in details["country"]
    ]
    flag = lambda name: toggle_url(query, name, [] if query.get(name) else ["true"], base=base)  # noqa: E731
    return {
        "query": query,
        "area_facets": facet_links(areas, "area", query, key=lambda a: a.code, base=base),
        "institution_facets": facet_links(top, "institution", query, key=lambda i: i.slug, base=base),
        "kind_facets": facet_links(kinds, "kind", query, key=lambda f: f.value, base=base),
        "country_facets": facet_links(countries, "country", query, key=lambda f: f.value, base=base),
        "both_toggle_url": flag("both"),
        "has_code_toggle_url": flag("has_code"),
        "window": window_links(filterset, query, base=base),
    }


FACETS_TEMPLATES = (
    "papers/includes/facets.html", "papers/includes/value_facets.html", "papers/includes/window.html",
)  # fmt: skip


def facet_column(selection, base, facets):
    """The facet column's HTML for `selection` (PaperFilter.described()) of the
    list at `base`, kept under the site version (papers.pagecache) and the interface language: every
    page of a selection shows the same column, and counting and drawing it (7 facets, some 80
    links) cost a list page 1.5 ms. `facets()` gives what it shows (selection_facets()), called
    only when it is not kept."""
    where = repr((base, selection, get_script_prefix(), code_digest(FACETS_TEMPLATES)))
    name = f"facet-column:{get_language()}:" + hashlib.sha256(where.encode()).hexdigest()
    zh = get_language().startswith("zh")
    return versioned(name, lambda: render_to_string(FACETS_TEMPLATES[0], {**facets(), "ui_zh": zh}))


def page_filterset(params, fixed=None):
    """The PaperFilter of a list page: its query parameters, with its URL's fixed facet over them."""
    data = params.copy()
    for key, value in (fixed or {}).items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return PaperFilter(data, queryset=Paper.objects.published())


def listed_papers(params, *, fixed=None):
    """Every paper a list page shows, across all its pages, in its order: best first for a search
    (at most search.backends.RESULT_LIMIT), else newest first. Downloads of the page read this."""
    filterset = page_filterset(params, fixed)
    papers = filterset.qs
    return papers if filterset.search_query() is not None else papers.newest_first()


def window_links(filterset, query, *, base):
    """The `since` choices as links, and the active window's span with the link that removes it."""
    without = {k: v for k, v in query.items() if k not in WINDOW_PARAMS}
    span = filterset.window()
    return {
        "choices": [
            {
                "since": since,
                # A selected choice's link removes it, as a selected facet's does.
                "url": with_query(
                    base, without if [since] == query.get("since") else {**without, "since": [since]}
                ),
                "selected": [since] == query.get("since"),
            }
            for since in ("today", "week", "month")
        ],
        "start": span and span[0],
        "end": span and span[1],
        "newest_day": filterset.newest_day if "since" in query else None,
        "remove_url": with_query(base, without) if span else None,
    }


def walk_is_cheaper(counts, page):
    """Whether the page's papers are found sooner by walking the list's order and keeping the
    institution's papers (about offset × share⁻¹ index entries) than by sorting all of them."""
    if not counts.total:
        return False
    number = Paginator(range(counts.total), PAGE_SIZE, orphans=ORPHANS).get_page(page).number
    walked = number * PAGE_SIZE * counts.total_without_institution / counts.total
    return walked < counts.total


def facet_links(items, name, query, *, key, base):
    """Each facet item with the URL that adds it to, or removes it from, the current selection."""
    selected = set(query.get(name, []))
    for item in items:
        value = key(item)
        values = [v for v in query.get(name, []) if v != value] if value in selected else [*selected, value]
        item.selected = value in selected
        item.toggle_url = toggle_url(query, name, sorted(values), base=base)
    return items


def toggle_url(query, name, values, *, base):
    """`base` with the query, `name` set to `values` (left out when there are none)."""
    return with_query(base, {k: v for k, v in {**query, name: values}.items() if v})


def with_query(url, query):
    """`url` with a query string of `query` ({name: [values]} or (name, value) pairs), if any."""
    encoded = urlencode(query, doseq=True)
    return url + (f"?{encoded}" if encoded else "")


def feed_urls(kind, key, *, query, title):
    """The RSS, Atom and JSON Feed URLs of the feed that shows what the page shows, for autodiscovery."""
    args = [key] if key is not None else []
    return {
        "title": str(title),
        "rss": with_query(reverse(f"papers:{kind}_rss", args=args), query),
        "atom": with_query(reverse(f"papers:{kind}_atom", args=args), query),
        "json": with_query(reverse(f"papers:{kind}_json", args=args), query),
    }
