"""Full-text search (papers.search, /search/ and ?q= on the lists), on SQLite and PostgreSQL alike."""

import io
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from papers import curation, search
from papers.importing import import_digest
from papers.models import Author, Institution, Paper, SearchEntry

from .builders import Entry, daily_digest
from .pages import titles

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus():
    """Papers told apart by one word, one phrase or a few Chinese characters each."""
    report = import_digest(
        daily_digest(
            [
                Entry(
                    "Diffusion Policy for Visuomotor Control",
                    "2303.04137",
                    area="RO",
                    authors=["Cheng Chi", "Shuran Song"],
                    institutions=["Columbia University"],
                    title_zh="扩散策略",
                    summary_zh="用扩散模型表示机器人的视觉运动策略。",
                    abstract_en="We learn a robot policy by denoising actions with a diffusion model.",
                ),
                Entry(
                    "Direct Preference Optimization",
                    "2305.18290",
                    area="CL",
                    authors=["Rafael Rafailov"],
                    institutions=["Stanford University"],
                    title_zh="直接偏好优化",
                    summary_zh="不用强化学习,直接用偏好数据微调大型语言模型。",
                    abstract_en="Large language models follow human preferences without reward models.",
                ),
                Entry(
                    "Heat Equations on Graphs",
                    "2301.00003",
                    area="LG",
                    authors=["Ada Heat"],
                    institutions=["Columbia University"],
                    title_zh="图上的热方程",
                    summary_zh="研究图上的扩散过程与热核。",
                    abstract_en="Models of language are not studied here; we study heat kernels on graphs.",
                ),
                Entry(
                    "Sparse Attention",
                    "2301.00004",
                    area="LG",
                    authors=["Sam Sparse"],
                    institutions=["MIT"],
                    title_zh="稀疏注意力",
                    summary_zh="一种稀疏的注意力机制。",
                    abstract_en="An attention mechanism for transformers; no vision experiments.",
                ),
            ]
        ),
        name="2023-06-01.txt",
    )
    assert not report.failed, report.error
    return {p.arxiv_id: p for p in Paper.objects.all()}


def found(query):
    return [p.arxiv_id for p in search.papers(query)]


def found_set(query):
    return set(found(query))


DIFFUSION, DPO, HEAT, SPARSE = "2303.04137", "2305.18290", "2301.00003", "2301.00004"


# --- matching --------------------------------------------------------------------------------


def test_english_stemming(corpus):
    assert found_set("policies") == {DIFFUSION}
    assert found_set("preferences") == found_set("preference") == {DPO}
    assert found_set("denoise") == {DIFFUSION}


def test_two_character_chinese_queries(corpus):
    assert found_set("扩散") == {DIFFUSION, HEAT}
    assert found_set("模型") == {DIFFUSION, DPO}
    assert found_set("注意") == {SPARSE}
    assert found_set("量子") == set()


def test_longer_chinese_phrase_matches_only_that_string(corpus):
    # HEAT has 扩散 and (nowhere) 模型; DPO has 模型 but not 扩散: only DIFFUSION has 扩散模型.
    assert found_set("扩散模型") == {DIFFUSION}
    assert found_set("大型语言模型") == {DPO}
    assert found_set("“扩散模型”") == {DIFFUSION}  # Chinese quotation marks work as quotes


def test_one_chinese_character(corpus):
    assert found_set("热") == {HEAT}


def test_mixed_chinese_and_english(corpus):
    assert found_set("扩散 robot") == {DIFFUSION}
    assert found_set("扩散 graphs") == {HEAT}


def test_quoted_english_phrase(corpus):
    assert found_set("language models") == {DPO, HEAT}
    assert found_set('"language models"') == {DPO}


def test_minus_excludes(corpus):
    assert found_set("扩散 -robot") == {HEAT}
    assert found_set('models -"language models"') == {DIFFUSION, HEAT}
    # Only exclusions: everything else.
    assert found_set("-扩散") == {DPO, SPARSE}


def test_or_accepts_either(corpus):
    assert found_set("graphs or transformers") == {HEAT, SPARSE}


def test_authors_institutions_and_arxiv_ids_are_searched(corpus):
    assert found_set("Rafailov") == {DPO}
    assert found_set("columbia") == {DIFFUSION, HEAT}
    assert found_set("2305.18290") == {DPO}


def test_title_matches_rank_first(corpus):
    # HEAT has "graphs" once in its title and once in its abstract; the new paper six times in its
    # abstract only: the title match ranks first.
    import_digest(
        daily_digest(
            [
                Entry(
                    "Kernels",
                    "2301.00009",
                    abstract_en="Graphs, graphs and more graphs: graphs everywhere in this text on graphs.",
                )
            ]
        ),
        name="2023-06-02.txt",
    )
    assert found("graphs") == [HEAT, "2301.00009"]


def test_a_search_keeps_the_newest_matches_of_the_filtered_selection(client, monkeypatch):
    import_digest(
        daily_digest(
            [
                Entry("Zebra Stripes", "2301.00011", area="CV", abstract_en="Stripes."),
                Entry("Horses", "2301.00012", abstract_en="Not a zebra."),
                Entry("Donkeys", "2301.00013", abstract_en="Nor a zebra."),
            ]
        ),
        name="2023-01-01.txt",
    )
    assert found("zebra")[0] == "2301.00011"  # the title match first
    response = client.get("/search/", {"q": "zebra"})
    assert "3 papers" in response.text and "newest matching papers" not in response.text

    monkeypatch.setattr(search.backends, "RESULT_LIMIT", 2)
    cache.clear()  # a setting changed, not the data: pages cached before it would still be served
    # The two newest matches, ranked; the oldest (the title match) is left out, and the page says why.
    assert found_set("zebra") == {"2301.00012", "2301.00013"}
    response = client.get("/search/", {"q": "zebra"})
    assert set(titles(response)) == {"Donkeys", "Horses"}
    assert "A search shows the 2 newest matching papers" in response.text
    # Filters narrow the selection before the limit is applied: the CV paper is found.
    response = client.get("/search/", {"q": "zebra", "area": "CV"})
    assert titles(response) == ["Zebra Stripes"]
    assert "newest matching papers" not in response.text
    # An exclusion-only query is limited the same way: the two newest papers without "giraffe".
    assert found_set("-giraffe") == {"2301.00012", "2301.00013"}


def test_hidden_papers_are_never_found(client, corpus):
    curation.set_published(papers=Paper.objects.filter(arxiv_id=DIFFUSION), published=False)
    assert found_set("扩散") == {HEAT}
    assert found_set("policy") == set()
    response = client.get("/search/", {"q": "Diffusion Policy"})
    assert "Visuomotor" not in response.text
    # Its arXiv id no longer jumps to it either.
    response = client.get("/search/", {"q": DIFFUSION})
    assert response.status_code == 200
    assert "Visuomotor" not in response.text


@pytest.mark.parametrize(
    "query",
    ['"', '""', "-", "--x", "OR", "or or", "AND NOT", "(", ")", "*", ":*", "'", "\\", "a & b | !c",
     "NEAR(a b)", "title:x", "{title}: x", "^x", "+x", "x*", "\u0301", "①", "²", "the", "a the of",
     '"unclosed phrase', "-\"", "扩", "。", "“”", "<script>", "%", "_", "\x00"],
)  # fmt: skip
def test_odd_queries_never_fail(corpus, query):
    list(search.papers(query))


# --- the pages -------------------------------------------------------------------------------


def test_search_page_ranks_highlights_and_counts(client, corpus):
    response = client.get(reverse("papers:search"), {"q": "diffusion"})
    assert response.status_code == 200
    assert titles(response) == ["Diffusion Policy for Visuomotor Control"]
    assert "1 paper" in response.text
    assert "<mark>Diffusion</mark> Policy" in response.text
    assert "with a <mark>diffusion</mark> model" in response.text

    response = client.get(reverse("papers:search"), {"q": "扩散模型"})
    assert '<p lang="zh-Hans">用<mark>扩散模型</mark>表示' in response.text
    response = client.get(reverse("papers:search"), {"q": "扩散"})
    assert 'lang="zh-Hans"><mark>扩散</mark>策略' in response.text  # the Chinese title


def test_search_page_has_facets_and_a_feed(client, corpus):
    response = client.get(reverse("papers:search"), {"q": "扩散"})
    facets = response.text.split('class="facets"')[1]
    assert re.search(r"RO</span> Robotics\s*<span class=\"count\">1<", facets)
    assert re.search(r"LG</span> Machine Learning\s*<span class=\"count\">1<", facets)
    assert re.search(r"Columbia University\s*<span class=\"count\">2<", facets)
    # Facet links keep the query and stay on the search page.
    assert 'href="/search/?q=%E6%89%A9%E6%95%A3&amp;area=RO"' in facets
    feed = re.search(r'<link rel="alternate" type="application/rss\+xml"[^>]*href="([^"]+)"', response.text)
    assert "q=%E6%89%A9%E6%95%A3" in feed.group(1)
    # With an area chosen, the area facets still count the other areas' matches (so one can be added).
    response = client.get(reverse("papers:search"), {"q": "扩散", "area": "RO"})
    assert titles(response) == ["Diffusion Policy for Visuomotor Control"]
    facets = response.text.split('class="facets"')[1]
    assert re.search(r"LG</span> Machine Learning\s*<span class=\"count\">1<", facets)


@pytest.mark.parametrize("params", [{"q": "扩散", "area": "LG"}, {"q": "扩", "area": "RO"}, {"q": "graphs"}])
def test_facets_of_a_search_count_the_results_in_hand(client, corpus, params):
    """A search with a facet once made the institution facet group every affiliation under a second
    full-text match (seconds on SQLite at 36,000 papers): facets must count the ids already found."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/areas/LG/" if params.get("area") == "LG" else "/", params)
    assert response.status_code == 200
    facet_queries = [q["sql"] for q in queries if "GROUP BY" in q["sql"] and "papers_affiliation" in q["sql"]]
    assert facet_queries, "the page counts its institutions"
    for sql in facet_queries:
        assert SearchEntry._meta.db_table not in sql, sql
    # And the counts are still those of the results.
    institutions = {i.name: i.n for i in response.context["institution_facets"]}
    expected = {}
    for paper, _listed_on in response.context["page"].paginator.object_list:  # the ranked (id, day)s
        for name in Paper.objects.get(pk=paper).institutions.values_list("name", flat=True):
            expected[name] = expected.get(name, 0) + 1
    assert institutions == expected


def test_query_combines_with_filters_on_every_list(client, corpus):
    assert titles(client.get("/", {"q": "扩散", "area": "RO"})) == ["Diffusion Policy for Visuomotor Control"]
    assert titles(client.get("/search/", {"q": "扩散", "area": "LG"})) == ["Heat Equations on Graphs"]
    columbia = Institution.objects.get(name="Columbia University")
    assert titles(client.get(columbia.get_absolute_url(), {"q": "graphs"})) == ["Heat Equations on Graphs"]
    assert titles(client.get("/areas/LG/", {"q": "扩散"})) == ["Heat Equations on Graphs"]


@pytest.mark.parametrize(
    "query", ["2305.18290", "arXiv:2305.18290", "arxiv: 2305.18290v2", "https://arxiv.org/abs/2305.18290v1"]
)
def test_arxiv_id_jumps_to_the_paper(client, corpus, query):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 302
    assert response["Location"] == corpus[DPO].get_absolute_url()


def test_unknown_arxiv_id_is_an_ordinary_search(client, corpus):
    response = client.get("/search/", {"q": "2399.99999"})
    assert response.status_code == 200
    assert "0 papers" in response.text


def test_script_in_query_is_escaped(client, corpus):
    response = client.get("/search/", {"q": '<script>alert("x")</script> diffusion'})
    assert response.status_code == 200
    assert "<script>alert" not in response.text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in response.text


def test_highlighting_escapes_the_text_it_marks():
    html = search.highlight("<script>Attention</script> & policy", search.parse("script attentions policies"))
    assert html == (
        "&lt;<mark>script</mark>&gt;<mark>Attention</mark>&lt;/<mark>script</mark>&gt; "
        "&amp; <mark>policy</mark>"
    )


def test_empty_query_explains_what_can_be_searched(client, corpus):
    for params in ({}, {"q": ""}, {"q": "   "}):
        response = client.get("/search/", params)
        assert response.status_code == 200
        assert "arXiv ids" in response.text
        assert 'role="search"' in response.text


def test_too_long_query_is_ignored_and_says_so(client, corpus):
    response = client.get("/search/", {"q": "diffusion " * 30})
    assert response.status_code == 200
    assert "longer than 200 characters" in response.text
    assert "4 papers" in response.text


def test_query_without_searchable_words_finds_nothing(client, corpus):
    response = client.get("/search/", {"q": "the ?!"})
    assert response.status_code == 200
    assert "0 papers" in response.text


def test_site_header_has_a_labelled_search_form(client, corpus):
    response = client.get("/")
    form = re.search(
        r'<form class="site-search" action="/search/" method="get" role="search"[^>]*>.*?</form>',
        response.text,
        re.S,
    )
    assert form and '<label class="visually-hidden" for="site-search-q">' in form.group()


def test_search_page_query_count(client, corpus, django_assert_max_num_queries):
    # Expected: the site version (papers.pagecache), areas (form choices and facets), the ranked
    # ids of the newest matches (the count too), the page's dates (papers.cardcache), then for the
    # cards not kept its papers, their authorships, their affiliations; area facets, the
    # institution facets and the kind and country facets; and an arXiv-id lookup only when the
    # query is an id.
    with django_assert_max_num_queries(10):
        response = client.get("/search/", {"q": "扩散 -robot", "area": "LG"})
    assert titles(response) == ["Heat Equations on Graphs"]


# --- keeping the index right ----------------------------------------------------------------


def test_index_follows_an_import_of_a_new_digest(corpus):
    assert found("量子计算") == []
    import_digest(
        daily_digest([Entry("Quantum Kernels", "2302.00001", summary_zh="量子计算的核方法。")]),
        name="2023-06-03.txt",
    )
    assert found("量子计算") == ["2302.00001"]
    assert SearchEntry.objects.count() == Paper.objects.count()


def test_index_follows_a_reimport_that_changes_a_paper(corpus):
    # A digest whose name sorts first wins the paper's text (the importer's fixed order).
    data = daily_digest([Entry("Sparse Attention Revisited", SPARSE, summary_zh="稀疏注意力的新版本。")])
    assert import_digest(data, name="2023-05-01.txt").updated == 1
    assert found_set("revisited") == {SPARSE}
    assert found_set("新版本") == {SPARSE}
    assert found_set("一种稀疏的注意力机制") == set()
    # Importing the same file again changes nothing, in the index either.
    rows = list(SearchEntry.objects.order_by("pk").values_list("pk", "title", "people", "body"))
    assert import_digest(data, name="2023-05-01.txt").status == "unchanged"
    assert list(SearchEntry.objects.order_by("pk").values_list("pk", "title", "people", "body")) == rows


def test_index_follows_an_admin_edit(corpus):
    paper = corpus[SPARSE]
    paper.title_en = "Lightning Attention"
    curation.save_paper_edit(paper=paper, changed_fields=["title_en"])
    assert found_set("lightning") == {SPARSE}
    assert found_set('"sparse attention"') == set()


def test_index_follows_curated_author_and_institution_lists(corpus):
    paper = corpus[SPARSE]
    curation.set_paper_authors(paper=paper, authors=[Author.objects.create(name="Grace Hopper")])
    curation.set_paper_institutions(
        paper=paper, institutions=[Institution.objects.get(name="Stanford University")]
    )
    assert found_set("hopper") == {SPARSE}
    assert found_set("stanford") == {SPARSE, DPO}
    assert found_set("Sam") == set()


def test_index_follows_renames_and_merges(corpus):
    columbia = Institution.objects.get(name="Columbia University")
    curation.rename_entity(entity=columbia, name="Columbia University in the City of New York")
    assert found_set('"city of new york"') == {DIFFUSION, HEAT}
    assert found_set("columbia") == {DIFFUSION, HEAT}

    mit = Institution.objects.get(name="MIT")
    curation.merge_institutions(keep=Institution.objects.get(name="Stanford University"), others=[mit])
    # MIT's paper now lists Stanford, and MIT's name still finds it (and Stanford's other papers).
    assert found_set("stanford") == {DPO, SPARSE}
    assert found_set("MIT") == {DPO, SPARSE}


def test_rebuild_command_reindexes_everything(corpus):
    SearchEntry.objects.filter(paper=corpus[DPO]).delete()
    assert found_set("preference") == set()
    out = io.StringIO()
    call_command("rebuild_search_index", stdout=out)
    assert "indexed 4 papers" in out.getvalue()
    assert found_set("preference") == {DPO}


def test_deleted_paper_leaves_the_index(corpus):
    corpus[HEAT].delete()
    assert not SearchEntry.objects.filter(paper_id=corpus[HEAT].pk).exists()


def test_seed_digests_are_searchable(client, seeded):
    mega = Paper.objects.get(arxiv_id="2209.10655")
    assert "2209.10655" in found("注意力机制")
    # "diffusion" is in one paper's title (and abstract) and four times in another's abstract only.
    assert Paper.objects.get(arxiv_id=found("diffusion")[0]).title_en.startswith("Sampling is as easy")
    assert "2209.10655" in found("gated attention")
    assert client.get("/search/", {"q": "arXiv:2209.10655"})["Location"] == mega.get_absolute_url()
