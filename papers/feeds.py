"""RSS 2.0, Atom and JSON Feed 1.1 feeds for every paper list, built on Django's syndication framework.

A feed is a list page's selection: its fixed facet (area, institution, author, digest, from the
URL) plus the same query parameters the page takes, read by the shared PaperFilter. Readers poll
often, so `conditional` answers If-None-Match / If-Modified-Since from one aggregate query before
any feed is built, and a feed's bytes depend only on its papers (no build time that moves).
"""

import datetime
import hashlib
import io
import json
import textwrap
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site
from django.contrib.syndication.views import Feed, add_domain
from django.db.models import Max
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import get_conditional_response
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed, SyndicationFeed
from django.utils.functional import cached_property
from django.utils.http import http_date
from django.utils.xmlutils import SimplerXMLGenerator

from .cardcache import kept_per_paper
from .cleaning import strip_control_characters
from .filters import PaperFilter
from .heads import PaperHeads
from .listing import with_query
from .models import Affiliation, Area, Author, Authorship, Digest, DigestEntry, Institution, Paper, Source
from .pagecache import code_digest, versioned

MAX_ITEMS = 50
EPOCH = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def xml_safe(value):
    """A feed value with the characters XML 1.0 forbids removed, in strings, lists and dicts alike."""
    if isinstance(value, str):
        return strip_control_characters(value)
    if isinstance(value, list | tuple):
        return type(value)(xml_safe(v) for v in value)
    if isinstance(value, dict):
        return {k: xml_safe(v) for k, v in value.items()}
    return value


class XmlSafeFeed:
    """Every value goes into the feed without control characters.

    The ways in refuse or remove them (papers.cleaning), but rows stored before that, or written by
    raw SQL, may still hold one, and Django's XML writer raises on it: one paper must not take down
    every feed that lists it.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*xml_safe(args), **xml_safe(kwargs))

    def add_item(self, *args, **kwargs):
        super().add_item(*xml_safe(args), **xml_safe(kwargs))


class KeptItemsFeed(XmlSafeFeed):
    """Each item written from its FeedEntry, as the XML it keeps for this format (FeedEntry.written):
    the syndication framework's per-item work (a dozen attribute lookups and a dozen elements an
    item, 50 items) was most of a feed of kept entries."""

    entries = None

    def add_entries(self, entries):
        self.entries = entries

    def write_items(self, handler):
        if self.entries is None:
            return super().write_items(handler)
        for entry in self.entries:
            # Verbatim: XML that written_item() below wrote with this very class.
            handler.ignorableWhitespace(entry.written[self.format])

    @classmethod
    def written_item(cls, item):
        """One item (SyndicationFeed.add_item's arguments) as this format writes it."""
        feed = cls(title="", link="", description="")
        feed.add_item(**item)
        out = io.StringIO()
        super(KeptItemsFeed, feed).write_items(SimplerXMLGenerator(out, "utf-8", short_empty_elements=True))
        return out.getvalue()


class StableRssFeed(KeptItemsFeed, Rss201rev2Feed):
    """lastBuildDate comes from the papers, never from the clock, so unchanged feeds are identical bytes."""

    format = "rss"

    def latest_post_date(self):
        return self.feed.get("last_modified") or EPOCH


class StableAtomFeed(KeptItemsFeed, Atom1Feed):
    """Atom with the paper's full HTML in <content> (readers show it in full) instead of <summary>."""

    format = "atom"

    def latest_post_date(self):
        return self.feed.get("last_modified") or EPOCH

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"]:
            handler.addQuickElement("content", item["description"], {"type": "html"})


@dataclass
class Selection:
    """What one feed shows: a title, the HTML page it mirrors, and the papers."""

    title: str
    page_url: str
    base: object  # Paper queryset with the URL's fixed facet applied
    query: dict = field(default_factory=dict)  # the request's query parameters
    feed_url: str = ""  # the feed's own path and query
    facet: tuple = ()  # the URL's fixed facet: (kind, key)

    @cached_property
    def filterset(self):
        # One per feed request: its conditional GET, its lastBuildDate and its items read the same.
        return PaperFilter(self.query, queryset=self.base.published())

    def papers(self):
        return self.filterset, self.filterset.qs

    @cached_property
    def described(self):
        """What names this selection exactly, for what is kept of it under the site version: the
        URL's facet, and its filters as PaperFilter.described() names them."""
        return hashlib.sha256(repr((self.facet, self.filterset.described())).encode()).hexdigest()

    def validators(self):
        """The newest change in this selection, hidden papers included (hiding bumps `updated_at`).

        Curators hide rather than delete, so the newest change is enough; one aggregate on an index,
        kept under the site version (papers.pagecache), which every change moves.
        """
        return self._validators

    @cached_property
    def _validators(self):
        return versioned(f"feed-validators:{self.described}", self._newest_change)

    def _newest_change(self):
        everything = self.filterset.qs_over(self.base)
        # A `since` window moves with the newest digest, taking papers out (or, when a digest goes,
        # older ones in) that did not change: the window's days go in the ETag.
        newest = everything.order_by().aggregate(newest=Max("updated_at"))
        return {**newest, "window": self.filterset.window()}


def kept_id_query(model, slug):
    """A subquery of the id of the row a slug names, or of the row it was merged into: an old slug's
    subscribers keep getting the kept institution's (or author's) papers.

    models.kept_id() in SQL, one step deep: enough because merges flatten chains (every alias points
    straight at a kept row; see papers.curation._merge).
    """
    return model.objects.filter(slug=slug).values(kept=Coalesce("merged_into_id", "id"))


def _linked(links):
    return Paper.objects.filter(pk__in=links.values("paper_id"))


@dataclass(frozen=True)
class Facet:
    """A feed URL's fixed facet: its model, the field its URL key names, its papers and its title."""

    model: type
    key_field: str
    papers: object  # key → Paper queryset, as `id IN (subquery)`: no join repeats a paper, no DISTINCT
    title: str  # formatted with the facet's object as `o`


FACETS = {
    "area": Facet(
        Area, "code", lambda key: Paper.objects.filter(area__code=key), "{o.code} {o.name_en} / {o.name_zh}"
    ),
    "institution": Facet(
        Institution,
        "slug",
        lambda key: _linked(Affiliation.objects.filter(institution_id__in=kept_id_query(Institution, key))),
        "papers from {o.name}",
    ),
    "author": Facet(
        Author,
        "slug",
        lambda key: _linked(Authorship.objects.filter(author_id__in=kept_id_query(Author, key))),
        "papers by {o.name}",
    ),
    "digest": Facet(
        Digest, "pk", lambda key: _linked(DigestEntry.objects.filter(digest_id=key)), "digest {o.name}"
    ),
}


def selection_for(request, kind, key=None):
    """The selection a feed URL stands for, without touching the database for the fixed facet."""
    query = request.GET.copy()
    query.pop("page", None)
    base = FACETS[kind].papers(key) if kind in FACETS else Paper.objects.all()
    feed_url = with_query(request.path, list(query.lists()))
    return Selection(title="", page_url="", base=base, query=query, feed_url=feed_url, facet=(kind, key))


def describe(selection, kind, key):
    """Fill in the title and page of a selection; 404 for a facet that does not exist."""
    suffix = ", filtered" if selection.query else ""
    if kind in FACETS:
        facet = FACETS[kind]
        obj = get_object_or_404(facet.model, **{facet.key_field: key})
        title, page = facet.title.format(o=obj), obj.get_absolute_url()
    else:
        title, page = "latest papers / 最新论文", reverse("papers:list")
    selection.title = f"{settings.PORTAL_NAME}: {title}{suffix}"
    selection.page_url = with_query(page, list(selection.query.lists()))
    return selection


@dataclass(frozen=True)
class FeedEntry:
    """What every feed format shows of one paper, made once and kept (papers.cardcache) until the
    site version moves: a feed then reads its papers' ids, not 50 papers with their people, and
    writes each item as the XML kept with it."""

    pk: int
    title: str
    link: str  # absolute: a feed reader has no page to resolve it against
    pubdate: datetime.datetime
    updateddate: datetime.datetime
    author_names: list
    authors_truncated: bool
    categories: list
    description: str  # the HTML of feeds/paper_description.html
    content_text: str  # the same as text (plain_text)
    external_url: str | None
    written: dict = field(init=False, compare=False, repr=False)  # format → the item as it writes it

    def __post_init__(self):
        # (dataclasses.replace() comes through here too, so a changed entry is written anew.)
        item = self.item()
        written = {feed.format: feed.written_item(item) for feed in WRITTEN_FORMATS}
        object.__setattr__(self, "written", written)

    @classmethod
    def of(cls, paper, link):
        return cls(
            pk=paper.pk,
            title=paper.bilingual_title,
            link=link,
            pubdate=paper.created_at,
            updateddate=paper.updated_at,
            author_names=[a.name for a in paper.ordered_authors()],
            authors_truncated=paper.authors_truncated,
            categories=[paper.area.code] if paper.area else [],
            description=render_to_string(DESCRIPTION_TEMPLATE, {"obj": paper, "Source": Source}),
            content_text=plain_text(paper),
            external_url=paper.arxiv_abs_url,
        )

    def item(self):
        """The entry as Django's feed generators take an item (SyndicationFeed.add_item)."""
        authors = ", ".join(self.author_names) + (" et al." if self.authors_truncated else "")
        return {
            "title": self.title,
            "link": self.link,
            "description": self.description,
            # The row id never changes on edit or re-import (an arXiv id can arrive later, so not it).
            "unique_id": f"tag:{settings.FEED_TAG_AUTHORITY},2026:paper/{self.pk}",
            "unique_id_is_permalink": False,
            "pubdate": self.pubdate,
            "updateddate": self.updateddate,
            "author_name": authors if self.author_names else None,
            "categories": self.categories,
            # JSON Feed's own (JsonFeed.item); the XML formats leave them out.
            "content_text": self.content_text,
            "author_names": self.author_names,
            "external_url": self.external_url,
        }


DESCRIPTION_TEMPLATE = "feeds/paper_description.html"


def feed_entries(papers, request):
    """The FeedEntry of each of `papers` (a list, or PaperHeads), in order, with links on the
    request's host."""
    domain, secure = get_current_site(request).domain, request.is_secure()
    return kept_per_paper(
        papers,
        f"feed-entry:{code_digest((DESCRIPTION_TEMPLATE,), (__name__,))}:{domain}:{int(secure)}",
        lambda paper: FeedEntry.of(paper, add_domain(domain, paper.get_absolute_url(), secure)),
    )


class PaperFeed(Feed):
    feed_type = StableRssFeed

    def __call__(self, request, kind="latest", key=None):
        selection = selection_for(request, kind, key)
        return conditional(
            request,
            selection,
            lambda: super(PaperFeed, self).__call__(request, kind=kind, key=key, selection=selection),
        )

    def get_object(self, request, kind="latest", key=None, selection=None):
        return describe(selection or selection_for(request, kind, key), kind, key)

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)  # the channel: items() gives the framework none
        feed.add_entries(self.entries(obj, request))
        return feed

    def items(self, obj):
        return ()

    def entries(self, selection, request):
        # The newest papers' (id, day)s, kept like a list page's (papers.listing.newest_page).
        heads = versioned(
            f"feed-heads:{selection.described}",
            lambda: list(selection.papers()[1].newest_first().values_list("pk", "listed_on")[:MAX_ITEMS]),
        )
        return feed_entries(PaperHeads(heads), request)

    def title(self, selection):
        return selection.title

    def link(self, selection):
        return selection.page_url

    def description(self, selection):
        return "New machine-learning papers from the daily digests, in Chinese and English."

    def feed_extra_kwargs(self, selection):
        return {"last_modified": selection.validators()["newest"]}


class PaperAtomFeed(PaperFeed):
    feed_type = StableAtomFeed
    subtitle = PaperFeed.description


class JsonFeed(SyndicationFeed):
    """JSON Feed 1.1 (https://www.jsonfeed.org/version/1.1/) from the items the other feeds get.

    Items carry the same ids, links and dates as RSS and Atom, the same HTML as Atom's <content>,
    and a plain-text body (PaperJsonFeed.item_extra_kwargs) for scripts that want no markup.
    """

    content_type = "application/feed+json; charset=utf-8"
    format = "json"
    entries = None

    def latest_post_date(self):
        return self.feed.get("last_modified") or EPOCH

    def add_entries(self, entries):
        self.entries = entries

    @classmethod
    def written_item(cls, item):
        """One item as write() nests it (json.dumps with an indent is pure Python: most of a feed)."""
        feed = cls(title="", link="", description="")
        feed.add_item(**item)
        return json.dumps(cls.item(feed.items[0]), ensure_ascii=False, indent=1)

    def write(self, outfile, encoding):
        feed = {
            "version": "https://jsonfeed.org/version/1.1",
            "title": self.feed["title"],
            "home_page_url": self.feed["link"],
            "feed_url": self.feed["feed_url"],
            "description": self.feed["description"],
            "items": [self.item(item) for item in self.items],
        }
        text = json.dumps(feed, ensure_ascii=False, indent=1)
        if self.entries:
            # Each entry's kept item, indented two levels as json.dumps nests it, in the empty list.
            items = ",\n".join(textwrap.indent(entry.written[self.format], "  ") for entry in self.entries)
            text = text.removesuffix("[]\n}") + "[\n" + items + "\n ]\n}"
        # The same JSON, with < > & as escapes: a script that pastes it into a page injects nothing.
        outfile.write(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))

    @staticmethod
    def item(item):
        entry = {
            "id": item["unique_id"],
            "url": item["link"],
            "external_url": item.get("external_url"),
            "title": item["title"],
            "content_html": item["description"],
            "content_text": item.get("content_text"),
            "date_published": item["pubdate"].isoformat() if item["pubdate"] else None,
            "date_modified": item["updateddate"].isoformat() if item["updateddate"] else None,
            "authors": [{"name": name} for name in item.get("author_names", [])] or None,
            "tags": item["categories"] or None,
        }
        return {key: value for key, value in entry.items() if value is not None}


WRITTEN_FORMATS = (StableRssFeed, StableAtomFeed, JsonFeed)


class PaperJsonFeed(PaperFeed):
    feed_type = JsonFeed

    def feed_url(self, selection):
        return selection.feed_url


def plain_text(paper):
    """A feed item's body as text: what paper_description.html shows, in the same order, no markup."""
    parts = []
    if paper.title_en and paper.title_zh:
        parts.append(paper.title_zh)
    if chinese := paper.summary_zh or paper.abstract_zh:
        source = paper.summary_zh_source if paper.summary_zh else paper.abstract_zh_source
        machine = " (machine translation / 机器翻译)" if source == Source.MACHINE_TRANSLATION else ""
        parts += [f"中文{machine}:", chinese]
        if paper.summary_zh and paper.abstract_zh:
            parts.append(paper.abstract_zh)
    if paper.abstract_en:
        parts += ["English:", paper.abstract_en]
    if institutions := paper.ordered_institutions():
        names = (" ".join(filter(None, (i.name, i.name_zh))) for i in institutions)
        parts.append("Institutions / 机构: " + "; ".join(names))
    if paper.arxiv_id:
        parts.append(f"arXiv: {paper.arxiv_abs_url} · PDF: {paper.arxiv_pdf_url}")
    return "\n\n".join(parts)


def conditional(request, selection, respond):
    """Answer a conditional GET from the selection's validators, before the feed is built.

    One aggregate query decides; a 304 costs nothing more. The ETag covers the URL (the feed's
    format and filters), the newest change and size of its papers, and the time window a `since`
    resolves to, when the selection has one (a reading list has none).
    """
    stamp = selection.validators()
    newest = stamp["newest"]
    window = stamp.get("window", "-")
    fingerprint = f"{request.get_full_path()}|{newest.isoformat() if newest else '-'}|{window}"
    etag = f'"{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"'
    last_modified = int(newest.timestamp()) if newest else None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        response = respond()
    if response.status_code in (200, 304):
        response["ETag"] = etag
        if last_modified is not None:
            response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = "public, max-age=300"
    return response
