"""JSON Feed 1.1 beside every RSS/Atom feed: the same items, ids and conditional GET, checked against
the spec's fields (https://www.jsonfeed.org/version/1.1/)."""

import datetime
import json
import re

import feedparser
import pytest

from papers.importing import import_digest
from papers.models import Paper

from .builders import Entry, daily_digest
from .test_feeds import feed_urls

pytestmark = pytest.mark.django_db


def json_feed(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/feed+json; charset=utf-8"
    return response, json.loads(response.content)


def rfc3339(value):
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})", value), value
    return datetime.datetime.fromisoformat(value)


def assert_valid(feed, url):
    assert feed["version"] == "https://jsonfeed.org/version/1.1"
    assert isinstance(feed["title"], str) and feed["title"]
    assert feed["home_page_url"].startswith("http://testserver/")
    assert feed["feed_url"] == "http://testserver" + url
    assert isinstance(feed["items"], list)
    for item in feed["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert item["url"].startswith("http://testserver/papers/")
        assert isinstance(item["title"], str) and item["title"]
        assert item["content_html"].strip() and item["content_text"].strip()
        assert not re.search(r"</?(p|h4|a|strong)\b", item["content_text"]), item["content_text"]
        rfc3339(item["date_published"]) and rfc3339(item["date_modified"])
        assert all(set(author) == {"name"} and author["name"] for author in item.get("authors", []))
        assert not set(item) - {
            "id", "url", "external_url", "title", "content_html", "content_text", "date_published",
            "date_modified", "authors", "tags",
        }  # fmt: skip


def test_every_feed_has_a_json_twin_with_the_same_items_and_ids(client, seeded):
    for rss_url in (u for u in feed_urls() if ".rss" in u):
        url = rss_url.replace(".rss", ".json")
        _response, feed = json_feed(client, url)
        assert_valid(feed, url)
        rss = feedparser.parse(client.get(rss_url).content)
        assert [i["id"] for i in feed["items"]] == [e.id for e in rss.entries], url
        assert [i["title"] for i in feed["items"]] == [e.title for e in rss.entries], url
        assert [i["url"] for i in feed["items"]] == [e.link for e in rss.entries], url
        assert feed["home_page_url"] == rss.feed.link and feed["title"] == rss.feed.title
        assert feed["items"], url


def test_items_carry_authors_in_order_tags_and_the_arxiv_link(client, seeded):
    _response, feed = json_feed(client, "/feeds/latest.json")
    mega = next(i for i in feed["items"] if i["title"].startswith("Mega"))
    paper = Paper.objects.get(arxiv_id="2209.10655")
    assert [a["name"] for a in mega["authors"]] == [a.name for a in paper.ordered_authors()]
    assert mega["tags"] == ["LG"] and mega["external_url"] == "https://arxiv.org/abs/2209.10655"
    assert (
        "Transformer注意力机制" in mega["content_text"]
        and "University of Southern California" in mega["content_text"]
    )


def test_script_in_text_is_plain_text_and_escaped_html(client):
    import_digest(
        daily_digest([Entry("<script>alert(1)</script>", "2301.00009", abstract_en="<b>bold</b> & text")]),
        name="evil.txt",
    )
    response, feed = json_feed(client, "/feeds/latest.json")
    raw = response.content.decode()
    assert (
        "<" not in raw and ">" not in raw
    )  # JSON escapes them: pasting the feed into a page injects nothing
    (item,) = feed["items"]
    assert item["title"] == "<script>alert(1)</script> / 中文标题"
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; text" in item["content_html"] and "<b>" not in item["content_html"]
    assert "<b>bold</b> & text" in item["content_text"]  # text, as written: a reader shows it as text


def test_json_feed_follows_the_query_and_answers_conditional_gets(client, seeded, django_assert_num_queries):
    _response, filtered = json_feed(client, "/feeds/latest.json?area=CV&both=false")
    rss = feedparser.parse(client.get("/feeds/latest.rss?area=CV&both=false").content)
    assert [i["id"] for i in filtered["items"]] == [e.id for e in rss.entries]

    response, _feed = json_feed(client, "/feeds/latest.json")
    etag, last_modified = response["ETag"], response["Last-Modified"]
    assert etag != client.get("/feeds/latest.rss")["ETag"]  # one validator per format
    with django_assert_num_queries(1):  # the site version, then the cached feed's ETag answers
        assert client.get("/feeds/latest.json", HTTP_IF_NONE_MATCH=etag).status_code == 304
    with django_assert_num_queries(2):  # not cached yet: the site version and one aggregate
        assert client.get("/areas/LG/feed.json", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    hidden = Paper.objects.get(arxiv_id="2209.10655")
    hidden.is_published = False
    hidden.save()
    again = client.get("/feeds/latest.json", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag
    assert "Mega" not in again.content.decode()


def test_pages_announce_their_json_feed(client, seeded):
    for url, feed in (
        ("/", "/feeds/latest.json"),
        ("/areas/LG/", "/areas/LG/feed.json"),
        ("/?area=CV", "?area=CV"),
    ):
        text = client.get(url).text
        link = re.search(
            r'<link rel="alternate" type="application/feed\+json" title="[^"]*" href="([^"]+)"', text
        )
        assert link and feed in link.group(1), url
        assert client.get(link.group(1).replace("&amp;", "&")).status_code == 200
