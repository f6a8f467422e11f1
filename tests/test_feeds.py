import re
import xml.etree.ElementTree as ET
from pathlib import Path

import feedparser
import pytest
from django.utils.http import http_date

from papers.importing import import_digest
from papers.models import Area, Digest, Institution, Paper

from .builders import Entry, daily_digest, stream_digest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
pytestmark = pytest.mark.django_db


def feed_urls():
    cmu = Institution.objects.get(name="CMU")
    author = Paper.objects.get(arxiv_id="2209.10655").ordered_authors()[0]
    digest = Digest.objects.get(name="004_ae42a3c06c86c834.txt")
    paths = [
        "/feeds/latest", "/areas/LG/feed", f"/institutions/{cmu.slug}/feed", f"/authors/{author.slug}/feed",
        f"/digests/{digest.pk}/feed",
    ]  # fmt: skip
    return [p + ext for p in paths for ext in (".rss", ".atom")] + ["/feeds/latest.rss?area=CV&both=false"]


def parse(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url
    return response, feedparser.parse(response.content, sanitize_html=False)


def test_every_kind_of_feed_parses_with_complete_items(client, seeded):
    for url in feed_urls():
        response, feed = parse(client, url)
        assert not feed.bozo, (url, feed.get("bozo_exception"))
        assert feed.version == ("atom10" if ".atom" in url else "rss20")
        assert feed.entries, url
        for item in feed.entries:
            assert item.title and item.link and item.id, url
            assert item.get("published_parsed") or item.get("updated_parsed"), url
            body = item.content[0].value if "content" in item else item.summary
            assert body.strip(), url


def test_items_carry_both_languages_authors_categories_and_links(client, seeded):
    _response, feed = parse(client, "/feeds/latest.atom")
    mega = next(e for e in feed.entries if e.title.startswith("Mega"))
    assert mega.title == "Mega: Moving Average Equipped Gated Attention / Mega:移动平均单头门控注意力"
    body = mega.content[0].value
    assert 'lang="zh-Hans"' in body and "Transformer注意力机制" in body
    assert 'lang="en"' in body and "The design choices in the Transformer" in body
    assert "University of Southern California" in body and "https://arxiv.org/abs/2209.10655" in body
    assert mega.author.startswith("X Ma, C Zhou")
    assert [t.term for t in mega.tags] == ["LG"]
    assert mega.link.endswith(Paper.objects.get(arxiv_id="2209.10655").get_absolute_url())


def test_abstract_only_items_get_an_honest_marked_title(client):
    import_digest(stream_digest(["A stream abstract about diffusion policies for robots."]), name="s.txt")
    _response, feed = parse(client, "/feeds/latest.rss")
    assert (
        feed.entries[0].title == "[Untitled / 无标题] A stream abstract about diffusion policies for robots."
    )


def test_items_say_when_the_chinese_text_is_a_machine_translation(client):
    import_digest(daily_digest([Entry("Written", "2301.00001")]), name="d.txt")
    import_digest(stream_digest(["只有中文机器翻译的摘要。"]), name="s.txt")
    _response, feed = parse(client, "/feeds/latest.atom")
    translated, written = (e.content[0].value for e in feed.entries)  # the digest imported last first
    assert "<h4>中文 (machine translation / 机器翻译)</h4>" in translated
    assert "<h4>中文</h4>" in written


def test_feed_follows_the_page_filters(client):
    import_digest(
        daily_digest(
            [
                Entry("Vision at MIT", "2301.00001", area="CV", institutions=["MIT"]),
                Entry("Vision at CMU", "2301.00002", area="CV", institutions=["CMU"]),
                Entry("Robots at MIT", "2301.00003", area="RO", institutions=["MIT"]),
            ]
        ),
        name="d.txt",
    )
    mit = Institution.objects.get(name="MIT")
    page = client.get(f"/institutions/{mit.slug}/?area=CV").text
    link = re.search(
        r'<link rel="alternate" type="application/rss\+xml" title="[^"]*" href="([^"]+)"', page
    ).group(1)
    _response, feed = parse(client, link.replace("&amp;", "&"))
    assert [e.title for e in feed.entries] == ["Vision at MIT / 中文标题"]


def test_script_in_text_arrives_as_text(client):
    import_digest(
        daily_digest(
            [Entry("<script>alert(1)</script>", "2301.00009", abstract_en="<script>x()</script> text")]
        ),
        name="evil.txt",
    )
    for url in ("/feeds/latest.rss", "/feeds/latest.atom"):
        _response, feed = parse(client, url)
        item = feed.entries[0]
        assert item.title == "<script>alert(1)</script> / 中文标题"  # a title is plain text
        body = item.content[0].value if "content" in item else item.summary
        assert "<script>" not in body and "&lt;script&gt;x()&lt;/script&gt; text" in body


def test_ids_stay_the_same_after_edit_and_reimport(client, seeded):
    _response, before = parse(client, "/feeds/latest.rss")
    ids = {e.link: e.id for e in before.entries}
    paper = Paper.objects.get(arxiv_id="2209.10655")
    paper.title_en, paper.title_en_source = "Mega, retitled", "curator"
    paper.save()
    import_digest(daily_digest([Entry("Mega again", "2209.10655")]), name="later.txt")

    _response, after = parse(client, "/feeds/latest.rss")
    assert {e.link: e.id for e in after.entries} == ids
    assert all(i.startswith("tag:") for i in ids.values())
    assert len(set(ids.values())) == len(ids)


def test_conditional_get_answers_304(client, seeded, django_assert_num_queries):
    response, _feed = parse(client, "/feeds/latest.rss")
    etag, last_modified = response["ETag"], response["Last-Modified"]
    # From the page cache: the site version, then the stored feed's ETag answers.
    with django_assert_num_queries(1):
        assert client.get("/feeds/latest.rss", HTTP_IF_NONE_MATCH=etag).status_code == 304
    # Not cached yet: the site version, then one aggregate decides before any feed is built.
    with django_assert_num_queries(2):
        assert client.get("/areas/LG/feed.atom", HTTP_IF_MODIFIED_SINCE=last_modified).status_code == 304
    # Any later date means "nothing changed since", not only the exact string.
    later = http_date(Paper.objects.latest("updated_at").updated_at.timestamp() + 3600)
    assert client.get("/feeds/latest.rss", HTTP_IF_MODIFIED_SINCE=later).status_code == 304
    assert client.get("/feeds/latest.rss", HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_unchanged_feed_is_identical_bytes_and_a_change_moves_the_validators(client, seeded):
    first, _ = parse(client, "/feeds/latest.rss")
    second, _ = parse(client, "/feeds/latest.rss")
    assert first.content == second.content and first["ETag"] == second["ETag"]

    hidden = Paper.objects.get(arxiv_id="2209.10655")
    hidden.is_published = False
    hidden.save()
    third = client.get("/feeds/latest.rss", HTTP_IF_NONE_MATCH=first["ETag"])
    assert third.status_code == 200 and third["ETag"] != first["ETag"]
    assert "Mega" not in third.content.decode()


def test_hidden_papers_never_appear_in_any_feed(client, seeded):
    Paper.objects.filter(area__code="LG").update(is_published=False)
    for url in feed_urls():
        if "/areas/LG/" in url:
            continue
        text = client.get(url).content.decode()
        assert "Mega: Moving Average" not in text, url
    _response, lg = parse(client, "/areas/LG/feed.rss")
    assert lg.entries == []


def test_at_most_fifty_items(client):
    import_digest(daily_digest([Entry(f"Paper {i}", f"2303.{i:05d}") for i in range(60)]), name="big.txt")
    _response, feed = parse(client, "/feeds/latest.rss")
    assert len(feed.entries) == 50


def test_unknown_facet_feed_is_404(client, seeded):
    for url in ("/areas/XX/feed.rss", "/institutions/nowhere/feed.atom", "/digests/99999/feed.rss"):
        assert client.get(url).status_code == 404


def test_pages_announce_their_feeds(client, seeded):
    for url, feed in (
        ("/", "/feeds/latest.rss"),
        ("/areas/LG/", "/areas/LG/feed.rss"),
        ("/?area=CV", "?area=CV"),
    ):
        text = client.get(url).text
        assert '<link rel="alternate" type="application/rss+xml"' in text
        assert '<link rel="alternate" type="application/atom+xml"' in text
        assert feed in text, url


def test_feeds_page_and_opml_list_every_area_and_institution(client, seeded):
    page = client.get("/feeds/").text
    opml = client.get("/feeds/subscriptions.opml")
    assert opml["Content-Type"].startswith("text/x-opml")
    outlines = [o.attrib for o in ET.fromstring(opml.content).iter("outline") if "xmlUrl" in o.attrib]
    urls = {o["xmlUrl"] for o in outlines}
    for area in Area.objects.all():
        assert f"/areas/{area.code}/feed.rss" in page
        assert f"http://testserver/areas/{area.code}/feed.rss" in urls
    for institution in Institution.objects.filter(affiliations__isnull=False).distinct():
        assert f"http://testserver/institutions/{institution.slug}/feed.rss" in urls
    for url in list(urls)[:5]:
        assert client.get(url.removeprefix("http://testserver")).status_code == 200


@pytest.mark.parametrize("feed_of", ["institution", "area"])
def test_a_rename_moves_the_validators_of_every_feed_that_shows_the_name(client, seeded, feed_of):
    """A renamed institution or area kept its papers' updated_at, so feed readers were told 304 and
    kept the old name."""
    from papers import curation

    if feed_of == "institution":
        thing = Institution.objects.get(name="CMU")
        url = f"/institutions/{thing.slug}/feed.rss"
    else:
        thing = Area.objects.get(code="CV")
        url = "/areas/CV/feed.rss"
    before, _ = parse(client, url)
    latest, _ = parse(client, "/feeds/latest.rss")

    if feed_of == "institution":
        curation.rename_entity(entity=thing, name="Carnegie Mellon (renamed)")
    else:
        thing.name_en = "Seeing Machines"
        thing.save()

    for old, path in ((before, url), (latest, "/feeds/latest.rss")):
        again = client.get(path, HTTP_IF_NONE_MATCH=old["ETag"])
        assert again.status_code == 200, path
        assert again["ETag"] != old["ETag"]
    new_text = client.get(url).content.decode()
    assert ("Carnegie Mellon (renamed)" if feed_of == "institution" else "Seeing Machines") in new_text
