"""Cacheable public pages and the page cache (papers.pagecache): anonymous readers get no cookie, a
repeat view comes from the cache, and every kind of change shows on every page and feed at once."""

import datetime

import feedparser
import pytest
from django.db import connection
from django.test import Client

from papers import curation
from papers.importing import import_digest
from papers.models import Area, Digest, Institution, Paper

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_digests():
    first = daily_digest(
        [
            Entry(
                "Vision at CMU",
                "2301.00001",
                area="CV",
                institutions=["CMU"],
                abstract_en="Code is at https://github.com/cmu/vision.",
            ),
            Entry("Robots at MIT", "2301.00002", area="RO", institutions=["MIT"]),
        ]
    )
    second = daily_digest(
        [Entry("Vision again", "2301.00003", area="CV", institutions=["Carnegie Mellon University"])]
    )
    assert not import_digest(first, name="2025-01-01.txt").failed
    assert not import_digest(second, name="2025-01-02.txt").failed


def public_urls():
    paper = Paper.objects.get(arxiv_id="2301.00001")
    cmu = Institution.objects.get(name="CMU")
    digest = Digest.objects.get(name="2025-01-01.txt")
    return [
        "/", "/search/?q=vision", "/?area=CV", f"/papers/{paper.pk}/", "/institutions/",
        f"/institutions/{cmu.slug}/", "/areas/CV/", "/digests/", f"/digests/{digest.pk}/", "/feeds/",
        "/feeds/latest.rss", "/feeds/latest.atom", f"/institutions/{cmu.slug}/feed.rss",
        "/feeds/subscriptions.opml", "/?has_code=1", "/feeds/latest.rss?has_code=1", "/feeds/latest.json",
        "/papers.bib?area=CV", f"/institutions/{cmu.slug}/papers.ris", f"/digests/{digest.pk}/papers.bib",
    ]  # fmt: skip


def test_anonymous_pages_set_no_cookie_and_say_they_may_be_cached(client, two_digests):
    for url in public_urls():
        for _ in range(2):  # fresh, then from the cache
            response = client.get(url)
            assert response.status_code == 200, url
            assert not response.cookies, (url, response.cookies)
            assert "public" in response["Cache-Control"] and "max-age=" in response["Cache-Control"], url
            vary = response["Vary"]
            assert "Accept-Language" in vary and "Cookie" in vary, url
            assert "csrfmiddlewaretoken" not in response.content.decode(), url
    missing = client.get("/papers/999999/")
    assert missing.status_code == 404 and not missing.cookies


def test_the_language_switch_is_a_plain_link_that_remembers_the_choice(client, two_digests):
    page = client.get("/institutions/").content.decode()
    assert (
        'href="/language/zh-hans/?next=/institutions/"' in page
        and '<form class="language-switch"' not in page
    )
    response = client.get("/language/zh-hans/", {"next": "/institutions/"})
    assert response.status_code == 302 and response["Location"] == "/institutions/"
    assert response.cookies["django_language"].value == "zh-hans"
    assert response["Cache-Control"] == "no-store"
    assert "机构" in client.get("/institutions/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # No open redirect, no unknown language.
    assert client.get("/language/en/", {"next": "https://evil.example/"})["Location"] == "/"
    assert client.get("/language/xx/").status_code == 404


def test_each_language_gets_its_own_cached_page(client, two_digests):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "Latest papers" in english.content.decode() and "最新论文" in chinese.content.decode()
    again = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert again["X-Page-Cache"] == "hit" and "最新论文" in again.content.decode()


def test_a_repeat_view_is_served_from_the_cache_with_one_query(
    client, two_digests, django_assert_num_queries
):
    for url in public_urls():
        first = client.get(url)
        assert "X-Page-Cache" not in first, url
        with django_assert_num_queries(1):  # the site version
            again = client.get(url)
        assert again["X-Page-Cache"] == "hit", url
        assert again.content == first.content, url
        assert client.get(url, HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304, url


def test_logged_in_curators_always_get_a_fresh_page(curator_client, two_digests):
    curator_client.get("/")
    assert "X-Page-Cache" not in curator_client.get("/")


def feed_titles(client, url):
    return [e.title for e in feedparser.parse(client.get(url).content).entries]


def cmu():
    return Institution.objects.get(name="CMU")


CHANGES = {
    "import": (
        lambda: import_digest(daily_digest([Entry("Brand new paper", "2301.00009")]), name="2025-01-03.txt"),
        "Brand new paper",
    ),
    "curator edit": (lambda: _curator_edit("2301.00001", "Edited by a curator"), "Edited by a curator"),
    "hide": (
        lambda: curation.set_published(papers=Paper.objects.filter(arxiv_id="2301.00001"), published=False),
        None,
    ),
    "feature": (
        lambda: curation.set_featured(papers=Paper.objects.filter(arxiv_id="2301.00002"), featured=True),
        "featured",
    ),
    "rename": (
        lambda: curation.rename_entity(entity=cmu(), name="Carnegie Mellon, renamed"),
        "Carnegie Mellon, renamed",
    ),
    "merge": (
        lambda: curation.merge_institutions(
            keep=cmu(), others=[Institution.objects.get(name="Carnegie Mellon University")]
        ),
        None,
    ),
    "area rename": (lambda: _rename_area("CV", "Seeing Machines"), "Seeing Machines"),
    "digest date": (
        lambda: curation.set_digest_date(
            digest=Digest.objects.get(name="2025-01-01.txt"), published_on=datetime.date(2025, 1, 5)
        ),
        None,
    ),
    "digest deleted": (
        lambda: curation.delete_digests(digests=Digest.objects.filter(name="2025-01-02.txt")),
        None,
    ),
    "raw SQL": (
        lambda: _raw_title("2301.00002", "Written behind the ORM"),
        "Written behind the ORM",
    ),
}


def _curator_edit(arxiv_id, title):
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    paper.title_en = title
    curation.save_paper_edit(paper=paper, changed_fields=["title_en"])


def _rename_area(code, name):
    area = Area.objects.get(code=code)
    area.name_en = name
    area.save()


def _raw_title(arxiv_id, title):
    table = connection.ops.quote_name(Paper._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET title_en = %s WHERE arxiv_id = %s", [title, arxiv_id])


@pytest.mark.parametrize("change", CHANGES)
def test_every_kind_of_change_shows_on_every_page_and_feed_at_once(client, two_digests, change):
    urls = public_urls()
    before = {url: client.get(url).content for url in urls}
    for url in urls:
        assert client.get(url)["X-Page-Cache"] == "hit", url  # warm

    make, shown = CHANGES[change]
    make()

    for url in public_urls():  # (the institution page may have moved: read the URLs again)
        response = client.get(url)
        assert response.status_code in (200, 301, 404), url
        assert "X-Page-Cache" not in response, (change, url)
    home, feed = client.get("/").content.decode(), client.get("/feeds/latest.rss").content.decode()
    if shown:
        assert shown in home or shown in client.get("/institutions/").content.decode(), change
    if change == "hide":
        assert "Vision at CMU" not in home and "Vision at CMU" not in feed
    if change == "digest date":
        assert feed_titles(client, "/feeds/latest.atom")[0].startswith("Vision at CMU")
    if change == "digest deleted":
        assert "Vision again" not in home and "Vision again" not in feed
    if change == "merge":
        assert "Carnegie Mellon University" not in client.get("/institutions/").content.decode()
    assert before != {url: client.get(url).content for url in urls if url in before}


def test_every_table_pages_are_made_of_moves_the_site_version(two_digests):
    """Triggers are per table, and on SQLite a later migration that rebuilds a table drops its
    triggers silently: this fails if any table stops moving the version."""
    from papers.models import SITE_VERSION_TABLES as watched
    from papers.models import ReferenceCountry
    from papers.pagecache import site_version

    ReferenceCountry.objects.create(code="CN", name_en="China", name_zh="中国")  # no digest makes one
    quote = connection.ops.quote_name
    for table in watched:
        before = site_version()
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(table)} SET id = id WHERE id = (SELECT MIN(id) FROM {quote(table)})"
            )
        assert site_version() > before, table


@pytest.mark.parametrize("page_cache", [True, False])
def test_a_conditional_get_is_answered_before_the_view_with_one_query(
    client, curator, two_digests, settings, django_assert_num_queries, page_cache
):
    """Validators are remembered with the page (and without it, the page cache off): a reader polling
    with If-None-Match or If-Modified-Since costs the site version, and a change answers in full."""
    settings.PORTAL_PAGE_CACHE = page_cache
    for url in ("/feeds/latest.rss", "/", f"/institutions/{cmu().slug}/"):
        first = client.get(url)
        conditions = [{"HTTP_IF_NONE_MATCH": first["ETag"]}]
        if "Last-Modified" in first:
            conditions.append({"HTTP_IF_MODIFIED_SINCE": first["Last-Modified"]})
        for condition in conditions:
            with django_assert_num_queries(1):  # the site version
                again = client.get(url, **condition)
            assert again.status_code == 304 and again["X-Page-Cache"] == "validated", (url, condition)
            assert again["ETag"] == first["ETag"] and again["Cache-Control"] == first["Cache-Control"], url
            assert "Cookie" in again["Vary"] and not again.cookies and not again.content, url
        assert client.get(url, HTTP_IF_NONE_MATCH='"another"').status_code == 200, url
    etag = client.get("/feeds/latest.rss")["ETag"]
    curator_client = Client()
    curator_client.force_login(curator)
    assert "X-Page-Cache" not in curator_client.get("/feeds/latest.rss", HTTP_IF_NONE_MATCH=etag)
    _curator_edit("2301.00001", "Edited while a reader polls")
    fresh = client.get("/feeds/latest.rss", HTTP_IF_NONE_MATCH=etag)
    assert fresh.status_code == 200 and "Edited while a reader polls" in fresh.content.decode()
