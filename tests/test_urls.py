"""Every path a URL can carry answers 404 unless it names something: never a 500 from the database.

A NUL byte is refused by PostgreSQL's text type and an id past 64 bits by SQLite's integer binding;
the path converters keep both from ever reaching a query, on both databases.
"""

import re

import pytest
from django.urls import URLPattern

from papers import converters
from papers import urls as paper_urls
from papers.importing import import_digest
from papers.models import Area, Author, Digest, Institution, Paper

from .builders import Entry, daily_digest

pytestmark = pytest.mark.django_db

# Every route with a value in its path, pages and feeds.
ROUTES = [
    f"{prefix}/{{}}/{suffix}"
    for prefix in ("/papers", "/areas", "/institutions", "/authors", "/digests")
    for suffix in ("", "feed.rss", "feed.atom")
    if not (prefix == "/papers" and suffix)
]

HOSTILE = [
    "%00", "LG%00", "mit%00", "%0A", "LG%0A", "1%0A", "%0D%0A", "%09",
    "99999999999999999999", str(2**63), str(2**64), "9" * 19, "9" * 400, "-1", "-9223372036854775809",
    "+1", "1.5", "١٢٣",  # Arabic-Indic digits
    "..", "%2E%2E", ".", "%25", "%FF", "%ED%A0%80", "a%20b",
    "ＬＧ", "ǅx", "中文", "x" * 5000, "L" * 9, "%22%3E%3Cscript%3E", "%5C",
]  # fmt: skip


@pytest.fixture
def one_of_each():
    """An area, an institution, an author, a digest and a paper, so lookups have rows to miss."""
    entry = Entry("A paper", "2301.00001", authors=["Zoë Ångström", "B Writer"], institutions=["清华大学"])
    import_digest(daily_digest([entry]), name="2023-01-05.txt")


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("route", ROUTES)
def test_hostile_path_values_are_404_never_500(client, route, value):
    response = client.get(route.format(value))
    assert response.status_code == 404, (route, value)
    assert "Page not found" in response.text  # the site's page, as for any other unknown address


def test_the_largest_id_a_path_takes_is_looked_up(client, one_of_each):
    # 18 digits is the most a row id's path takes: it fits a 64-bit integer, so it is a plain miss.
    for route in ("/papers/{}/", "/digests/{}/", "/digests/{}/feed.rss"):
        assert client.get(route.format("9" * 18)).status_code == 404


def test_existing_urls_keep_working(client, one_of_each):
    paper, digest = Paper.objects.get(), Digest.objects.get()
    author, tsinghua = Author.objects.get(name="Zoë Ångström"), Institution.objects.get(name="清华大学")
    assert (author.slug, tsinghua.slug) == ("zoë-ångström", "清华大学")  # unicode slugs
    for url in (
        paper.get_absolute_url(),
        f"/papers/{paper.pk:05d}/",  # leading zeros were always the same paper
        digest.get_absolute_url(),
        author.get_absolute_url(),
        tsinghua.get_absolute_url(),
        "/areas/LG/",
        "/areas/LG/feed.rss",
        f"/authors/{author.slug}/feed.atom",
        f"/institutions/{tsinghua.slug}/feed.rss",
        f"/digests/{digest.pk}/feed.atom",
    ):
        assert client.get(url).status_code == 200, url
    # Lower-case area codes redirect to the canonical upper-case page.
    response = client.get("/areas/lg/")
    lg = Area.objects.get(code="LG")
    assert response.status_code == 301 and response["Location"] == lg.get_absolute_url() == "/areas/LG/"


def test_every_route_value_goes_through_a_portal_converter():
    """A new route with Django's own str/int/path converter would let the values above through again."""
    ours = (
        converters.AreaCodeConverter,
        converters.SlugConverter,
        converters.RowIdConverter,
        converters.ExportFormatConverter,
    )
    for pattern in paper_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        for name, converter in pattern.pattern.converters.items():
            assert isinstance(converter, ours), (str(pattern.pattern), name, converter)


@pytest.mark.parametrize(
    "name,value,ok",
    [
        ("RowIdConverter", "9" * 18, True),
        ("RowIdConverter", "9" * 19, False),
        ("RowIdConverter", "-1", False),
        ("RowIdConverter", "١٢٣", False),  # Python's int() takes these; a row id in a URL does not
        ("AreaCodeConverter", "lg", True),
        ("AreaCodeConverter", "L", False),
        ("AreaCodeConverter", "ＬＧ", False),
        ("SlugConverter", "zhang-san-2", True),
        ("SlugConverter", "张三", True),
        ("SlugConverter", "a\nb", False),
        ("SlugConverter", "a\x00", False),
    ],
)
def test_converters_take_exactly_their_values(name, value, ok):
    converter = getattr(converters, name)()
    assert (re.fullmatch(converter.regex, value) is not None) is ok
    if ok:
        assert converter.to_url(converter.to_python(value)) == value
