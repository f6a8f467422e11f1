"""models.PaperCount: the counts list pages show, kept by database triggers. They must equal what
counting the papers gives after every kind of change, and the pages that read them must show it."""

import pytest
from django.db import connection
from django.http import QueryDict

from papers import curation
from papers.filters import PaperFilter
from papers.importing import import_digest
from papers.models import NEWEST_FIRST, Area, Institution, Paper, PaperCount

from .builders import Entry, daily_digest
from .pages import facet_counts, titles
from .test_page_cache import CHANGES, two_digests  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def counted_from_the_papers():
    """(institution id or 0, area id or 0) → published papers, counted one paper at a time."""
    expected = {}
    for paper in Paper.objects.published().prefetch_related("affiliations"):
        area = paper.area_id or 0
        for institution in {0, *(a.institution_id for a in paper.affiliations.all())}:
            expected[(institution, area)] = expected.get((institution, area), 0) + 1
    return expected


def stored_counts():
    return {(row.institution_id, row.area_id): row.n for row in PaperCount.objects.all() if row.n}


def _raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _move_area(arxiv_id, code):
    paper = Paper.objects.get(arxiv_id=arxiv_id)
    paper.area = Area.objects.get(code=code)
    paper.save()


def _hide_and_publish_again(arxiv_id):
    papers = Paper.objects.filter(arxiv_id=arxiv_id)
    curation.set_published(papers=papers, published=False)
    curation.set_published(papers=papers, published=True)


MORE_CHANGES = {
    "hidden then published again": lambda: _hide_and_publish_again("2301.00001"),
    "area changed by a curator": lambda: _move_area("2301.00001", "RO"),
    "area removed behind the ORM": lambda: _raw(
        "UPDATE papers_paper SET area_id = NULL WHERE arxiv_id = %s", ["2301.00002"]
    ),
    "institutions edited": lambda: curation.set_paper_institutions(
        paper=Paper.objects.get(arxiv_id="2301.00002"),
        institutions=[Institution.objects.get(name="CMU"), Institution.objects.create(name="New Lab")],
    ),
    "paper deleted": lambda: Paper.objects.get(arxiv_id="2301.00003").delete(),
    "affiliation moved behind the ORM": lambda: _raw(
        "UPDATE papers_affiliation SET institution_id = (SELECT id FROM papers_institution WHERE name = %s)",
        ["MIT"],
    ),
    "a paper with several institutions imported": lambda: import_digest(
        daily_digest([Entry("Joint work", "2301.00010", area="CV", institutions=["CMU", "MIT", "ETH"])]),
        name="2025-01-04.txt",
    ),
}


@pytest.mark.usefixtures("two_digests")
@pytest.mark.parametrize("change", [*CHANGES, *MORE_CHANGES])
def test_the_counts_equal_the_papers_after_every_kind_of_change(change):
    assert stored_counts() == counted_from_the_papers()
    make = CHANGES[change][0] if change in CHANGES else MORE_CHANGES[change]
    make()
    assert stored_counts() == counted_from_the_papers(), change


def selection_urls():
    cmu = Institution.objects.get(name="CMU").slug
    return ["/", "/?area=CV", "/?area=CV&area=RO", f"/institutions/{cmu}/", f"/?area=CV&institution={cmu}",
            "/areas/RO/", f"/?area=RO&institution={cmu}"]  # fmt: skip


@pytest.mark.usefixtures("two_digests")
def test_list_pages_show_the_counts_of_their_papers(client):
    curation.set_published(papers=Paper.objects.filter(arxiv_id="2301.00003"), published=False)
    import_digest(
        daily_digest([Entry("Joint work", "2301.00010", area="CV", institutions=["CMU", "MIT"])]),
        name="2025-01-04.txt",
    )
    for url in selection_urls():
        response = client.get(url)
        path, _, query = url.partition("?")
        data = QueryDict(query, mutable=True)
        if path.startswith("/institutions/"):
            data["institution"] = path.split("/")[2]
        if path.startswith("/areas/"):
            data["area"] = path.split("/")[2]
        papers = PaperFilter(data, queryset=Paper.objects.published()).qs
        assert response.context["page"].paginator.count == papers.count(), url
        assert titles(response) == [p.title_en for p in papers.order_by(*NEWEST_FIRST)], url
        data.pop("area", None)  # area facets count the selection without its area filter
        without_area = PaperFilter(data, queryset=Paper.objects.published()).qs
        areas = {a.code: without_area.filter(area=a).count() for a in Area.objects.all()}
        assert facet_counts(response) == areas, url
        expected = {}
        for institution in Institution.objects.all():
            if n := papers.filter(affiliations__institution=institution).count():
                expected[institution.name] = n
        assert facet_counts(response, "institution_facets") == expected, url


def test_a_large_institution_lists_its_papers_in_order_on_every_page(client):
    # "Big" is on two papers in three: early pages walk the list's order, later ones sort its papers.
    names = ["Small", "Big", "Big"]
    entries = [Entry(f"P{i:03d}", f"2302.{i:05d}", institutions=[names[i % 3]]) for i in range(90)]
    import_digest(daily_digest(entries), name="2025-02-01.txt")
    big = Institution.objects.get(name="Big")
    papers = Paper.objects.filter(affiliations__institution=big).order_by(*NEWEST_FIRST)
    expected = [paper.title_en for paper in papers]
    shown = []
    for number in (1, 2, 3):
        shown += titles(client.get(f"/institutions/{big.slug}/", {"page": number}))
    assert shown == expected and len(expected) == 60
    small = Institution.objects.get(name="Small")
    assert (
        titles(client.get(f"/institutions/{small.slug}/"))
        == [
            p.title_en for p in Paper.objects.filter(affiliations__institution=small).order_by(*NEWEST_FIRST)
        ][:25]
    )


@pytest.mark.django_db(transaction=True)
def test_the_counts_are_right_after_a_flush_of_every_table():
    """A flush (between transactional tests) empties the tables in any order, which the triggers
    count as they go; the counts are made again after it (papers.signals)."""
    assert not stored_counts()
    import_digest(daily_digest([Entry("After a flush", "2303.00001", institutions=["CMU"])]), name="x.txt")
    assert stored_counts() == counted_from_the_papers() and stored_counts()


def test_every_page_lists_the_next_papers_in_order_read_or_kept(client, settings):
    settings.PORTAL_PAGE_CACHE = False  # the second round: each page's (id, day)s kept (listing.newest_page)
    entries = [Entry(f"P{i:03d}", f"2304.{i:05d}") for i in range(77)]  # pages of 25, 25, 27 (orphans)
    import_digest(daily_digest(entries), name="2025-03-01.txt")
    expected = [paper.title_en for paper in Paper.objects.published().order_by(*NEWEST_FIRST)]
    for _round in ("read", "kept"):
        shown = [titles(client.get("/", {"page": number})) for number in (1, 2, 3)]
        assert [len(page) for page in shown] == [25, 25, 27]
        assert sum(shown, []) == expected
