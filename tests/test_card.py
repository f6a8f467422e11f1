"""A paper card in the reader's language: its words translated once a page, its texts in order."""

import re

import feedparser
import pytest
from django.test import Client

from papers.importing import import_digest
from papers.models import Paper

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def papers(db):
    entries = [
        Entry(f"Paper number {n}", arxiv_id=f"2301.{n:05d}", authors=[f"Writer {n}", "B Writer"])
        for n in range(1, 4)
    ]
    import_digest(daily_digest(entries), name="001_cards.txt")


def cards(text):
    return re.findall(r'<article class="paper-card".*?</article>', text, re.S)


@pytest.mark.parametrize(
    ("accept", "first", "words"),
    [
        (
            "en",
            "text-en",
            ["English", "Chinese", "Read both texts in full", "Save to reading list", "Authors:"],
        ),  # noqa: E501
        ("zh-CN", "text-zh", ["英文", "中文", "阅读中英文全文", "保存到阅读清单", "作者:"]),
    ],
)
def test_every_card_speaks_the_page_language(client, papers, accept, first, words):
    found = cards(client.get("/", HTTP_ACCEPT_LANGUAGE=accept).text)
    assert len(found) == 3
    other = "text-zh" if first == "text-en" else "text-en"
    for card in found:
        assert card.index(first) < card.index(other)
        for word in words:
            assert word in card, word


def test_a_language_switch_between_pages_is_not_carried_over(client, papers):
    # The labels are read when a page renders, never kept from the page before.
    assert "保存到阅读清单" in client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").text
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").text
    assert "保存到阅读清单" not in english and "Save to reading list" in english


# Kept cards (papers.cardcache): the page cache off, so every page below is a first view of its page.
from papers import cardcache  # noqa: E402

from .test_page_cache import CHANGES, two_digests  # noqa: E402, F401  (the fixture, used by name)
from .test_time_windows import dated, day, newest, reader, visit_cookie  # noqa: E402, F401


@pytest.fixture
def pages_uncached(settings):
    settings.PORTAL_PAGE_CACHE = False


@pytest.fixture
def rendered(monkeypatch):
    """The papers whose card was rendered, not read from the cache."""
    seen = []
    render = cardcache._render

    def counting(template, context, paper):
        seen.append(paper.pk)
        return render(template, context, paper)

    monkeypatch.setattr(cardcache, "_render", counting)
    return seen


def test_a_card_is_rendered_once_for_every_page_that_shows_it(client, papers, pages_uncached, rendered):
    first = client.get("/").text
    assert len(rendered) == 3
    assert client.get("/").text == first
    assert client.get("/?area=LG").status_code == 200
    assert len(rendered) == 3
    # Another language, or a search (its words are marked), is another card.
    client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert len(rendered) == 6
    assert "<mark>" in client.get("/search/?q=number").text
    assert len(rendered) == 9


def test_with_the_card_cache_off_every_card_is_rendered(client, papers, pages_uncached, rendered, settings):
    settings.PORTAL_CARD_CACHE = False
    client.get("/")
    client.get("/")
    assert len(rendered) == 6


@pytest.mark.parametrize("change", CHANGES)
def test_every_kind_of_change_shows_on_the_cards_at_once(client, two_digests, pages_uncached, change):  # noqa: F811
    before = client.get("/").text
    assert client.get("/").text == before  # the cards now come from the cache
    make, shown = CHANGES[change]
    make()
    home = client.get("/").text
    assert home != before, change
    if shown:
        assert shown in home or shown in client.get("/institutions/").text, change
    if change == "hide":
        assert "Vision at CMU" not in home
    if change == "digest deleted":
        assert "Vision again" not in home


def test_the_new_mark_is_never_shared_between_readers(dated, newest, pages_uncached):  # noqa: F811
    plain = Client().get("/?area=LG").text
    marked = reader(visit_cookie(day(7, newest))).get("/?area=LG").text
    assert 'class="badge badge-new"' not in plain
    assert marked.count('class="badge badge-new"') == 2
    assert 'class="badge badge-new"' not in Client().get("/?area=LG").text
    assert reader(visit_cookie(day(41, newest))).get("/?area=LG").text.count('class="badge badge-new"') == 3


# What else is kept under the site version for first views (papers.pagecache.versioned, and feed
# entries by papers.cardcache.kept_per_paper): a feed's entries, a paper page's paper, an institution's
# figures, a search's ranked ids, facet counts. None may outlive a change.
from django.core.cache import cache  # noqa: E402

from .test_page_cache import public_urls  # noqa: E402


@pytest.mark.parametrize("change", CHANGES)
def test_after_every_kind_of_change_each_page_is_what_nothing_kept_would_show(
    client,
    two_digests,  # noqa: F811
    pages_uncached,
    change,
):
    urls = public_urls()
    before = {url: client.get(url).content for url in urls}
    assert {url: client.get(url).content for url in urls} == before  # now from what is kept
    make, _shown = CHANGES[change]
    make()
    urls = public_urls() if change not in ("hide", "merge") else urls  # (hidden: its page is a 404)
    after = {url: (r.status_code, r.content) for url in urls for r in [client.get(url)]}
    cache.clear()
    assert {url: (r.status_code, r.content) for url in urls for r in [client.get(url)]} == after, change


def test_a_feed_of_kept_entries_reads_no_paper_rows_beyond_ids(client, pages_uncached):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import_digest(daily_digest([Entry(f"P{i}", f"2302.{i:05d}", area="LG") for i in range(60)]), name="a.txt")
    first = feedparser.parse(client.get("/feeds/latest.rss").content)
    with CaptureQueriesContext(connection) as queries:
        again = feedparser.parse(client.get("/feeds/latest.atom").content)  # another feed, the same papers
    assert [e.title for e in again.entries] == [e.title for e in first.entries]
    assert len(again.entries) == 50 and all(e.summary for e in again.entries)
    assert not any(
        "papers_authorship" in q["sql"] or "papers_affiliation" in q["sql"] for q in queries.captured_queries
    )


def test_a_kept_paper_page_is_one_query(client, pages_uncached, django_assert_num_queries):
    import_digest(daily_digest([Entry("Kept", "2302.00001", area="LG")]), name="a.txt")
    url = Paper.objects.get().get_absolute_url()
    first = client.get(url)
    with django_assert_num_queries(1):  # the site version
        assert client.get(url).content == first.content
