"""Reading lists (issue 15): a reader without an account saves papers, shares a view link and a
feed, edits the list; hostile requests (forged tokens, cross-site posts, floods, huge notes, script
in a name) are refused, throttled or escaped, and public pages stay the same cacheable bytes."""

import re
import secrets
import time

import bibtexparser
import feedparser
import pytest
import rispy
from django.test import Client

from papers import curation
from papers.importing import import_digest
from papers.models import Digest, Institution, Paper
from readinglists import guards, tokens
from readinglists.models import MAX_PAPERS, ListItem, ReadingList
from readinglists.remembered import COOKIE_NAME

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-origin"}
HOSTILE_NAME = '<script>alert("x")</script> & co'


@pytest.fixture
def papers():
    first = daily_digest(
        [
            Entry("Vision at CMU", "2301.00001", area="CV", institutions=["CMU"]),
            Entry("Robots at MIT", "2301.00002", area="RO", institutions=["MIT"]),
            Entry("Language at ETH", "2301.00003", area="CL", institutions=["ETH"]),
        ]
    )
    second = daily_digest(
        [
            Entry("Speech at KTH", "2301.00004", area="AS", institutions=["KTH"]),
            Entry("Learning at UCL", "2301.00005", area="LG", institutions=["UCL"]),
            Entry("Sixth paper", "2301.00006", area="LG", institutions=["UCL"]),
        ]
    )
    assert not import_digest(first, name="2025-01-01.txt").failed
    assert not import_digest(second, name="2025-01-02.txt").failed
    return {p.arxiv_id: p for p in Paper.objects.all()}


def browser():
    return Client(enforce_csrf_checks=True)


def save(client, paper, **headers):
    return client.post("/lists/save/", {"paper": paper.pk}, **{**SAME_ORIGIN, **headers})


def csrf_token(client, url):
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode())
    assert found, url
    return found.group(1)


def owner_post(client, edit_url, **data):
    return client.post(edit_url, {"csrfmiddlewaretoken": csrf_token(client, edit_url), **data})


def edit_url_of(response):
    assert response.status_code == 303, response.content[:500]
    return response["Location"].split("?")[0].split("#")[0]


def links(client, edit_url):
    page = client.get(edit_url).content.decode()
    view = re.search(r'id="view-link" type="text" readonly value="http://testserver(/lists/[^"]+/)"', page)
    return view.group(1)


def card_titles(response):
    """The titles of the papers a list page shows, in order (read from its context: the card's markup
    is the card's own business)."""
    return [item.paper.title_en for item in response.context["page"]]


def item(reading_list, arxiv_id):
    return reading_list.items.get(paper__arxiv_id=arxiv_id)


def test_a_reader_saves_five_papers_from_different_pages_and_a_colleague_reads_them(papers):
    reader = browser()
    cmu = Institution.objects.get(name="CMU")
    digest = Digest.objects.get(name="2025-01-02.txt")
    pages = {
        "2301.00001": f"/institutions/{cmu.slug}/",
        "2301.00002": "/areas/RO/",
        "2301.00003": f"/papers/{papers['2301.00003'].pk}/",
        "2301.00004": f"/digests/{digest.pk}/",
        "2301.00005": "/search/?q=learning",
    }
    edit_urls = set()
    for arxiv_id, url in pages.items():
        page = reader.get(url)
        form = f'action="/lists/save/"><input type="hidden" name="paper" value="{papers[arxiv_id].pk}">'
        assert form in page.content.decode(), url
        response = save(reader, papers[arxiv_id])
        edit_urls.add(edit_url_of(response))
    assert len(edit_urls) == 1  # one list, extended by every save
    edit_url = edit_urls.pop()
    owner_page = reader.get(edit_url)
    assert card_titles(owner_page) == [
        "Vision at CMU", "Robots at MIT", "Language at ETH", "Speech at KTH", "Learning at UCL"
    ]  # fmt: skip
    assert owner_page["Cache-Control"] == "private, no-store"

    view_url = links(reader, edit_url)
    colleague = Client()  # another browser: no cookie
    shared = colleague.get(view_url)
    assert shared.status_code == 200 and shared["Cache-Control"] == "private, no-store"
    assert card_titles(shared) == card_titles(owner_page)
    assert "csrfmiddlewaretoken" not in shared.content.decode() and edit_url not in shared.content.decode()
    assert not shared.cookies

    # The colleague takes the list to a reference manager: both files hold its papers, in its order.
    assert view_url + "papers.ris" in shared.content.decode()
    ris = colleague.get(view_url + "papers.ris")
    assert ris.status_code == 200 and ris["Cache-Control"] == "private, no-store"
    assert [r["title"] for r in rispy.loads(ris.content.decode())] == card_titles(shared)
    bib = bibtexparser.parse_string(colleague.get(view_url + "papers.bib").content.decode())
    assert [e["title"] for e in bib.entries] == card_titles(shared)
    assert colleague.get(view_url.replace(view_url[7:15], "A" * 8) + "papers.bib").status_code == 404

    for feed_url in (view_url + "feed.rss", view_url + "feed.atom"):
        response = colleague.get(feed_url)
        assert response.status_code == 200 and response["Cache-Control"] == "private, no-store"
        feed = feedparser.parse(response.content)
        assert not feed.bozo, feed.bozo_exception
        assert [e.title.split(" / ")[0] for e in feed.entries] == [
            "Learning at UCL",
            "Speech at KTH",
            "Language at ETH",
            "Robots at MIT",
            "Vision at CMU",
        ]  # fmt: skip (last saved first)
        assert feed.entries[0].link.endswith(f"/papers/{papers['2301.00005'].pk}/")
        again = colleague.get(feed_url, HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
    # A change to the list is a new feed at once, with a new ETag.
    etag = colleague.get(view_url + "feed.rss")["ETag"]
    save(reader, papers["2301.00006"])
    changed = colleague.get(view_url + "feed.rss", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and feedparser.parse(changed.content).entries[0].title.startswith(
        "Sixth"
    )
    assert "Sixth paper" in colleague.get(view_url).content.decode()


def test_the_list_cookie_is_httponly_lax_and_only_for_the_lists(papers, settings):
    settings.SESSION_COOKIE_SECURE = True  # DJANGO_SECURE_COOKIES=1
    response = save(browser(), papers["2301.00001"])
    cookie = response.cookies[COOKIE_NAME]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["secure"]
    assert cookie["path"] == "/lists/"
    assert cookie.value == edit_url_of(response).rstrip("/").rsplit("/", 1)[1]
    settings.SESSION_COOKIE_SECURE = False
    assert not save(browser(), papers["2301.00001"]).cookies[COOKIE_NAME]["secure"]


def test_only_digests_of_the_tokens_are_stored(papers):
    edit_url = edit_url_of(save(browser(), papers["2301.00001"]))
    edit_token = edit_url.rstrip("/").rsplit("/", 1)[1]
    stored = ReadingList.objects.get()
    assert stored.edit_digest == tokens.digest(edit_token)
    assert stored.view_digest == tokens.digest(tokens.view_token_for(edit_token))
    assert edit_token not in str(ReadingList.objects.values().get())


def test_public_pages_stay_cacheable_with_the_save_control(papers):
    reader = browser()
    save(reader, papers["2301.00001"])  # this reader now holds a list cookie
    paper_url = f"/papers/{papers['2301.00002'].pk}/"
    for url in ("/", "/areas/CV/", paper_url, "/search/?q=vision"):
        anonymous = Client()
        first = anonymous.get(url)
        assert first.status_code == 200 and not first.cookies, url
        assert "csrfmiddlewaretoken" not in first.content.decode(), url
        assert 'action="/lists/save/"' in first.content.decode(), url
        assert "public" in first["Cache-Control"], url
        # The same bytes for a reader with lists: the page comes from the cache.
        cached = reader.get(url)
        assert cached["X-Page-Cache"] == "hit" and cached.content == first.content, url
    chinese = Client().get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert "保存到阅读清单" in chinese


def test_a_cross_site_post_is_refused_and_a_same_origin_one_works(papers):
    paper = papers["2301.00001"]
    for headers in (
        {"HTTP_ORIGIN": "https://evil.example", "HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "https://evil.example"},  # an older browser: Origin only
        {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "http://testserver", "HTTP_SEC_FETCH_SITE": "same-site"},  # a sibling subdomain
        {"HTTP_ORIGIN": "null"},  # a sandboxed frame or a data: URL
        {"HTTP_ORIGIN": "https://testserver"},  # another scheme is another origin
    ):
        response = browser().post("/lists/save/", {"paper": paper.pk}, **headers)
        assert response.status_code == 403, headers
        assert "another site" in response.content.decode() and not response.cookies
    no_origin = browser().post("/lists/save/", {"paper": paper.pk})
    assert no_origin.status_code == 403
    assert browser().get("/lists/save/", **SAME_ORIGIN).status_code == 405
    assert not ReadingList.objects.exists()

    assert save(browser(), paper).status_code == 303
    assert save(browser(), paper, HTTP_SEC_FETCH_SITE="").status_code == 403  # only same-origin passes
    without_fetch_metadata = browser().post(
        "/lists/save/", {"paper": paper.pk}, HTTP_ORIGIN="http://testserver"
    )
    assert without_fetch_metadata.status_code == 303  # browsers without Sec-Fetch-Site
    assert ListItem.objects.count() == 2


def test_owner_forms_need_their_csrf_token(papers):
    reader = browser()
    edit_url = edit_url_of(save(reader, papers["2301.00001"]))
    forged = reader.post(edit_url, {"action": "rename", "name": "hijacked"}, **SAME_ORIGIN)
    assert forged.status_code == 403
    assert ReadingList.objects.get().name == ""
    new = reader.post("/lists/new/", {"name": "x"}, **SAME_ORIGIN)
    assert new.status_code == 403 and ReadingList.objects.count() == 1


def test_the_owner_renames_reorders_notes_and_marks_papers_read(papers, admin_client):
    reader = browser()
    for arxiv_id in ("2301.00001", "2301.00002", "2301.00003", "2301.00004"):
        edit_url = edit_url_of(save(reader, papers[arxiv_id]))
    reading_list = ReadingList.objects.get()
    view_url = links(reader, edit_url)

    assert owner_post(reader, edit_url, action="rename", name=HOSTILE_NAME).status_code == 303
    assert (
        owner_post(reader, edit_url, action="down", item=item(reading_list, "2301.00001").pk).status_code
        == 303
    )
    owner_post(reader, edit_url, action="up", item=item(reading_list, "2301.00004").pk)
    owner_post(reader, edit_url, action="move", item=item(reading_list, "2301.00003").pk, position="1")
    owner_post(
        reader, edit_url, action="note", item=item(reading_list, "2301.00002").pk, note="Read §3 first"
    )
    owner_post(reader, edit_url, action="read", item=item(reading_list, "2301.00002").pk)
    owner_post(reader, edit_url, action="remove", item=item(reading_list, "2301.00004").pk)
    owner_post(reader, edit_url, action="add", paper="https://arxiv.org/abs/2301.00005v2")
    owner_post(reader, edit_url, action="add", paper=f"http://testserver/papers/{papers['2301.00006'].pk}/")

    expected = ["Language at ETH", "Robots at MIT", "Vision at CMU", "Learning at UCL", "Sixth paper"]
    owner_page = reader.get(edit_url)
    assert card_titles(owner_page) == expected
    shared = Client().get(view_url)
    assert card_titles(shared) == expected
    html = shared.content.decode()
    assert "Read §3 first" in html
    assert (
        "<script>alert" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html
    )
    # Read marks are the owner's: on the owner's page, not the shared one.
    assert 'value="unread"' in owner_page.content.decode() and "is-read" in owner_page.content.decode()
    assert "is-read" not in html and "Mark read" not in html
    owner_post(reader, edit_url, action="unread", item=item(reading_list, "2301.00002").pk)
    assert not item(reading_list, "2301.00002").is_read

    feed = Client().get(view_url + "feed.atom")
    assert b"<script>" not in feed.content
    assert feedparser.parse(feed.content).feed.title.endswith(HOSTILE_NAME)

    changelist = admin_client.get("/admin/readinglists/readinglist/")
    assert changelist.status_code == 200
    assert "<script>alert" not in changelist.content.decode()
    assert "&lt;script&gt;alert" in changelist.content.decode()
    change = admin_client.get(f"/admin/readinglists/readinglist/{reading_list.pk}/change/")
    assert "<script>alert" not in change.content.decode() and "Read §3 first" in change.content.decode()


def test_a_one_megabyte_note_is_refused_and_nothing_is_lost(papers):
    reader = browser()
    edit_url = edit_url_of(save(reader, papers["2301.00001"]))
    saved = ReadingList.objects.get().items.get()
    owner_post(reader, edit_url, action="note", item=saved.pk, note="Keep this note")
    response = owner_post(reader, edit_url, action="note", item=saved.pk, note="x" * 1024 * 1024)
    assert response.status_code == 400
    page = response.content.decode()
    assert "at most 500 characters" in page and "Keep this note" in page
    assert "x" * 1000 not in page
    saved.refresh_from_db()
    assert saved.note == "Keep this note"
    long_name = owner_post(reader, edit_url, action="rename", name="n" * 201)
    assert long_name.status_code == 400 and "at most 200 characters" in long_name.content.decode()
    assert ReadingList.objects.get().name == ""


def test_forged_and_malformed_tokens_answer_404(papers):
    reader = browser()
    edit_url = edit_url_of(save(reader, papers["2301.00001"]))
    edit_token = edit_url.rstrip("/").rsplit("/", 1)[1]
    view_token = tokens.view_token_for(edit_token)
    forged = secrets.token_urlsafe(24)
    for url in (
        f"/lists/edit/{forged}/", f"/lists/{forged}/",
        f"/lists/{forged}/feed.rss", f"/lists/{forged}/feed.atom",
        f"/lists/edit/{view_token}/",  # the view link does not edit
        f"/lists/{edit_token}/",  # nor is the edit token a view token
        f"/lists/edit/{edit_token[:-1]}/", f"/lists/edit/{edit_token}x/", "/lists/edit/%00/",
        f"/lists/{view_token[:-1]}%00/",
    ):  # fmt: skip
        assert reader.get(url).status_code == 404, url
    forged_post = reader.post(
        f"/lists/edit/{forged}/", {"csrfmiddlewaretoken": csrf_token(reader, edit_url), "action": "delete"}
    )
    assert forged_post.status_code == 404
    assert ReadingList.objects.count() == 1


def test_a_list_holds_at_most_1000_papers(papers):
    reader = browser()
    edit_url = edit_url_of(save(reader, papers["2301.00001"]))
    reading_list = ReadingList.objects.get()
    filler = Paper.objects.bulk_create(Paper(title_en=f"Filler {n}") for n in range(MAX_PAPERS - 1))
    ListItem.objects.bulk_create(
        ListItem(reading_list=reading_list, paper=paper, position=n + 1) for n, paper in enumerate(filler)
    )
    full = save(reader, papers["2301.00002"])
    assert full.status_code == 409
    assert "already holds 1,000 papers" in full.content.decode()
    assert owner_post(reader, edit_url, action="add", paper="2301.00003").status_code == 409
    assert reading_list.items.count() == MAX_PAPERS
    # Saving one already on the list is no addition, and removing one makes room again.
    assert save(reader, papers["2301.00001"]).status_code == 303
    owner_post(reader, edit_url, action="remove", item=reading_list.items.last().pk)
    assert save(reader, papers["2301.00002"]).status_code == 303
    assert reading_list.items.count() == MAX_PAPERS


@pytest.fixture
def frozen_clock(monkeypatch):
    """Rates count in fixed windows of the clock: a run that crossed a window's end would see the
    count start again, so throttling tests hold the clock still."""
    now = time.time()
    monkeypatch.setattr(guards.time, "time", lambda: now)


def test_a_flood_of_saves_is_throttled_per_client(papers, frozen_clock):
    flood = browser()
    paper = papers["2301.00001"]
    answers = [save(flood, paper, REMOTE_ADDR="203.0.113.7").status_code for _ in range(150)]
    limit = guards.ADD_PAPERS.limit
    assert answers[:limit] == [303] * limit and set(answers[limit:]) == {429}
    refused = save(flood, paper, REMOTE_ADDR="203.0.113.7")
    assert 0 < int(refused["Retry-After"]) <= guards.ADD_PAPERS.seconds
    assert "Too many changes from your address" in refused.content.decode()
    assert refused["Cache-Control"] == "private, no-store"
    # Another client is not held up; and nothing saved before the flood is lost.
    assert save(browser(), paper, REMOTE_ADDR="198.51.100.1").status_code == 303
    assert ListItem.objects.filter(paper=paper).count() == 2


def test_creating_lists_is_throttled_per_client(papers, frozen_clock):
    paper = papers["2301.00001"]
    limit = guards.CREATE_LISTS.limit
    answers = [save(browser(), paper, REMOTE_ADDR="203.0.113.8").status_code for _ in range(limit + 3)]
    assert answers == [303] * limit + [429] * 3
    assert ReadingList.objects.count() == limit


def test_the_throttle_believes_the_proxy_only_when_told_so(papers, settings, frozen_clock):
    paper = papers["2301.00001"]
    forwarded = {"REMOTE_ADDR": "10.0.0.2"}
    settings.BEHIND_PROXY = True  # every client comes from the proxy; the last forwarded address is theirs
    for n in range(guards.CREATE_LISTS.limit + 1):
        client_address = {"HTTP_X_FORWARDED_FOR": f"spoofed, 203.0.113.{n}"}
        assert save(browser(), paper, **forwarded, **client_address).status_code == 303
    settings.BEHIND_PROXY = False  # without a proxy the header is anyone's to invent: ignored
    answers = [
        save(browser(), paper, **forwarded, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(guards.CREATE_LISTS.limit + 1)
    ]
    assert answers[-2:] == [303, 429]


def test_a_deleted_list_is_gone_and_its_links_answer_404(papers):
    reader = browser()
    edit_url = edit_url_of(save(reader, papers["2301.00001"]))
    view_url = links(reader, edit_url)
    unconfirmed = owner_post(reader, edit_url, action="delete")
    assert unconfirmed.status_code == 400 and "Tick the box" in unconfirmed.content.decode()
    assert ReadingList.objects.exists()
    deleted = owner_post(reader, edit_url, action="delete", confirm="yes")
    assert deleted.status_code == 303 and deleted["Location"] == "/lists/?deleted"
    assert not ReadingList.objects.exists() and not ListItem.objects.exists()
    for url in (edit_url, view_url, view_url + "feed.rss", view_url + "feed.atom"):
        assert Client().get(url).status_code == 404, url
        assert reader.get(url).status_code == 404, url
    mine = reader.get(deleted["Location"]).content.decode()
    assert "was deleted" in mine and "This browser has no reading lists yet" in mine
    # The next Save starts a new list rather than failing on the deleted one.
    assert edit_url_of(save(reader, papers["2301.00002"])) != edit_url


def test_the_lists_page_shows_this_browsers_lists_and_which_one_save_adds_to(papers):
    reader = browser()
    first = edit_url_of(save(reader, papers["2301.00001"]))
    token = csrf_token(reader, "/lists/")
    second = edit_url_of(reader.post("/lists/new/", {"csrfmiddlewaretoken": token, "name": "Lab reading"}))
    assert first != second
    mine = reader.get("/lists/")
    html = mine.content.decode()
    assert mine["Cache-Control"] == "private, no-store"
    assert html.index(second) < html.index("Save adds here") < html.index(first)
    assert edit_url_of(save(reader, papers["2301.00002"])) == second  # the newest list is current
    owner_post(reader, first, action="remember")
    assert edit_url_of(save(reader, papers["2301.00003"])) == first
    assert [i.paper.arxiv_id for i in ReadingList.objects.get(name="Lab reading").items.all()] == [
        "2301.00002"
    ]
    # Another browser opening the edit link can make it its own.
    other = browser()
    assert "Remember this list in this browser" in other.get(first).content.decode()
    owner_post(other, first, action="remember")
    assert first in other.get("/lists/").content.decode()
    forgotten = owner_post(other, first, action="forget")
    assert forgotten["Location"] == "/lists/" and first not in other.get("/lists/").content.decode()
    assert ReadingList.objects.count() == 2  # forgetting is not deleting


def test_a_hidden_paper_leaves_the_list_page_and_feed(papers):
    reader = browser()
    save(reader, papers["2301.00001"])
    edit_url = edit_url_of(save(reader, papers["2301.00002"]))
    view_url = links(reader, edit_url)
    curation.set_published(papers=Paper.objects.filter(arxiv_id="2301.00001"), published=False)
    assert card_titles(Client().get(view_url)) == ["Robots at MIT"]
    assert [
        e.title.split(" / ")[0] for e in feedparser.parse(Client().get(view_url + "feed.rss").content).entries
    ] == ["Robots at MIT"]
    hidden = Client().post("/lists/save/", {"paper": papers["2301.00001"].pk}, **SAME_ORIGIN)
    assert hidden.status_code == 404


def test_only_superusers_see_reading_lists_in_the_admin(papers, admin_client, curator_client):
    save(browser(), papers["2301.00001"])
    reading_list = ReadingList.objects.get()
    assert curator_client.get("/admin/readinglists/readinglist/").status_code == 403
    assert "Reading lists" not in curator_client.get("/admin/").content.decode()
    assert admin_client.get("/admin/readinglists/readinglist/add/").status_code == 403
    confirm = admin_client.post(f"/admin/readinglists/readinglist/{reading_list.pk}/delete/", {"post": "yes"})
    assert confirm.status_code == 302 and not ReadingList.objects.exists()


def test_tokens_are_long_random_and_the_view_token_gives_nothing_away():
    edit_token = tokens.new_edit_token()
    view_token = tokens.view_token_for(edit_token)
    assert tokens.is_token(edit_token) and tokens.is_token(view_token) and len(edit_token) == 32
    assert view_token != edit_token and tokens.view_token_for(edit_token) == view_token  # stable
    assert tokens.new_edit_token() != edit_token
    assert tokens.matches(edit_token, tokens.digest(edit_token))
    assert not tokens.matches(view_token, tokens.digest(edit_token))
    assert not tokens.matches(edit_token + "\x00", tokens.digest(edit_token))


def test_after_a_save_the_owner_page_leads_back_to_the_page_it_came_from_on_this_site_only(papers):
    reader = browser()
    response = save(reader, papers["2301.00001"], HTTP_REFERER="http://testserver/areas/CV/?page=1")
    page = reader.get(response["Location"]).content.decode()
    assert 'href="/areas/CV/?page=1">Back to the page you were reading' in page
    elsewhere = save(reader, papers["2301.00002"], HTTP_REFERER="https://evil.example/x")
    assert "back=" not in elsewhere["Location"]
    edit_url = edit_url_of(elsewhere)
    for forged in ("https://evil.example/", "//evil.example/", "javascript:alert(1)"):
        page = reader.get(edit_url, {"saved": papers["2301.00002"].pk, "back": forged}).content.decode()
        assert "Back to the page you were reading" not in page, forged


def test_a_list_page_reads_its_papers_in_a_constant_number_of_queries(papers, django_assert_max_num_queries):
    reader = browser()
    save(reader, papers["2301.00001"])
    edit_url = edit_url_of(save(reader, papers["2301.00002"]))
    view_url = links(reader, edit_url)
    for arxiv_id in ("2301.00003", "2301.00004", "2301.00005", "2301.00006"):
        save(reader, papers[arxiv_id])
    # The page cache's site version, the list, the count, the items, their papers, authors,
    # institutions; and the facet column's areas, area counts, institution counts and kinds and countries.
    with django_assert_max_num_queries(11):
        assert len(card_titles(Client().get(view_url))) == 6
    with django_assert_max_num_queries(11):
        assert len(card_titles(reader.get(edit_url))) == 6


@pytest.mark.parametrize("value", ["", "abc", "-1", "9" * 30, "1.5", "١٢٣", "1\x00"])
def test_a_save_of_something_that_is_no_paper_is_404_and_creates_nothing(papers, value):
    response = browser().post("/lists/save/", {"paper": value}, **SAME_ORIGIN)
    assert response.status_code == 404 and not response.cookies
    assert not ReadingList.objects.exists()


def test_a_cache_outage_refuses_no_one(papers, monkeypatch):
    from redis.exceptions import RedisError

    def down(*args, **kwargs):
        raise RedisError("connection refused")

    monkeypatch.setattr(guards.cache, "add", lambda *args, **kwargs: False)  # what portal.cache answers
    monkeypatch.setattr(guards.cache, "incr", down)
    assert save(browser(), papers["2301.00001"]).status_code == 303


def test_control_characters_leave_names_and_notes(papers):
    reader = browser()
    edit_url = edit_url_of(save(reader, papers["2301.00001"]))
    owner_post(reader, edit_url, action="rename", name="Lab\x1b[31m  list\x07")
    saved = ReadingList.objects.get()
    assert saved.name == "Lab[31m list"
    owner_post(reader, edit_url, action="note", item=saved.items.get().pk, note="line one\nline\x0btwo")
    assert saved.items.get().note == "line one\nline two"
    assert not feedparser.parse(Client().get(links(reader, edit_url) + "feed.rss").content).bozo


def test_a_list_narrows_by_the_facets_of_every_list_page_and_downloads_what_it_shows(papers):
    reader = browser()
    for arxiv_id in ("2301.00001", "2301.00002", "2301.00005", "2301.00006"):
        edit_url = edit_url_of(save(reader, papers[arxiv_id]))
    view_url = links(reader, edit_url)
    colleague = Client()
    page = colleague.get(view_url)
    # The facet column counts the list's papers, not the site's: ETH and KTH papers are not on it.
    counts = {area.code: area.n for area in page.context["area_facets"]}
    assert counts == {"AS": 0, "CL": 0, "CV": 1, "LG": 2, "RO": 1}
    assert {i.name: i.n for i in page.context["institution_facets"]} == {"CMU": 1, "MIT": 1, "UCL": 2}
    html = page.content.decode()
    assert f'href="{view_url}?area=LG"' in html and 'class="facets"' in html

    narrowed = colleague.get(view_url, {"area": "LG"})
    assert card_titles(narrowed) == ["Learning at UCL", "Sixth paper"]  # still the owner's order
    assert 'Clear filters' in narrowed.content.decode()
    ucl = colleague.get(view_url, {"institution": Institution.objects.get(name="UCL").slug})
    assert card_titles(ucl) == ["Learning at UCL", "Sixth paper"]
    owner = reader.get(edit_url, {"area": "CV"})
    assert card_titles(owner) == ["Vision at CMU"]
    assert 'name="position"' not in owner.content.decode()  # a position counts the whole list

    # The download links keep the filter, and the file holds exactly the page's papers.
    link = re.search(r'href="([^"]+papers\.ris\?area=LG)"', narrowed.content.decode()).group(1)
    records = rispy.loads(colleague.get(link.replace("&amp;", "&")).content.decode())
    assert [r["title"] for r in records] == ["Learning at UCL", "Sixth paper"]

    # Saving a paper changes the counts at once (the facet cache does not follow reading lists).
    save(reader, papers["2301.00003"])
    again = colleague.get(view_url)
    assert {area.code: area.n for area in again.context["area_facets"]}["CL"] == 1
    # Nonsense is ignored with a message, never a 500.
    odd = colleague.get(view_url, {"area": "XX", "from": "2025-13-45"})
    assert odd.status_code == 200 and len(card_titles(odd)) == 5
    assert odd.content.decode().count('class="filter-error"') == 2
