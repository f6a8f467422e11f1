"""Institutions as bilingual entities: the shipped reference table, loading it, the importer mapping
spellings through it, kind and country filters on pages and feeds, search by Chinese and short
names, and a curator's decisions winning over every later load."""

import io

import feedparser
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from papers import institutions, reference
from papers.importing import import_digest, import_paths
from papers.models import Institution, Paper, ReferenceLoad
from papers.pagecache import site_version

from .builders import Entry, daily_digest
from .conftest import SEEDS
from .pages import titles

TABLE = reference.load()


def load(table=TABLE):
    return institutions.load_reference(table)


def kept(name):
    """The kept institution a spelling stands for."""
    return Institution.objects.get(normalized_name=name.casefold()).canonical()


def feed_titles(client, url):
    feed = feedparser.parse(client.get(url).content)
    assert not feed.bozo, feed.bozo_exception
    return {entry.title for entry in feed.entries}


def table(text):
    return reference.parse(text.encode(), name="test.toml")


SMALL = (
    '[countries]\nUS = { en = "United States", zh = "美国" }\n[institutions]\n'
    'cmu = { name = "Carnegie Mellon University", zh = "卡内基梅隆大学", short = ["CMU"], '
    'kind = "university", country = "US" }\n'
)


# --- the shipped table -------------------------------------------------------------------------


def test_the_shipped_table_has_a_few_hundred_institutions_with_both_names_kind_and_country():
    assert len(TABLE.entries) >= 250
    assert all(
        e.name and e.name_zh and e.kind in reference.KINDS and e.country in TABLE.countries
        for e in TABLE.entries
    )
    spelled = TABLE.by_spelling()
    for first, second in [
        ("CMU", "Carnegie Mellon University"),
        ("Meta AI", "Meta AI Research"),
        ("FAIR", "Meta AI Research"),
        ("UC Berkeley", "University of California, Berkeley"),
        ("UT Austin", "The University of Texas at Austin"),
        ("THU", "Tsinghua University"),
    ]:
        assert spelled[first.casefold()] is spelled[second.casefold()], (first, second)


def test_the_shipped_table_knows_every_institution_the_seed_digests_print(db):
    for report in import_paths([SEEDS]):
        assert not report.failed
    result = load()
    assert result.stored == result.matched and result.unmatched == []


@pytest.mark.parametrize(
    "text,message",
    [
        ("[institutions\n", "test.toml: Expected ']'"),
        (SMALL.replace('kind = "university"', 'kind = "school"'), "institution 'cmu': kind is one of"),
        (SMALL.replace('country = "US"', 'country = "XX"'), "country 'XX' is not listed"),
        (SMALL.replace('zh = "卡内基梅隆大学", ', ""), "needs a name and a zh name"),
        (
            SMALL + 'cmu2 = { name = "C.M.U.", zh = "卡梅", also = ["cmu"], kind = "lab", country = "US" }\n',
            "“cmu” is already a spelling of 'cmu'",
        ),
        (SMALL.replace("卡内基梅隆大学", "卡内基\\u001b梅隆"), "needs a name and a zh name"),
        (SMALL.replace('short = ["CMU"]', 'short = "CMU"'), "short is a list of names"),
    ],
)
def test_a_bad_table_is_refused_naming_the_file_and_the_entry(text, message):
    with pytest.raises(reference.ReferenceTableError) as error:
        table(text)
    assert message in str(error.value)


def test_the_command_refuses_a_bad_file_and_changes_nothing(seeded, tmp_path):
    bad = tmp_path / "institutions.toml"
    bad.write_text(SMALL.replace('kind = "university"', 'kind = "school"'), encoding="utf-8")
    names = sorted(Institution.objects.values_list("name", flat=True))
    with pytest.raises(CommandError, match=f"{bad}: institution 'cmu': kind is one of .*nothing was changed"):
        call_command("load_institutions", str(bad))
    assert sorted(Institution.objects.values_list("name", flat=True)) == names
    assert not ReferenceLoad.objects.exists()


# --- loading it and importing through it ----------------------------------------------------------


OTHER_SPELLINGS = daily_digest(
    [
        Entry(
            "Robots at Carnegie Mellon", "2402.00001", area="RO", institutions=["Carnegie Mellon University"]
        ),
        Entry("Meta's models", "2402.00002", institutions=["FAIR", "University of California, Berkeley"]),
        Entry("Texas vision", "2402.00003", area="CV", institutions=["University of Texas at Austin"]),
        Entry("Beijing language", "2402.00004", area="CL", institutions=["THU", "Peking University"]),
    ]
)


def test_after_a_load_every_spelling_of_the_table_maps_to_one_institution(seeded):
    load()
    import_digest(OTHER_SPELLINGS, name="005_spellings.txt")
    for first, second in [
        ("CMU", "Carnegie Mellon University"),
        ("Meta AI Research", "FAIR"),
        ("UC Berkeley", "University of California, Berkeley"),
        ("The University of Texas at Austin", "University of Texas at Austin"),
    ]:
        assert kept(first) == kept(second), (first, second)
    cmu = kept("CMU")
    assert (cmu.name, cmu.name_zh, cmu.kind, cmu.country) == (
        "Carnegie Mellon University", "卡内基梅隆大学", "university", "US"
    )  # fmt: skip
    tsinghua = kept("THU")  # a name first seen after the load: made from the table's entry
    assert (tsinghua.name, tsinghua.name_zh, tsinghua.reference_key) == (
        "Tsinghua University",
        "清华大学",
        "tsinghua",
    )
    assert Paper.objects.get(arxiv_id="2402.00004").ordered_institutions() == [
        tsinghua,
        kept("Peking University"),
    ]


def test_a_load_merges_the_spellings_imported_before_it_and_reports_what_it_matched(seeded):
    import_digest(OTHER_SPELLINGS, name="005_spellings.txt")
    import_digest(
        daily_digest([Entry("A local paper", "2402.00009", institutions=["Nowhere Institute"])]),
        name="006.txt",
    )
    assert kept("CMU") != kept("Carnegie Mellon University")
    out = io.StringIO()
    call_command("load_institutions", stdout=out)
    output = out.getvalue()
    assert kept("CMU") == kept("Carnegie Mellon University")
    assert kept("FAIR") == kept("Meta AI Research") and kept("Meta AI Research").name == "Meta AI"
    assert "merged 4 spellings" in output
    assert "1 unmatched, most papers first:\n       1  Nowhere Institute" in output
    # Old links of a merged spelling lead to the kept one.
    response = Client().get("/institutions/cmu/")
    assert response.status_code == 301 and response["Location"] == kept("CMU").get_absolute_url()


def test_loading_the_same_table_again_changes_nothing(seeded):
    load()
    version = site_version()
    result = load()
    assert (result.merged, result.updated) == (0, 0)
    assert site_version() == version  # no page or feed goes stale for nothing


# --- filters, facets, feeds, search and display ------------------------------------------------


@pytest.fixture
def loaded(seeded):
    load()
    import_digest(OTHER_SPELLINGS, name="005_spellings.txt")


def papers_with(**lookup):
    return set(
        Paper.objects.published()
        .filter(affiliations__institution__in=Institution.objects.filter(**lookup))
        .values_list("title_en", flat=True)
    )


@pytest.mark.parametrize(
    "param,lookup", [("country=CN", {"country": "CN"}), ("kind=company", {"kind": "company"})]
)
def test_kind_and_country_filter_exactly_on_pages_and_feeds(loaded, client, param, lookup):
    expected = papers_with(**lookup)
    assert expected and expected != set(Paper.objects.values_list("title_en", flat=True))
    response = client.get(f"/?{param}")
    assert set(titles(response)) == expected
    assert {t.split(" / ")[0] for t in feed_titles(client, f"/feeds/latest.rss?{param}")} == expected
    in_cl = {t for t in expected if Paper.objects.get(title_en=t).area.code == "CL"}
    assert {t.split(" / ")[0] for t in feed_titles(client, f"/feeds/latest.atom?area=CL&{param}")} == in_cl


def test_kind_and_country_are_facets_with_counts_that_combine_with_area(loaded, client):
    response = client.get("/?area=CL")
    kinds = {f.value: f.n for f in response.context["kind_facets"]}
    countries = {f.value: f.n for f in response.context["country_facets"]}
    assert countries["CN"] == len(
        {t for t in papers_with(country="CN") if Paper.objects.get(title_en=t).area.code == "CL"}
    )
    assert kinds["university"] >= 1
    china = next(f for f in response.context["country_facets"] if f.value == "CN")
    assert china.label == "China" and china.toggle_url == "/?area=CL&country=CN"
    assert "中国" in client.get("/?area=CL", HTTP_ACCEPT_LANGUAGE="zh-CN").text
    # Nonsense is ignored with a message, never a 500.
    response = client.get("/?kind=school&country=ZZ")
    assert response.status_code == 200 and len(titles(response)) == min(25, Paper.objects.count())
    assert {"kind", "country"} <= set(response.context["problems"])


@pytest.mark.parametrize(
    "query,title",
    [("清华", "Beijing language"), ("卡内基", "Robots at Carnegie Mellon"), ("THU", "Beijing language")],
)
def test_chinese_and_short_names_find_the_institutions_papers(loaded, client, query, title):
    found = titles(client.get("/search/", {"q": query}))
    assert title in found
    assert "Meta's models" not in found


def test_pages_show_the_name_in_the_interface_language_and_the_other_beside_it(loaded, client):
    cmu = kept("CMU")
    english = client.get(cmu.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").text
    chinese = client.get(cmu.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN").text
    assert english.index("Carnegie Mellon University") < english.index("卡内基梅隆大学")
    assert chinese.index('<span lang="zh-Hans">卡内基梅隆大学</span>') < chinese.index(
        "Carnegie Mellon University</span>"
    )
    assert "美国" in chinese and "United States" in english  # kind and country under the heading
    paper = Paper.objects.get(arxiv_id="2402.00001")
    assert "卡内基梅隆大学" in client.get(paper.get_absolute_url()).text
    assert "卡内基梅隆大学" in client.get("/feeds/latest.rss").text


# --- a curator's decisions win ------------------------------------------------------------------


def test_a_curators_edit_and_merge_survive_every_later_load(loaded, admin_client):
    cmu = kept("CMU")
    url = reverse("admin:papers_institution_change", args=[cmu.pk])
    form = {
        "name": cmu.name,
        "name_zh": "卡耐基梅隆大学",
        "short_names": "CMU",
        "kind": "university",
        "country": "US",
    }
    assert admin_client.post(url, form).status_code == 302
    # A curator merges two institutions the table lists apart.
    google, deepmind = kept("Google Research"), kept("DeepMind")
    from papers import curation

    curation.merge_institutions(keep=deepmind, others=[google])
    result = load()
    cmu.refresh_from_db()
    assert cmu.name_zh == "卡耐基梅隆大学" and cmu.details_curated
    assert kept("Google Research") == kept("DeepMind")  # not split again
    assert any("Google Research" in c and "Google DeepMind" in c for c in result.conflicts)
    assert "卡耐基梅隆大学" in Client().get(cmu.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN").text


def test_a_load_that_renames_an_institution_shows_on_its_page_and_feed_at_once(seeded):
    client = Client()
    feed_url = "/institutions/cmu/feed.rss"  # a subscriber's URL from before the load
    first = client.get(feed_url)
    assert first.status_code == 200 and "卡内基梅隆大学" not in first.text
    load()
    again = client.get(
        feed_url, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]
    )
    assert again.status_code == 200 and "卡内基梅隆大学" in again.text  # never a 304 with the old names
    assert "卡内基梅隆大学" in client.get(kept("CMU").get_absolute_url(), follow=True).text


def test_a_table_cannot_put_markup_on_a_page(seeded):
    hostile = SMALL.replace("卡内基梅隆大学", "<script>alert(1)</script>")
    load(table(hostile))
    text = Client().get(kept("CMU").get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN").text
    assert "<script>alert(1)</script>" not in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text


def test_a_load_gives_the_tables_name_to_a_row_whose_alias_has_it(seeded):
    """ "CMU" came first and "Carnegie Mellon University" was merged into it: the merge stays, and the
    kept row is now the one with the table's English name (the old slug still leads there)."""
    from papers import curation

    import_digest(OTHER_SPELLINGS, name="005_spellings.txt")
    curation.merge_institutions(keep=kept("CMU"), others=[kept("Carnegie Mellon University")])
    result = load()
    cmu = kept("CMU")
    assert cmu == kept("Carnegie Mellon University") and cmu.name == "Carnegie Mellon University"
    assert result.conflicts == []
    paper = Paper.objects.get(arxiv_id="2402.00001")
    assert [i.name for i in paper.ordered_institutions()] == ["Carnegie Mellon University"]
    assert Client().get("/institutions/cmu/")["Location"] == cmu.get_absolute_url()


@pytest.mark.parametrize(
    "value", ["carnegie-mellon-university", "Carnegie Mellon University", "卡内基梅隆大学", "CMU", "cmu"]
)
def test_any_name_of_an_institution_is_a_filter(loaded, client, value):
    expected = papers_with(pk=kept("CMU").pk)
    response = client.get("/", {"institution": value})
    assert set(titles(response)) == expected and response.context["problems"] == {}
    assert response.context["query"]["institution"] == ["carnegie-mellon-university"]
    assert {
        t.split(" / ")[0] for t in feed_titles(client, f"/feeds/latest.rss?institution={value}")
    } == expected


def test_a_curators_rename_and_merge_of_a_loaded_institution_survive_a_reload(loaded, admin_client):
    """A curator renamed Carnegie Mellon University, then merged it into a row of their own: the
    table's key moves with the merge, and nothing is split or renamed back."""
    from papers import curation

    digest = daily_digest([Entry("Pittsburgh robots", "2402.00010", institutions=["Carnegie Mellon Univ"])])
    import_digest(digest, name="007.txt")
    cmu = kept("CMU")
    url = reverse("admin:papers_institution_change", args=[cmu.pk])
    form = {
        "name": "CMU Pittsburgh",
        "name_zh": cmu.name_zh,
        "short_names": "CMU",
        "kind": "university",
        "country": "US",
    }
    assert admin_client.post(url, form).status_code == 302
    curation.merge_institutions(keep=kept("Carnegie Mellon Univ"), others=[kept("CMU Pittsburgh")])
    load()
    cmu = kept("CMU")
    assert cmu == kept("Carnegie Mellon Univ") == kept("CMU Pittsburgh") == kept("Carnegie Mellon University")
    assert Institution.objects.filter(reference_key="cmu").get() == cmu
    assert set(papers_with(pk=cmu.pk)) >= {"Pittsburgh robots", "Robots at Carnegie Mellon"}
