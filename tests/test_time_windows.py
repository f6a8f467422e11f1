"""Time windows (?since=, ?from=&to=) on every list, search and feed, and "new since your last visit"
(papers.visits): what a reader sees, what the page cache keeps, and what a forged value does."""

import datetime

import feedparser
import pytest
from django.test import Client
from django.utils import timezone

from papers.importing import import_digest
from papers.visits import COOKIE_NAME

from .builders import Entry, daily_digest
from .pages import titles

pytestmark = pytest.mark.django_db

# Days before the newest digest, and the paper each digest lists.
AGES = {0: "Newest", 1: "One day old", 6: "Six days old", 7: "Seven days old", 29: "Month old", 40: "Old"}


def day(age, newest):
    return newest - datetime.timedelta(days=age)


@pytest.fixture
def newest():
    """The newest digest is yesterday's: the 08:00 reader, before today's digest is imported."""
    return timezone.localdate() - datetime.timedelta(days=1)


@pytest.fixture
def dated(newest):
    for number, (age, title) in enumerate(sorted(AGES.items(), reverse=True)):  # oldest first, as they came
        area = "CV" if age % 2 else "LG"
        digest = daily_digest([Entry(title, f"2301.{number:05d}", area=area)])
        assert not import_digest(digest, name=f"{day(age, newest).isoformat()}.txt").failed


def shown(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return set(titles(response))


def test_since_counts_back_from_the_newest_digest(client, dated):
    assert shown(client, "/?since=today") == {"Newest"}
    assert shown(client, "/?since=week") == {"Newest", "One day old", "Six days old"}
    assert shown(client, "/?since=month") == {
        "Newest",
        "One day old",
        "Six days old",
        "Seven days old",
        "Month old",
    }
    page = client.get("/?since=today").text
    assert "Counted back from the newest digest" in page


def test_from_and_to_are_inclusive_and_either_may_be_left_open(client, dated, newest):
    six, one = day(6, newest).isoformat(), day(1, newest).isoformat()
    assert shown(client, f"/?from={six}&to={one}") == {"Six days old", "One day old"}
    assert shown(client, f"/?from={one}") == {"One day old", "Newest"}
    assert shown(client, f"/?to={day(29, newest).isoformat()}") == {"Month old", "Old"}
    assert shown(client, f"/?from={six}&to={six}") == {"Six days old"}


def test_windows_combine_with_facets_and_search(client, dated):
    assert shown(client, "/?since=week&area=LG") == {"Newest", "Six days old"}
    assert shown(client, "/areas/CV/?since=week") == {"One day old"}
    assert shown(client, "/search/?q=old&since=week") == {"One day old", "Six days old"}
    facets = {a.code: a.n for a in client.get("/?since=week").context["area_facets"]}
    assert facets["LG"] == 2 and facets["CV"] == 1


@pytest.mark.parametrize(
    "query,name",
    [
        ("from=2026-13-45", "from"),
        ("to=2026-02-30", "to"),
        ("from=yesterday", "from"),
        ("from=" + "9" * 10_000, "from"),
        ("to=2026-11-25%00", "to"),
        ("from=2026-11-25%0A", "from"),
        ("since=year", "since"),
        ("since=" + "x" * 10_000, "since"),
        ("from=2026-11-30&to=2026-11-01", "from"),
    ],
)
def test_nonsense_dates_are_ignored_and_the_page_says_why(client, dated, query, name):
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    assert len(titles(response)) == len(AGES)  # nothing was narrowed
    (message,) = response.context["problems"][name]
    assert message in response.text and "ignored" in message
    assert "9" * 100 not in message and "x" * 100 not in message  # the value is not echoed
    assert response.context["window"]["remove_url"] is None


def test_a_reversed_window_names_both_days(client, dated):
    response = client.get("/?from=2026-11-30&to=2026-11-01")
    assert "“from” (2026-11-30) is after “to” (2026-11-01), so both were ignored." in response.text
    assert response.context["query"] == {}


def test_the_chip_removes_the_window_and_keeps_the_rest(client, dated, newest):
    response = client.get("/?since=week&area=LG")
    window = response.context["window"]
    assert window["start"] == day(6, newest) and window["end"] == newest
    assert f'href="{window["remove_url"]}"' in response.text
    assert window["remove_url"] == "/?area=LG"
    assert shown(client, window["remove_url"]) == {"Newest", "Six days old", "Old"}
    # The choices are links that keep the facets and replace any window; the chosen one removes it.
    choices = {c["since"]: c for c in window["choices"]}
    assert choices["week"]["selected"] and choices["week"]["url"] == "/?area=LG"
    assert choices["month"]["url"] == "/?area=LG&since=month"
    custom = client.get(f"/?from={day(6, newest).isoformat()}&area=LG").context["window"]
    assert custom["remove_url"] == "/?area=LG" and custom["end"] is None
    assert {c["since"]: c["url"] for c in custom["choices"]}["today"] == "/?area=LG&since=today"


def test_the_window_choices_are_plain_links_on_every_list(client, dated):
    page = client.get("/areas/LG/").text
    for label in ("Today", "Past week", "Past month"):
        assert f">{label}</a>" in page
    assert 'href="/?area=LG&amp;since=week"' in page  # facet links go to the list, as the others do


def feed_titles(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return {e.title.split(" / ")[0] for e in feedparser.parse(response.content).entries}


def test_feeds_keep_the_window_and_ignore_nonsense(client, dated, newest):
    assert client.get("/?since=week").context["feeds"]["rss"] == "/feeds/latest.rss?since=week"
    assert feed_titles(client, "/feeds/latest.rss?since=week") == {"Newest", "One day old", "Six days old"}
    assert feed_titles(client, "/areas/LG/feed.atom?since=week") == {"Newest", "Six days old"}
    six = day(6, newest).isoformat()
    assert feed_titles(client, f"/feeds/latest.atom?from={six}&to={six}") == {"Six days old"}
    everything = feed_titles(client, "/feeds/latest.rss")
    for nonsense in ("since=year", "from=2026-13-45", "from=2026-11-30&to=2026-11-01", "to=" + "1" * 10_000):
        assert feed_titles(client, f"/feeds/latest.rss?{nonsense}") == everything


def test_a_window_feed_changes_its_etag_when_a_new_digest_moves_the_window(client, dated, newest):
    first = client.get("/areas/LG/feed.rss?since=week")
    assert {e.title.split(" / ")[0] for e in feedparser.parse(first.content).entries} == {
        "Newest",
        "Six days old",
    }
    # A digest with no LG paper moves the week on a day: no LG paper changed, one left the window.
    today = day(-1, newest).isoformat()
    assert not import_digest(
        daily_digest([Entry("Today's CV", "2301.09999", area="CV")]), name=f"{today}.txt"
    ).failed
    again = client.get("/areas/LG/feed.rss?since=week", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200 and again["ETag"] != first["ETag"]
    assert {e.title.split(" / ")[0] for e in feedparser.parse(again.content).entries} == {"Newest"}


def test_a_window_costs_one_query_more_and_a_visit_one_more(client, dated, django_assert_max_num_queries):
    # tests/test_pages.py pins "/" at 9 with its cards cold; a window adds the newest digest day (and
    # its count and area facets are counted, not read from PaperCount), a visit the count of new papers.
    client.get("/")  # warm nothing but Python's imports
    with django_assert_max_num_queries(10):
        assert client.get("/?since=week&area=LG").status_code == 200
    client.cookies[COOKIE_NAME] = (
        f"{timezone.localdate() - datetime.timedelta(days=3)}_{timezone.localdate()}"
    )
    with django_assert_max_num_queries(12):
        assert client.get("/?since=month&area=CV").status_code == 200


# New since your last visit


def visit_cookie(previous, current=None):
    current = current or timezone.localdate()
    return f"{previous.isoformat()}_{current.isoformat()}" if previous else current.isoformat()


def reader(value):
    client = Client()
    client.cookies[COOKIE_NAME] = value
    return client


def new_titles(response):
    return {p.title_en for p in response.context["page"] if p.listed_on > response.context["previous_visit"]}


def test_a_new_reader_sees_no_marks_and_gets_no_cookie(client, dated):
    response = client.get("/")
    assert 'class="badge badge-new"' not in response.text and not response.cookies
    assert "Mark papers that are new since my last visit" in response.text
    assert client.get("/")["X-Page-Cache"] == "hit"


def test_a_reader_last_here_yesterday_sees_what_is_new_and_the_cookie_moves_on(dated, newest):
    today = timezone.localdate()
    assert not import_digest(daily_digest([Entry("Today's paper", "2301.08888")]), name=f"{today}.txt").failed
    yesterday = today - datetime.timedelta(days=1)
    client = reader(visit_cookie(None, current=yesterday))  # first came yesterday
    response = client.get("/")
    assert response.status_code == 200 and "X-Page-Cache" not in response
    assert response.context["previous_visit"] == yesterday
    assert new_titles(response) == {"Today's paper"}
    assert response.text.count('class="badge badge-new"') == 1
    assert "1 paper new since your last visit" in response.text
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == visit_cookie(yesterday)
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["max-age"] == 365 * 24 * 60 * 60
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    # The rest of the day: the same marks, no cookie, and the page comes from the page cache.
    again = client.get("/")
    assert not again.cookies and again.text.count('class="badge badge-new"') == 1
    assert client.get("/")["X-Page-Cache"] == "hit"
    # A reader who was here the day before sees yesterday's digest marked too.
    earlier = reader(visit_cookie(None, current=yesterday - datetime.timedelta(days=1))).get("/")
    assert new_titles(earlier) == {"Today's paper", "Newest"}


def test_readers_with_the_same_previous_visit_day_share_one_cached_page(dated, newest):
    value = visit_cookie(day(7, newest))
    first = reader(value).get("/?area=LG")
    assert "X-Page-Cache" not in first and not first.cookies
    second = reader(value).get("/?area=LG")
    assert second["X-Page-Cache"] == "hit" and not second.cookies
    assert second.content == first.content
    assert second.content.decode().count('class="badge badge-new"') == 2  # Newest, Six days old
    assert "2 papers new since your last visit" in second.content.decode()
    # Another previous visit day is another page; no cookie is the everyday page, without marks.
    other = reader(visit_cookie(day(41, newest))).get("/?area=LG")
    assert "X-Page-Cache" not in other and other.content.decode().count('class="badge badge-new"') == 3
    plain = Client().get("/?area=LG")
    assert 'class="badge badge-new"' not in plain.text


def test_a_renewing_response_is_never_stored(dated, newest):
    reader(visit_cookie(None, current=day(3, newest))).get("/")  # renews: previous visit day is day(3)
    value = visit_cookie(day(3, newest))
    assert "X-Page-Cache" not in reader(value).get("/")  # nothing was stored under it
    assert reader(value).get("/")["X-Page-Cache"] == "hit"


@pytest.mark.parametrize(
    "value",
    [
        "2099-01-01",
        "<script>alert(1)</script>",
        "2026-13-45",
        "1999-01-01",
        "2026-12-01_2026-12-01",
        "x" * 4000,
    ],
)
def test_a_forged_cookie_is_ignored(dated, value):
    plain = Client().get("/")
    forged = reader(value).get("/")
    assert forged.status_code == 200 and not forged.cookies
    assert forged["X-Page-Cache"] == "hit" and forged.content == plain.content  # the everyday page
    assert "<script>alert(1)" not in forged.text


def test_marks_are_turned_on_and_off_with_plain_links(client, dated):
    page = client.get("/areas/LG/").text
    assert 'href="/visits/remember/?next=/areas/LG/"' in page
    response = client.get("/visits/remember/", {"next": "/areas/LG/"})
    assert response.status_code == 302 and response["Location"] == "/areas/LG/"
    assert response["Cache-Control"] == "no-store"
    cookie = response.cookies[COOKIE_NAME]
    assert (
        cookie.value == timezone.localdate().isoformat()
        and cookie["httponly"]
        and cookie["samesite"] == "Lax"
    )
    first_day = client.get("/areas/LG/")
    assert "marked “new” on your next visit" in first_day.text and not first_day.cookies
    assert 'class="badge badge-new"' not in first_day.text
    # Asking again keeps the previous visit day.
    client.cookies[COOKIE_NAME] = visit_cookie(timezone.localdate() - datetime.timedelta(days=2))
    assert COOKIE_NAME not in client.get("/visits/remember/").cookies
    off = client.get("/visits/forget/", {"next": "/"})
    assert off.status_code == 302 and off.cookies[COOKIE_NAME].value == ""
    assert client.get("/visits/remember/", {"next": "https://evil.example/"})["Location"] == "/"


def test_secure_cookie_follows_the_https_switch(client, dated, settings):
    settings.SESSION_COOKIE_SECURE = True
    assert client.get("/visits/remember/").cookies[COOKIE_NAME]["secure"]
    settings.SESSION_COOKIE_SECURE = False
    assert not Client().get("/visits/remember/").cookies[COOKIE_NAME]["secure"]


def test_the_window_and_the_marks_speak_chinese(dated, newest):
    client = reader(visit_cookie(day(2, newest)))
    page = client.get("/?since=week&from=2026-13-45", HTTP_ACCEPT_LANGUAGE="zh-CN").text
    assert "过去一周" in page and "从最新一期摘要" in page and "必须是 YYYY-MM-DD 格式的日期" in page
    assert "自你上次访问" in page and "以来有 2 篇新论文" in page and ">新<" in page
