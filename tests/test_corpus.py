"""The synthetic corpus (`manage.py generate_corpus`, papers.corpus) that benchmarks measure pages on."""

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from papers import search
from papers.corpus import fake, vocabulary, writing
from papers.models import (
    TEXT_FIELDS,
    Affiliation,
    Area,
    Author,
    Authorship,
    Digest,
    DigestEntry,
    Institution,
    Paper,
    SearchEntry,
)

pytestmark = pytest.mark.django_db


def generate(*args):
    out = io.StringIO()
    call_command("generate_corpus", *args, stdout=out)
    return out.getvalue()


def snapshot():
    """What a corpus is, row by row, without its ids."""
    papers = Paper.objects.newest_first()
    text = ("arxiv_id", "area__code", *TEXT_FIELDS, "listed_on", "listed_position", "is_published")
    return {
        "papers": list(papers.values_list(*text)),
        "authors": [
            [a.name for a in p.ordered_authors()] for p in papers.prefetch_related("authorships__author")
        ],
        "institutions": [
            p.ordered_institutions() for p in papers.prefetch_related("affiliations__institution")
        ],
        "digests": list(Digest.objects.values_list("name", "published_on", "entry_count", "summary_items")),
    }


def index_rows(*, ids=True):
    columns = ("paper_id", "title", "people", "body") if ids else ("title", "people", "body")
    return sorted(SearchEntry.objects.values_list(*columns))


@pytest.fixture
def corpus():
    return generate("--papers", "300", "--seed", "5")


def test_counts_and_final_line(corpus):
    (line,) = corpus.splitlines()  # no progress line under 10,000 papers
    assert re.fullmatch(
        r"generated 300 papers in 3 digests \([\d,]+ new authors, 344 new institutions\) in [\d.]+s", line
    )
    assert Paper.objects.count() == DigestEntry.objects.count() == SearchEntry.objects.count() == 300
    assert Digest.objects.count() == 3
    assert list(Digest.objects.order_by("published_on").values_list("name", "format", "entry_count")) == [
        ("synthetic-2019-01-01.txt", "daily", 100),
        ("synthetic-2019-01-02.txt", "daily", 100),
        ("synthetic-2019-01-03.txt", "stream", 100),
    ]
    # A pool of authors, several a paper; a few hundred institutions, aliases merged into kept rows.
    per_paper = Authorship.objects.values("paper").annotate(n=Count("id")).values_list("n", flat=True)
    assert min(per_paper) >= 2 and Author.objects.count() < Authorship.objects.count()
    assert Institution.objects.canonical().count() == len(vocabulary.INSTITUTIONS) == 316
    aliases = Institution.objects.filter(merged_into__isnull=False)
    assert aliases.count() == 28
    assert Institution.objects.get(name="清华大学").merged_into == Institution.objects.get(
        name="Tsinghua University"
    )
    assert not Affiliation.objects.filter(institution__merged_into__isnull=False).exists()


def test_every_area_and_abstract_only_papers(corpus):
    assert set(Paper.objects.values_list("area__code", flat=True).distinct()) == {*vocabulary.AREAS, None}
    assert set(Area.objects.values_list("code", flat=True)) == set(vocabulary.AREAS)  # none created
    untitled = Paper.objects.filter(title_en=None, title_zh=None)
    assert untitled.count() == 100  # the abstract stream of day 3
    assert untitled.filter(abstract_zh__isnull=False, abstract_zh_source="machine_translation").exists()
    assert untitled.filter(abstract_en__isnull=False, abstract_en_source="digest").exists()
    assert not untitled.filter(arxiv_id__isnull=False).exists()
    # The other list: titles, people and an arXiv id, no text.
    other = DigestEntry.objects.filter(section="other")
    assert other.count() == 2 * (fake.DIGEST_SIZE - fake.MAIN_ENTRIES)
    assert not other.filter(summary_zh__isnull=False).exists()


def test_listing_columns_as_the_importer_sets_them(corpus):
    for paper in Paper.objects.prefetch_related("entries__digest"):
        (entry,) = paper.entries.all()
        assert (paper.listed_digest_id, paper.listed_on, paper.listed_position) == (
            entry.digest_id,
            entry.digest.published_on,
            entry.position,
        )
        assert paper.title_en == entry.title_en and paper.abstract_en == entry.abstract_en


def test_index_rows_are_what_a_rebuild_writes(corpus):
    written = index_rows()
    search.reindex_all()
    assert index_rows() == written


def test_searchable_in_both_languages(corpus):
    assert search.papers("diffusion").exists()
    assert search.papers("扩散模型").exists()
    # An alias's name finds the papers of the row it was merged into, as after a curator's merge.
    assert search.papers("清华大学").count() == search.papers('"Tsinghua University"').count() > 0


def test_home_and_institution_pages_render(client, corpus):
    response = client.get("/")
    assert response.status_code == 200
    assert response.text.count('class="paper-card"') == 25
    top = Institution.objects.canonical().annotate(n=Count("affiliations")).order_by("-n").first()
    response = client.get(top.get_absolute_url())
    assert response.status_code == 200
    assert top.name in response.text
    alias = Institution.objects.get(name="Tsinghua Univ.")
    assert client.get(f"/institutions/{alias.slug}/").status_code == 301


def test_same_seed_same_papers_and_append_continues_it():
    generate("--papers", "300", "--seed", "5")
    whole = snapshot()
    Paper.objects.all().delete()
    Digest.objects.all().delete()
    generate("--papers", "200", "--seed", "5")
    out = generate("--papers", "100", "--seed", "5", "--append")
    assert snapshot() == whole
    assert "0 new institutions" in out  # the pool is reused, not written twice


def test_another_seed_other_papers():
    titles = [e.title_en for e in fake.fake_digest(5, 0).entries]
    assert titles == [e.title_en for e in fake.fake_digest(5, 0).entries]
    assert titles != [e.title_en for e in fake.fake_digest(6, 0).entries]
    # A digest's first entries do not depend on how many follow.
    assert fake.fake_digest(5, 0, count=10).entries == fake.fake_digest(5, 0).entries[:10]


def test_append_after_a_partial_digest_starts_the_next_day():
    generate("--papers", "150")
    generate("--papers", "30", "--append")
    assert list(Digest.objects.order_by("published_on").values_list("entry_count", flat=True)) == [
        100,
        50,
        30,
    ]
    assert Paper.objects.count() == 180


def test_refuses_a_database_with_papers(seeded):
    before = Paper.objects.count()
    with pytest.raises(CommandError, match=f"already has {before} papers.*--append"):
        generate("--papers", "100")
    assert (
        Paper.objects.count() == before and not Digest.objects.filter(name__startswith="synthetic").exists()
    )


def test_append_to_imported_papers_reuses_their_people(seeded):
    before = Paper.objects.count()
    institutions = {i.normalized_name: i.pk for i in Institution.objects.all()}
    generate("--papers", "100", "--append")
    assert Paper.objects.count() == before + 100
    # Rows the import made are kept, not written again under another slug.
    for key, pk in institutions.items():
        assert Institution.objects.get(normalized_name=key).pk == pk
    assert search.papers("diffusion").filter(listed_digest__name__startswith="synthetic").exists()


def test_progress_every_so_many_papers(monkeypatch):
    monkeypatch.setattr(writing, "PROGRESS_EVERY", 100)
    monkeypatch.setattr(writing, "PREPARE_DAYS", 1)  # a transaction a day, then
    lines = generate("--papers", "250").splitlines()
    assert [line.split(" (")[0] for line in lines[:-1]] == ["  100 papers", "  200 papers"]
    assert lines[-1].startswith("generated 250 papers in 3 digests")


def test_a_second_process_makes_the_same_corpus():
    writing.generate(300, seed=5, parallel=True)
    made_aside = snapshot(), index_rows(ids=False)
    Paper.objects.all().delete()
    Digest.objects.all().delete()
    writing.generate(300, seed=5, parallel=False)
    assert (snapshot(), index_rows(ids=False)) == made_aside


def test_refuses_digests_dated_after_tomorrow():
    with pytest.raises(writing.CorpusError, match="after tomorrow"):
        writing.generate(10_000_000)
    assert not Paper.objects.exists()
