import re
from pathlib import Path

import pytest
from django.urls import reverse

from papers.importing import import_digest
from papers.models import Institution, Paper, Source

from .builders import Entry, daily_digest, stream_digest
from .pages import facet_counts, titles

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
pytestmark = pytest.mark.django_db


@pytest.fixture
def mixed():
    """Two areas and two institutions, so filters have something to tell apart."""
    import_digest(
        daily_digest(
            [
                Entry("Vision at MIT", "2301.00001", area="CV", institutions=["MIT"]),
                Entry("Vision at CMU", "2301.00002", area="CV", institutions=["CMU"]),
                Entry("Robots at MIT", "2301.00003", area="RO", institutions=["MIT", "CMU"]),
                Entry("Learning at CMU", "2301.00004", area="LG", institutions=["CMU"]),
            ]
        ),
        name="2023-01-05.txt",
    )


def test_home_lists_seed_papers_newest_digest_first(client, seeded):
    response = client.get("/")
    assert response.status_code == 200
    assert "49 papers" in response.text
    # The daily digest sorts last by name, so it is the newest: its entries come first, in order.
    assert titles(response)[:2] == [
        "Mega: Moving Average Equipped Gated Attention",
        "Layer Freezing & Data Sieving: Missing Pieces of a Generic Framework for Sparse Training",
    ]
    assert response.text.count('class="paper-card"') == 25


def test_both_languages_side_by_side_with_lang_attributes(client, seeded):
    mega = Paper.objects.get(arxiv_id="2209.10655")
    response = client.get("/")
    card = response.text.split(f'id="paper-{mega.pk}-title"')[1].split("</article>")[0]
    assert '<p lang="zh-Hans">Transformer注意力机制的设计选择' in card
    assert '<p lang="en">The design choices in the Transformer' in card


def test_area_filter_returns_exactly_that_area(client, mixed):
    assert sorted(titles(client.get("/?area=CV"))) == ["Vision at CMU", "Vision at MIT"]
    assert sorted(titles(client.get("/?area=CV&area=RO"))) == [
        "Robots at MIT",
        "Vision at CMU",
        "Vision at MIT",
    ]
    assert sorted(titles(client.get(reverse("papers:area", args=["RO"])))) == ["Robots at MIT"]


def test_institution_filter_and_combination(client, mixed):
    mit = Institution.objects.get(name="MIT")
    assert sorted(titles(client.get(f"/?institution={mit.slug}"))) == ["Robots at MIT", "Vision at MIT"]
    assert titles(client.get(f"/?institution={mit.slug}&area=CV")) == ["Vision at MIT"]
    assert sorted(titles(client.get(mit.get_absolute_url()))) == ["Robots at MIT", "Vision at MIT"]


def test_facet_links_narrow_in_two_clicks(client, mixed):
    home = client.get("/")
    mit = Institution.objects.get(name="MIT")
    institution_link = re.search(r'href="([^"]*institution=' + mit.slug + r')"', home.text).group(1)
    narrowed = client.get(institution_link.replace("&amp;", "&"))
    area_link = re.search(r'href="([^"]*area=CV[^"]*)"', narrowed.text).group(1).replace("&amp;", "&")
    assert titles(client.get(area_link)) == ["Vision at MIT"]


def test_area_facet_counts_ignore_the_area_filter(client, mixed):
    counts = facet_counts(client.get("/?area=CV"))
    assert counts == {"AS": 0, "CL": 0, "CV": 2, "LG": 1, "RO": 1}


def test_text_from_digests_is_escaped(client):
    import_digest(
        daily_digest(
            [Entry("<script>alert(1)</script> title", "2301.00009", abstract_en="<script>x()</script>")]
        ),
        name="evil.txt",
    )
    paper = Paper.objects.get()
    for url in ("/", paper.get_absolute_url()):
        text = client.get(url).text
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_hidden_papers_never_appear(client, mixed):
    hidden = Paper.objects.get(title_en="Vision at MIT")
    hidden.is_published = False
    hidden.save()
    mit = Institution.objects.get(name="MIT")
    for url in (
        "/",
        "/?area=CV",
        "/areas/CV/",
        mit.get_absolute_url(),
        hidden.listed_digest.get_absolute_url(),
    ):
        assert "Vision at MIT" not in client.get(url).text, url
    assert client.get(hidden.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    "url", ["/papers/99999/", "/areas/XX/", "/institutions/nowhere/", "/authors/nobody/", "/digests/99999/"]
)
def test_unknown_objects_are_404(client, mixed, url):
    response = client.get(url)
    assert response.status_code == 404
    # The site's own page, with its navigation and search, not the server's bare "Not Found".
    assert "Page not found" in response.text
    assert 'role="search"' in response.text and 'href="/"' in response.text


def test_not_found_page_speaks_the_readers_language(client):
    response = client.get("/no-such-page/<script>", HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert response.status_code == 404
    assert "找不到页面" in response.text
    assert "<script>" not in response.text


@pytest.mark.parametrize(
    "query",
    [
        "area=XX", "page=-1", "page=abc", "page=99999999999999999999999", "digest=abc", "digest=-5",
        "both=maybe", "institution=" + "x" * 5000, "&".join(["area=CV"] * 50), "author=%00",
    ],
)  # fmt: skip
def test_nonsense_parameters_are_ignored(client, mixed, query):
    response = client.get("/?" + query)
    assert response.status_code == 200
    assert 'class="paper-card"' in response.text


def test_unknown_area_is_ignored_not_empty(client, mixed):
    assert len(titles(client.get("/?area=XX"))) == 4


def test_merged_institution_redirects_to_the_kept_one(client, mixed):
    kept = Institution.objects.create(name="Carnegie Mellon University")
    alias = Institution.objects.get(name="CMU")
    alias.merged_into = kept
    alias.save()
    response = client.get(alias.get_absolute_url())
    assert response.status_code == 301 and response["Location"] == kept.get_absolute_url()


def test_paper_page_has_links_bibtex_and_provenance(client, seeded):
    paper = Paper.objects.get(arxiv_id="2209.10655")
    text = client.get(paper.get_absolute_url()).text
    assert 'href="https://arxiv.org/abs/2209.10655"' in text
    assert 'href="https://arxiv.org/pdf/2209.10655"' in text
    assert "@misc{arxiv:2209.10655," in text and "primaryClass = {cs.LG}" in text and "year = {2022}" in text
    assert "from the digest" in text
    assert "004_ae42a3c06c86c834.txt" in text


def test_missing_language_is_said_plainly(client):
    import_digest(stream_digest(["只有中文机器翻译的摘要。"]), name="s.txt")
    paper = Paper.objects.get()
    text = client.get(paper.get_absolute_url()).text
    assert "No English abstract in the digests yet." in text
    assert "machine translation (Google)" in text
    assert "@misc" not in text


def test_provenance_badges_say_where_each_text_came_from(client):
    import_digest(daily_digest([Entry("Typo titel", "2301.00001")]), name="d.txt")
    import_digest(stream_digest(["只有中文机器翻译的摘要。"]), name="s.txt")
    edited, translated = Paper.objects.get(arxiv_id="2301.00001"), Paper.objects.get(arxiv_id=None)
    title = client.get(edited.get_absolute_url()).text.split('<h1 id="paper-title">')[1].split("</h1>")[0]
    assert "badge-curator" not in title  # a digest's title has no badge
    edited.title_en, edited.title_en_source = "Fixed title", Source.CURATOR
    edited.save()
    page = client.get(edited.get_absolute_url()).text
    title = page.split('<h1 id="paper-title">')[1].split("</h1>")[0]
    assert '<span class="badge badge-curator">edited by a curator</span>' in title
    assert '<span class="badge badge-digest">from the digest</span>' in page  # the texts
    page = client.get(translated.get_absolute_url()).text
    assert '<span class="badge badge-machine">machine translation (Google)</span>' in page
    assert "badge-curator" not in page and "badge-digest" not in page


def test_an_untitled_paper_shows_its_text_labelled_in_the_readers_language(client):
    import_digest(stream_digest(["A stream abstract about diffusion policies for robots."]), name="s.txt")
    paper = Paper.objects.get()
    for accept, label in (("en", "Untitled:"), ("zh-CN", "无标题:")):
        for url in ("/", paper.get_absolute_url()):
            text = client.get(url, HTTP_ACCEPT_LANGUAGE=accept).text
            assert f'<span class="untitled">{label}</span> <span lang="en">A stream abstract' in text, url
        title = f"<title>{label} A stream abstract about diffusion policies for robots. · "
        assert title in client.get(paper.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=accept).text


def test_digest_page_shows_summary_and_entries_in_printed_order(client, seeded):
    from papers.models import Digest

    digest = Digest.objects.get(name="004_ae42a3c06c86c834.txt")
    response = client.get(digest.get_absolute_url())
    text = response.text
    assert "移动平均单头门控注意力、面向稀疏训练通用框架的层冻结和数据筛分" in text
    order = [entry.paper.title_en for entry in response.context["entries"]]
    assert order[0].startswith("Mega") and order[5].startswith("Developing, Evaluating")
    assert order[-1] == "Variational Inference for Infinitely Deep Neural Networks"


def test_interface_language_from_accept_language_and_switchable(client, seeded):
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert '<html lang="zh-Hans">' in chinese.text and "最新论文" in chinese.text
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in english.text and "Latest papers" in english.text

    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/institutions/"})
    assert response.status_code == 302 and response["Location"] == "/institutions/"
    assert "机构" in client.get("/institutions/", HTTP_ACCEPT_LANGUAGE="en").text


def test_chinese_interface_puts_chinese_first(client, seeded):
    mega = Paper.objects.get(arxiv_id="2209.10655")
    for accept, first in (("zh-CN", "text-zh"), ("en", "text-en")):
        text = client.get(mega.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=accept).text
        assert text.index(first) < text.index("text-zh" if first == "text-en" else "text-en")


@pytest.mark.parametrize("papers", [30, 90])
@pytest.mark.parametrize(
    "url,most",
    [
        ("/", 9),
        ("/?area=LG&area=CV", 9),
        ("/areas/LG/", 10),
        ("/digests/{digest}/", 9),
        ("/papers/{paper}/", 9),
        ("/institutions/some-university/", 16),  # with its 4 figures' reads (papers.institution_stats)
        ("/?area=LG&institution=some-university", 10),
    ],
)
def test_constant_queries_per_page(client, django_assert_max_num_queries, url, most, papers):
    entries = [Entry(f"P{i}", f"2302.{i:05d}", area="LG") for i in range(papers)]
    import_digest(daily_digest(entries), name="a.txt")
    paper = Paper.objects.first()
    from papers.models import Digest

    url = url.format(digest=Digest.objects.get().pk, paper=paper.pk)
    # A list page, page and facet caches cold: the site version (papers.pagecache), areas, the
    # selection's PaperCount rows (its count and area facets), institution facet counts, the kind
    # and country counts (one UNION; the country names too when there are some), the page's paper
    # ids (papers.cardcache), then, for the cards not kept, those papers, authors, institutions; a
    # facet page adds its own object (/areas/LG/), and an institution filter the institution (its
    # page: also its aliases). The same whatever the number of papers.
    with django_assert_max_num_queries(most):
        assert client.get(url).status_code == 200


def test_a_page_whose_cards_are_kept_reads_no_author_or_institution_rows(client):
    """papers.cardcache keeps each card: a page of kept cards reads its papers' ids and dates only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    import_digest(daily_digest([Entry(f"P{i}", f"2302.{i:05d}", area="LG") for i in range(30)]), name="a.txt")
    first = client.get("/?both=true")
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/?area=LG")  # another page (not from the page cache), the same papers
    assert titles(again) == titles(first)
    assert again.text.count('class="Z3988"') == 25 and again.text.count("<article") == 25
    assert not any("papers_authorship" in q["sql"] for q in queries.captured_queries)
