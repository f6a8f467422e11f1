"""Downloads of what a page shows (.bib, .ris), Highwire meta tags on paper pages and COinS on lists:
each read back with a real parser (bibtexparser, rispy, html.parser, parse_qs)."""

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import parse_qs

import bibtexparser
import pytest
import rispy
from django.db import connection
from django.test.utils import CaptureQueriesContext

from papers import downloads, views
from papers.importing import import_digest
from papers.models import Digest, Institution, Paper

from .builders import Entry, daily_digest, stream_digest
from .test_citations import DECODE

pytestmark = pytest.mark.django_db


class Head(HTMLParser):
    """A page's <meta name content> pairs in order, its COinS titles and its download links."""

    def __init__(self, text):
        super().__init__()
        self.meta, self.coins, self.links = [], [], {}
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and "name" in attrs:
            self.meta.append((attrs["name"], attrs["content"]))
        if tag == "span" and attrs.get("class") == "Z3988":
            self.coins.append(parse_qs(attrs["title"]))
        if tag == "a" and attrs.get("type") in (
            "application/x-bibtex",
            "application/x-research-info-systems",
        ):
            self.links[attrs["type"]] = attrs["href"]


def key(paper):
    return f"arxiv:{paper.arxiv_id}" if paper.arxiv_id else f"paper:{paper.pk}"


def shown_keys(response):
    return [key(paper) for paper in response.context["page"]]


def bib_keys(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/x-bibtex; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    library = bibtexparser.parse_string(response.content.decode())
    assert not library.failed_blocks
    return [entry.key for entry in library.entries]


def ris_keys(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    return [record["id"] for record in rispy.loads(response.content.decode())]


@pytest.fixture
def mixed():
    import_digest(
        daily_digest(
            [
                Entry("Vision at MIT", "2301.00001", area="CV", institutions=["MIT"], authors=["A One"]),
                Entry("Vision at CMU", "2301.00002", area="CV", institutions=["CMU"], authors=["A One"]),
                Entry("Robots at MIT", "2301.00003", area="RO", institutions=["MIT"]),
                Entry("Diffusion robots", "2301.00004", area="RO", institutions=["CMU"]),
            ]
        ),
        name="2025-01-01.txt",
    )
    import_digest(
        daily_digest([Entry("Later vision & diffusion", "2301.00005", area="CV", institutions=["MIT"])]),
        name="2025-01-02.txt",
    )
    import_digest(stream_digest(["An untitled stream abstract about diffusion."]), name="s.txt")


def page_urls():
    mit = Institution.objects.get(name="MIT")
    author = Paper.objects.get(arxiv_id="2301.00001").ordered_authors()[0]
    return [
        "/", "/?area=CV", "/?area=CV&area=RO&both=true", "/search/?q=diffusion", "/?q=vision&area=CV",
        "/areas/CV/", "/areas/RO/?institution=" + Institution.objects.get(name="CMU").slug,
        f"/institutions/{mit.slug}/", f"/institutions/{mit.slug}/?area=RO", f"/authors/{author.slug}/",
    ]  # fmt: skip


def test_a_download_holds_exactly_the_papers_its_page_shows_in_its_order(client, mixed):
    for url in page_urls():
        page = client.get(url)
        links = Head(page.text).links
        assert links, url
        bib = unescape(links["application/x-bibtex"])
        ris = unescape(links["application/x-research-info-systems"])
        assert bib.split("?")[0].endswith("papers.bib") and ris.split("?")[0].endswith("papers.ris")
        expected = shown_keys(page)
        assert expected, url
        assert bib_keys(client, bib) == expected, url
        assert ris_keys(client, ris) == expected, url


def test_a_digest_download_holds_its_published_papers_in_printed_order(client, mixed):
    digest = Digest.objects.get(name="2025-01-01.txt")
    Paper.objects.filter(arxiv_id="2301.00003").update(is_published=False)
    page = client.get(digest.get_absolute_url())
    links = Head(page.text).links
    expected = ["arxiv:2301.00001", "arxiv:2301.00002", "arxiv:2301.00004"]
    assert bib_keys(client, links["application/x-bibtex"]) == expected
    assert ris_keys(client, links["application/x-research-info-systems"]) == expected


def test_hidden_papers_and_unknown_facets(client, mixed):
    Paper.objects.filter(arxiv_id="2301.00001").update(is_published=False)
    assert "arxiv:2301.00001" not in bib_keys(client, "/papers.bib")
    for url in ("/areas/XX/papers.bib", "/institutions/nowhere/papers.ris", "/digests/99999/papers.bib"):
        assert client.get(url).status_code == 404, url
    assert client.get("/papers.pdf").status_code == 404


def test_a_merged_institution_s_old_download_gives_the_kept_one_s_papers(client, mixed):
    from papers import curation

    mit, cmu = Institution.objects.get(name="MIT"), Institution.objects.get(name="CMU")
    curation.merge_institutions(keep=mit, others=[cmu])
    kept = bib_keys(client, f"/institutions/{mit.slug}/papers.bib")
    assert len(kept) == 5
    assert bib_keys(client, f"/institutions/{cmu.slug}/papers.bib") == kept


def test_hostile_titles_arrive_intact_in_both_files(client):
    hostile = r"<script>alert(1)</script> } { \ % & $x$ #1 a_b ~^"
    import_digest(daily_digest([Entry(hostile, "2301.00009", title_zh="中文 } {")]), name="evil.txt")
    bib = client.get("/papers.bib").content.decode()
    (entry,) = bibtexparser.parse_string(bib).entries
    assert entry["title"] == (
        r"<script>alert(1)</script> \} \{ \textbackslash{} \% \& \$x\$ \#1 a\_b "
        r"\textasciitilde{}\textasciicircum{}"
    )
    assert entry["note"] == r"中文 \} \{"
    assert DECODE(entry["title"]) == hostile and DECODE(entry["note"]) == "中文 } {"
    (record,) = rispy.loads(client.get("/papers.ris").content.decode())
    assert record["title"] == hostile and record["translated_title"] == "中文 } {"


def test_a_download_is_cut_at_the_limit_and_both_page_and_file_say_so(client, monkeypatch):
    monkeypatch.setattr(downloads, "EXPORT_LIMIT", 3)
    monkeypatch.setattr(views, "EXPORT_LIMIT", 3)
    import_digest(daily_digest([Entry(f"Paper {i}", f"2303.{i:05d}") for i in range(5)]), name="d.txt")
    page = client.get("/")
    assert "the first 3 papers, the most one file holds" in page.text
    bib = client.get("/papers.bib").content.decode()
    assert "% This selection has more than 3 papers: this file holds the first 3" in bib
    assert [e.key for e in bibtexparser.parse_string(bib).entries] == shown_keys(page)[:3]
    ris = client.get("/papers.ris").content.decode()
    assert ris.startswith("Note: 3 papers from") and "more than 3 papers" in ris
    assert len(rispy.loads(ris)) == 3
    assert "more than" not in client.get("/areas/RO/papers.bib").content.decode()  # none there: not cut


# The papers, their authors and institutions (for_cards), plus what the filters look up themselves.
# Each with the site version's lookup, which the page cache makes even when it keeps no pages (it
# answers conditional GETs from remembered validators).
PINNED = {"/papers.bib": 4, "/papers.ris?area=LG": 5, "/search/papers.bib?q=quokka": 4}


def test_a_download_costs_the_same_queries_for_few_papers_or_many(client, settings):
    settings.PORTAL_PAGE_CACHE = False
    import_digest(daily_digest([Entry(f"Quokka {i}", f"2303.{i:05d}") for i in range(2)]), name="a.txt")

    def count(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    few = {url: count(url) for url in ("/papers.bib", "/papers.ris?area=LG", "/search/papers.bib?q=quokka")}
    import_digest(
        daily_digest(
            [Entry(f"Quokka again {i}", f"2304.{i:05d}", authors=[f"P{i} Q", "R S"]) for i in range(60)]
        ),
        name="b.txt",
    )
    many = {url: count(url) for url in few}
    assert many == few
    assert len(bib_keys(client, "/search/papers.bib?q=quokka")) == 62
    assert few == PINNED, few


def test_paper_page_meta_tags_carry_the_citation_in_order_and_escaped(client):
    title = 'A "quoted" <script>alert(1)</script> title'
    import_digest(
        daily_digest([Entry(title, "2209.10655", authors=["X Ma", "C Zhou", "<b>Evil</b> Name"])]),
        name="d.txt",
    )
    paper = Paper.objects.get()
    text = client.get(paper.get_absolute_url()).text
    head = text.split("</head>")[0]
    assert "<script>" not in head and "<b>" not in head
    meta = Head(head).meta
    values = dict(meta)
    assert values["citation_title"] == title
    assert [v for k, v in meta if k == "citation_author"] == ["X Ma", "C Zhou", "<b>Evil</b> Name"]
    assert values["citation_arxiv_id"] == "2209.10655"
    assert values["citation_publication_date"] == "2022"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}", values["citation_online_date"])
    assert values["citation_pdf_url"] == "https://arxiv.org/pdf/2209.10655"
    assert values["citation_abstract_html_url"] == f"http://testserver{paper.get_absolute_url()}"
    assert values["citation_doi"] == "10.48550/arXiv.2209.10655"
    # The page's BibTeX block comes from the same writer, escaped once for TeX and once for HTML.
    assert "@misc{arxiv:2209.10655," in text and "&lt;script&gt;" in text.split("</head>")[1]


def test_list_and_digest_pages_carry_one_coins_span_per_paper(client, mixed):
    page = client.get("/?area=CV")
    coins = Head(page.text).coins
    papers = list(page.context["page"])
    assert len(coins) == len(papers) == 3
    for fields, paper in zip(coins, papers, strict=True):
        assert fields["ctx_ver"] == ["Z39.88-2004"] and fields["rft.genre"] == ["preprint"]
        assert fields["rft.atitle"] == [paper.title_en]
        assert fields["rft.au"] == [a.name for a in paper.ordered_authors()]
        assert f"info:arxiv/{paper.arxiv_id}" in fields["rft_id"]
    digest = Digest.objects.get(name="2025-01-01.txt")
    coins = Head(client.get(digest.get_absolute_url()).text).coins
    assert [c["rft.atitle"][0] for c in coins] == [
        "Vision at MIT", "Vision at CMU", "Robots at MIT", "Diffusion robots",
    ]  # fmt: skip


def test_the_download_links_speak_chinese(client, mixed):
    text = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN").text
    assert "下载此列表:" in text and "每个文件最多 500 篇论文" in text


def test_a_cached_download_keeps_its_type_and_name(client, mixed):
    first = client.get("/areas/CV/papers.ris")
    again = client.get("/areas/CV/papers.ris")
    assert again["X-Page-Cache"] == "hit" and again.content == first.content
    assert again["Content-Type"] == "application/x-research-info-systems; charset=utf-8"
    assert again["Content-Disposition"] == 'attachment; filename="papers-area-CV.ris"'
