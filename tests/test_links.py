"""Code, project, data and model links: the extraction rule (papers.links), what imports store, what
curators change, and where readers see and filter them (cards, paper pages, ?has_code=1, feeds)."""

import importlib
import re
from pathlib import Path

import feedparser
import pytest

from papers import links
from papers.importing import import_digest
from papers.links import CODE, DATA, MODEL, PROJECT, Link, extract_links
from papers.models import LinkKind, Paper, PaperLink, Source

from .builders import Entry, daily_digest
from .pages import titles
from .test_admin import change_url, form_data

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


# --- the rule ---------------------------------------------------------------------------------


def test_every_url_in_the_seed_abstracts_is_found_clean():
    texts = [line for path in sorted(SEEDS.glob("*.txt")) for line in path.read_text().splitlines()]
    found = [link for text in texts if "arxiv.org/abs/" not in text for link in extract_links(text)]
    assert found == [
        # "Code available at https://github.com/raspberryice/type-discovery-abs." (the full stop goes)
        Link("https://github.com/raspberryice/type-discovery-abs", CODE),
        Link("https://github.com/NataliiaMolch/MS_WML_uncs", CODE),
    ]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("项目主页https://code-as-policies.github.io获得更多", "https://code-as-policies.github.io"),
        ("（代码：https://github.com/a/b）。", "https://github.com/a/b"),
        ("代码见https://github.com/a/b，数据见", "https://github.com/a/b"),
        ("see https://github.com/a/b; and", "https://github.com/a/b"),
        ("at https://github.com/a/b!", "https://github.com/a/b"),
        ("at https://github.com/a/b】、其他", "https://github.com/a/b"),
        ("(see https://en.wikipedia.org/wiki/Foo_(bar)).", "https://en.wikipedia.org/wiki/Foo_(bar)"),
        ("[https://x.example.org/p]", "https://x.example.org/p"),
        ('https://x.example.org"onmouseover="alert(1)', "https://x.example.org"),
        ("HTTPS://GitHub.COM/Owner/Repo", "https://github.com/Owner/Repo"),
        ("https://x.example.org/search?q=a&b=c#top.", "https://x.example.org/search?q=a&b=c#top"),
        # Machine translation's spaces around the colon and slashes: nothing else can be meant.
        ("代码：https: //github.com/a/b。", "https://github.com/a/b"),
        ("http：// github.com/a/b", "http://github.com/a/b"),
    ],
)
def test_punctuation_and_glued_text_are_stripped(text, expected):
    assert [link.url for link in extract_links(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "javascript:alert(1)",
        "https://javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https://user:password@github.com/a/b",
        "https://github.com@evil.example/x",
        "http://127.0.0.1/x http://[::1]/x http://localhost:8000/x",
        "https://intranet/x https://x.y.z/ https://-bad-.com/x https://a..com/x",
        "https://evil.example:port/x",
        "ftp://files.example.org/x file:///etc/passwd",
        "xhttps://github.com/a/b",
        # Split by spaces inside the path: which parts belong together is a guess, so nothing.
        "https://github.com/ owner / repo",
        "https://github.com /owner/repo",
        "https: //github. com/a/b",
    ],
)
def test_no_link_from_what_is_not_a_real_http_url(text):
    assert extract_links(text) == []


def test_an_angle_bracket_ends_a_url():
    assert [link.url for link in extract_links("https://a.example.org/x<script>")] == [
        "https://a.example.org/x"
    ]


def test_duplicates_are_folded_and_the_first_spelling_kept():
    text = (
        "https://github.com/Owner/Repo and https://github.com/owner/repo/ and https://GITHUB.com/Owner/Repo "
        "https://x.example.org/Page https://X.example.org/Page/ https://x.example.org/page"
    )
    assert [link.url for link in extract_links(text, "again https://github.com/owner/repo")] == [
        "https://github.com/Owner/Repo",
        "https://x.example.org/Page",
        "https://x.example.org/page",  # paths are case-sensitive except on repository hosts
    ]


@pytest.mark.parametrize(
    "url,kind",
    [
        ("https://github.com/a/b", CODE),
        ("https://gitlab.com/a/b", CODE),
        ("https://bitbucket.org/a/b", CODE),
        ("https://huggingface.co/spaces/a/demo", CODE),
        ("https://code-as-policies.github.io", PROJECT),
        ("https://sites.google.com/view/x", PROJECT),
        ("https://huggingface.co/papers/2209.10655", PROJECT),
        ("https://huggingface.co/datasets/a/b", DATA),
        ("https://www.kaggle.com/datasets/a/b", DATA),
        ("https://zenodo.org/record/123", DATA),
        ("https://huggingface.co/meta-llama/Llama-2-7b", MODEL),
    ],
)
def test_links_are_classified_by_host_and_path(url, kind):
    assert links.classify(url) == kind


def test_a_repository_hosts_front_page_is_no_code_link():
    assert extract_links("https://github.com/ and https://github.com") == []


# --- importing --------------------------------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def stored(paper):
    return [(link.url, link.kind, link.source) for link in paper.links.all()]


@pytestmark_db
def test_seed_papers_get_their_code_links(seeded):
    paper = Paper.objects.get(abstract_en__contains="type-discovery-abs")
    assert stored(paper) == [("https://github.com/raspberryice/type-discovery-abs", "code", "digest")]
    assert paper.links_source == Source.DIGEST
    assert PaperLink.objects.count() == 2
    assert Paper.objects.exclude(links_source="").count() == 2


@pytestmark_db
def test_links_come_from_the_abstract_and_the_summary_once_each():
    entry = Entry(
        "P",
        "2301.00001",
        abstract_en="Code: https://github.com/a/b. Project: https://a.github.io/p/.",
        summary_zh="本文提出一种新的方法，代码见https://github.com/a/b，数据见https://huggingface.co/datasets/a/d。实验表明该方法有效。",
    )
    import_digest(daily_digest([entry]), name="2026-01-01.txt")
    assert stored(Paper.objects.get()) == [
        ("https://github.com/a/b", "code", "digest"),
        ("https://a.github.io/p/", "project", "digest"),
        ("https://huggingface.co/datasets/a/d", "data", "digest"),
    ]


@pytestmark_db
def test_a_digest_that_changes_the_text_changes_the_links():
    import_digest(
        daily_digest([Entry("P", "2301.00002", abstract_en="Our code: https://github.com/a/old.")]),
        name="2026-01-02.txt",
    )
    paper = Paper.objects.get()
    assert [url for url, *_ in stored(paper)] == ["https://github.com/a/old"]
    # An earlier file by name gives the paper its abstract (the rules' order), and with it its links.
    entry = Entry("P", "2301.00002", abstract_en="Our code: https://github.com/a/new, data: none.")
    report = import_digest(daily_digest([entry]), name="2026-01-01.txt")
    assert (report.created, report.matched) == (0, 1)
    paper.refresh_from_db()
    assert stored(paper) == [("https://github.com/a/new", "code", "digest")]
    # A text that names no link any more leaves the paper with none.
    entry = Entry("P", "2301.00002", abstract_en="No code.")
    import_digest(daily_digest([entry]), name="2025-12-31.txt")
    paper.refresh_from_db()
    assert (stored(paper), paper.links_source) == ([], "")


@pytestmark_db
def test_a_curators_links_survive_the_next_import(curator_client):
    entry = Entry("P", "2301.00003", abstract_en="Code: https://github.com/a/b and https://a.github.io.")
    import_digest(daily_digest([entry]), name="2026-01-01.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    data["links-1-DELETE"] = "on"  # the project page goes
    data["links-0-kind"] = LinkKind.CODE
    data.update({"links-TOTAL_FORMS": "3", "links-2-position": "5", "links-2-url": "https://GitLab.com/a/c."})
    data["links-2-kind"] = LinkKind.CODE

    response = curator_client.post(change_url(paper), data)

    assert response.status_code == 302, response.context["inline_admin_formsets"][2].formset.errors
    paper.refresh_from_db()
    assert paper.links_source == Source.CURATOR
    assert stored(paper) == [
        ("https://github.com/a/b", "code", "digest"),
        ("https://gitlab.com/a/c", "code", "curator"),
    ]
    # The next digest has the same paper with other links in an earlier file: the curator's list stays.
    later = Entry("P", "2301.00003", abstract_en="Code: https://github.com/z/z.")
    import_digest(daily_digest([later]), name="2025-12-31.txt")
    paper.refresh_from_db()
    assert paper.abstract_en == "Code: https://github.com/z/z."
    assert [url for url, *_ in stored(paper)] == ["https://github.com/a/b", "https://gitlab.com/a/c"]


@pytestmark_db
def test_the_admin_refuses_a_link_with_a_script_scheme(curator_client):
    import_digest(daily_digest([Entry("P", "2301.00004")]), name="2026-01-01.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    data.update({"links-TOTAL_FORMS": "1", "links-0-position": "1", "links-0-kind": "code"})
    for bad in ["javascript:alert(1)", "https://u:p@evil.example/", "data:text/html,x", "http://10.0.0.1/"]:
        data["links-0-url"] = bad
        response = curator_client.post(change_url(paper), data)
        assert response.status_code == 200, bad  # the form again, with the error
        assert "A link is an http:// or https:// address" in response.text
    assert not PaperLink.objects.exists()


# --- pages and feeds --------------------------------------------------------------------------


@pytest.fixture
def with_and_without_code(db):
    papers = [
        Entry("Has code", "2301.00010", abstract_en="Code: https://github.com/a/b."),
        Entry("Has a project page", "2301.00011", abstract_en="See https://a.github.io/p."),
        Entry("Has nothing", "2301.00012"),
    ]
    assert not import_digest(daily_digest(papers), name="2026-01-01.txt").failed


@pytestmark_db
def test_has_code_filters_every_list_and_the_feed(client, with_and_without_code):
    for value in ("1", "true"):
        assert titles(client.get("/", {"has_code": value})) == ["Has code"]
    assert titles(client.get("/", {"has_code": "0"})) == ["Has a project page", "Has nothing"]
    assert titles(client.get("/areas/LG/", {"has_code": "1"})) == ["Has code"]
    assert titles(client.get("/search/", {"q": "中文标题", "has_code": "1"})) == ["Has code"]
    feed = feedparser.parse(client.get("/feeds/latest.rss", {"has_code": "1"}).content)
    assert [e.title for e in feed.entries] == ["Has code / 中文标题"]
    assert "https://github.com/a/b" in feed.entries[0].description
    assert len(feedparser.parse(client.get("/feeds/latest.atom").content).entries) == 3


@pytestmark_db
def test_the_code_toggle_adds_and_removes_the_filter(client, with_and_without_code):
    page = client.get("/", {"area": "LG"}).text
    toggle = re.search(r'<a class="chip" href="([^"]*)">With a code link</a>', page)
    assert toggle and "has_code=true" in toggle[1] and "area=LG" in toggle[1]
    response = client.get(toggle[1].replace("&amp;", "&"))
    assert titles(response) == ["Has code"]
    on = response.text
    chip = r'<a class="chip chip-on" href="([^"]*)" aria-current="true">'
    off = re.search(chip, on.split("With a code")[0][-600:])
    assert off and "has_code" not in off[1]


@pytestmark_db
def test_cards_show_a_code_badge_and_the_paper_page_lists_every_link(client, with_and_without_code):
    home = client.get("/").text
    badge = '<a class="badge badge-code" href="https://github.com/a/b" rel="nofollow noopener">code</a>'
    assert home.count(badge) == 1 and home.count("badge-code") == 1
    page = client.get(Paper.objects.get(title_en="Has a project page").get_absolute_url()).text
    assert '<span class="badge badge-project">project page</span> <a href="https://a.github.io/p" ' in page
    assert 'rel="nofollow noopener">https://a.github.io/p</a>' in page
    nothing = client.get(Paper.objects.get(title_en="Has nothing").get_absolute_url()).text
    assert "paper-links" not in nothing


@pytestmark_db
def test_link_urls_are_escaped_on_pages(client):
    import_digest(daily_digest([Entry("P", "2301.00013")]), name="2026-01-01.txt")
    paper = Paper.objects.get()
    # Written behind every validation (a raw SQL edit, an old row): pages still escape it.
    hostile = 'https://x.example.org/"><script>alert(1)</script>'
    PaperLink.objects.create(paper=paper, url=hostile, kind="code")
    for html in (client.get("/").text, client.get(paper.get_absolute_url()).text):
        assert "<script>alert(1)" not in html
        assert "https://x.example.org/&quot;&gt;&lt;script&gt;" in html


@pytestmark_db
def test_the_migration_finds_the_links_of_papers_stored_before_it():
    from django.apps import apps

    migration = importlib.import_module("papers.migrations.0013_paper_links")
    before = Paper.objects.create(title_en="Stored before", abstract_en="Code: https://github.com/a/b.")
    plain = Paper.objects.create(title_en="No links", abstract_en="Nothing here.")

    migration.find_links(apps, None)

    assert stored(before) == [("https://github.com/a/b", "code", "digest")]
    before.refresh_from_db()
    plain.refresh_from_db()
    assert (before.links_source, plain.links_source, stored(plain)) == (Source.DIGEST, "", [])
