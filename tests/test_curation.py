"""The curation services (papers.curation), the Curators group and the create_curator command."""

import datetime
import io

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from papers import curation, search
from papers.importing import import_digest
from papers.models import Affiliation, Author, Digest, Institution, Paper, SearchEntry, Source, kept_id

from .builders import Entry, daily_digest, stream_digest

pytestmark = pytest.mark.django_db


def institutions_of(paper):
    return list(paper.affiliations.order_by("position").values_list("institution__name", "position"))


def authors_of(paper):
    return [a.name for a in Paper.objects.get(pk=paper.pk).ordered_authors()]


def test_edit_marks_only_the_changed_text_fields_as_the_curators():
    import_digest(daily_digest([Entry("Typo titel", "2301.00001")]), name="d1.txt")
    paper = Paper.objects.get()
    paper.title_en, paper.summary_zh = "Fixed title", "   "

    curation.save_paper_edit(paper=paper, changed_fields=["title_en", "summary_zh", "is_featured"])

    paper.refresh_from_db()
    assert (paper.title_en, paper.title_en_source) == ("Fixed title", Source.CURATOR)
    # A cleared text is stored as NULL and stays cleared: the curator decided it.
    assert (paper.summary_zh, paper.summary_zh_source) == (None, Source.CURATOR)
    assert paper.title_zh_source == paper.abstract_en_source == Source.DIGEST
    assert paper.authors_source == Source.DIGEST


def test_curated_author_list_is_renumbered_canonical_and_survives_imports():
    import_digest(daily_digest([Entry("P", "2301.00002", authors=["Ann", "Bob", "Cy"])]), name="d1.txt")
    paper = Paper.objects.get()
    ann, bob, cy = (Author.objects.get(name=n) for n in ("Ann", "Bob", "Cy"))
    alias = Author.objects.create(name="A. Ann", merged_into=ann)
    before = paper.updated_at

    curation.set_paper_authors(paper=paper, authors=[cy, alias, bob])

    paper.refresh_from_db()
    assert authors_of(paper) == ["Cy", "Ann", "Bob"]
    assert list(paper.authorships.values_list("position", flat=True)) == [1, 2, 3]
    assert paper.authors_source == Source.CURATOR and paper.institutions_source == Source.DIGEST
    assert paper.updated_at > before

    import_digest(daily_digest([Entry("P", "2301.00002", authors=["Zed"])]), name="d2.txt")
    assert authors_of(paper) == ["Cy", "Ann", "Bob"]


def test_hide_and_feature_touch_only_papers_that_change_and_log_them(admin_user):
    import_digest(daily_digest([Entry("One", "2301.00003"), Entry("Two", "2301.00004")]), name="d.txt")
    one, two = Paper.objects.order_by("arxiv_id")
    Paper.objects.filter(pk=two.pk).update(is_published=False)
    stamps = dict(Paper.objects.values_list("pk", "updated_at"))

    assert curation.set_published(papers=Paper.objects.all(), published=False, user=admin_user) == 1
    assert curation.set_featured(papers=Paper.objects.filter(pk=two.pk), featured=True) == 1

    one.refresh_from_db()
    two.refresh_from_db()
    assert not one.is_published and one.updated_at > stamps[one.pk]
    assert two.is_featured and two.updated_at > stamps[two.pk]
    log = LogEntry.objects.get()
    assert (log.object_id, log.action_flag, log.change_message) == (str(one.pk), CHANGE, "Hidden")
    assert not Paper.objects.published().exists()


def test_merge_moves_every_paper_once_and_keeps_the_lists_provenance(admin_user):
    import_digest(
        daily_digest(
            [
                Entry("P1", "2301.00011", institutions=["CMU", "MIT"]),
                Entry("P2", "2301.00012", institutions=["Carnegie Mellon University", "Stanford", "CMU"]),
                Entry("P3", "2301.00013", institutions=["Stanford"]),
            ]
        ),
        name="d1.txt",
    )
    kept = Institution.objects.get(name="Carnegie Mellon University")
    cmu = Institution.objects.get(name="CMU")
    old_alias = Institution.objects.create(name="C.M.U.", merged_into=cmu)
    p1, p2, p3 = Paper.objects.order_by("arxiv_id")
    stamps = dict(Paper.objects.values_list("pk", "updated_at"))

    result = curation.merge_institutions(keep=kept, others=[cmu], user=admin_user)

    assert result.papers == 2 and result.merged == [cmu]
    assert institutions_of(p1) == [("Carnegie Mellon University", 1), ("MIT", 2)]
    assert institutions_of(p2) == [("Carnegie Mellon University", 1), ("Stanford", 2)]
    assert institutions_of(p3) == [("Stanford", 1)]
    cmu.refresh_from_db()
    old_alias.refresh_from_db()
    assert cmu.merged_into == kept and old_alias.merged_into == kept
    assert Institution.objects.canonical().filter(name__in=["CMU", "C.M.U."]).count() == 0
    after = dict(Paper.objects.values_list("pk", "updated_at"))
    assert after[p1.pk] > stamps[p1.pk] and after[p2.pk] > stamps[p2.pk] and after[p3.pk] == stamps[p3.pk]
    assert set(Paper.objects.values_list("institutions_source", flat=True)) == {Source.DIGEST}
    assert LogEntry.objects.filter(object_id=str(kept.pk), change_message__contains="“CMU”").exists()
    assert LogEntry.objects.filter(
        object_id=str(cmu.pk), change_message="Merged into “Carnegie Mellon University”"
    )

    # Later imports map both old spellings to the kept one.
    import_digest(
        daily_digest([Entry("P4", "2301.00014", institutions=["cmu", "C.M.U.", "MIT"])]), name="d2.txt"
    )
    p4 = Paper.objects.get(arxiv_id="2301.00014")
    assert institutions_of(p4) == [("Carnegie Mellon University", 1), ("MIT", 2)]


def test_merge_authors_and_refuse_merging_an_alias():
    import_digest(
        daily_digest(
            [
                Entry("P1", "2301.00021", authors=["Y. LeCun", "G. Hinton"]),
                Entry("P2", "2301.00022", authors=["Y. LeCun", "Yann LeCun"]),
            ]
        ),
        name="d.txt",
    )
    short, full = Author.objects.get(name="Y. LeCun"), Author.objects.get(name="Yann LeCun")
    p1, p2 = Paper.objects.order_by("arxiv_id")

    curation.merge_authors(keep=full, others=[short])

    assert authors_of(p1) == ["Yann LeCun", "G. Hinton"]
    # Unlike institutions, an author list stays as written, as the importer keeps it.
    assert authors_of(p2) == ["Yann LeCun", "Yann LeCun"]
    short.refresh_from_db()
    with pytest.raises(ValueError, match="canonical"):
        curation.merge_authors(keep=Author.objects.get(name="G. Hinton"), others=[short])


def test_rename_keeps_the_old_spelling_as_an_alias_with_the_old_slug():
    import_digest(
        daily_digest([Entry("P1", "2301.00031", institutions=["Univeristy of Tokyo"])]), name="d1.txt"
    )
    inst = Institution.objects.get()
    old_slug = inst.slug

    alias = curation.rename_entity(entity=inst, name="University of Tokyo")

    inst.refresh_from_db()
    assert inst.name == "University of Tokyo" and inst.slug != old_slug
    assert (alias.name, alias.slug, alias.merged_into) == ("Univeristy of Tokyo", old_slug, inst)
    assert curation.rename_entity(entity=inst, name="university of  TOKYO") is None  # same spelling
    import_digest(
        daily_digest([Entry("P2", "2301.00032", institutions=["Univeristy of Tokyo"])]), name="d2.txt"
    )
    assert institutions_of(Paper.objects.get(arxiv_id="2301.00032")) == [("university of TOKYO", 1)]


def test_merges_flatten_chains_so_every_alias_points_at_the_kept_row(client):
    """A into B, then B into C: A points straight at C, not at B. Feeds look an old slug up one step
    deep (feeds.kept_id_query), which is right only because of this."""
    import_digest(
        daily_digest(
            [Entry(f"Paper at {n}", f"2301.0005{i}", institutions=[n]) for i, n in enumerate("ABC")]
        ),
        name="d.txt",
    )
    a, b, c = (Institution.objects.get(name=n) for n in "ABC")

    curation.merge_institutions(keep=b, others=[a])
    curation.merge_institutions(keep=c, others=[b])

    assert dict(Institution.objects.values_list("name", "merged_into__name")) == {
        "A": "C",
        "B": "C",
        "C": None,
    }
    feed = client.get(f"/institutions/{a.slug}/feed.rss").content.decode()
    assert all(f"Paper at {n}" in feed for n in "ABC")
    assert client.get(a.get_absolute_url())["Location"] == c.get_absolute_url()


def test_an_alias_is_not_renamed():
    """Its new alias would be an alias of an alias: a chain, which merges never make."""
    kept = Institution.objects.create(name="University of Tokyo")
    alias = Institution.objects.create(name="Univ. Tokyo", merged_into=kept)
    with pytest.raises(ValueError, match="rename the row it was merged into"):
        curation.rename_entity(entity=alias, name="U Tokyo")
    assert Institution.objects.filter(merged_into=alias).count() == 0


def test_kept_id_follows_merges_to_the_kept_row_and_stops_on_a_cycle():
    assert kept_id(1, {}.get) == 1
    assert kept_id(1, {1: 2}.get) == 2
    assert kept_id(1, {1: 2, 2: 3}.get) == 3  # a chain, as only hand edits make
    assert kept_id(1, {1: 2, 2: 1}.get) == 1  # a cycle: stops where it began, never hangs


def test_canonical_follows_the_same_rule_through_the_rows(django_assert_num_queries):
    c = Institution.objects.create(name="C")
    b = Institution.objects.create(name="B", merged_into=c)
    a = Institution.objects.create(name="A", merged_into=b)  # a chain, as only hand edits make
    with django_assert_num_queries(0):
        assert c.canonical() is c
    assert Institution.objects.get(pk=a.pk).canonical() == c
    Institution.objects.filter(pk=c.pk).update(merged_into=a)  # and a cycle
    assert Institution.objects.get(pk=a.pk).canonical() == a


def test_import_digests_logs_each_imported_digest_and_dry_run_writes_nothing(admin_user):
    files = [("a.txt", daily_digest([Entry("P", "2301.00041")])), ("b.txt", b"not a digest\n")]

    preview = curation.import_digests(files=files, user=admin_user, dry_run=True)
    assert [r.status for r in preview] == ["imported", "failed"]
    assert not Digest.objects.exists() and not LogEntry.objects.exists()

    reports = curation.import_digests(files=files, user=admin_user)
    assert [r.status for r in reports] == ["imported", "failed"]
    log = LogEntry.objects.get()
    assert (log.action_flag, log.object_repr, log.user) == (ADDITION, "a.txt", admin_user)
    assert log.change_message.startswith("a.txt: imported 1 entries")


def test_stream_paper_without_title_gets_one_that_imports_keep():
    import_digest(stream_digest(["An abstract without a title."]), name="s.txt")
    paper = Paper.objects.get()
    paper.title_en = "A curator's title"
    curation.save_paper_edit(paper=paper, changed_fields=["title_en"])
    later = Entry("Digest title", "2301.00051", abstract_en="An abstract without a title.")

    import_digest(daily_digest([later]), name="d.txt")

    paper.refresh_from_db()
    assert paper.title_en == "A curator's title" and paper.arxiv_id == "2301.00051"
    assert paper.title_zh_source == Source.DIGEST


# --- digests' dates and deletion ----------------------------------------------------------------


def listing(arxiv_id):
    paper = Paper.objects.select_related("listed_digest").get(arxiv_id=arxiv_id)
    return (paper.listed_digest.name, paper.listed_on, paper.listed_position)


def stamps():
    return dict(Paper.objects.values_list("arxiv_id", "updated_at"))


@pytest.fixture
def typo():
    """A paper in two digests; the second's file name said 2025-11-30 when it meant 2025-01-03."""
    import_digest(
        daily_digest([Entry("Shared", "2301.00071"), Entry("Only old", "2301.00072")]), name="2025-01-01.txt"
    )
    import_digest(
        daily_digest([Entry("Only typo", "2301.00073"), Entry("Shared", "2301.00071")]),
        name="2025-11-30.txt",
    )
    assert listing("2301.00071") == ("2025-11-30.txt", datetime.date(2025, 11, 30), 2)
    return Digest.objects.get(name="2025-11-30.txt")


def test_correcting_a_digests_date_relists_its_papers(admin_user, typo):
    before = stamps()

    moved = curation.set_digest_date(digest=typo, published_on=datetime.date(2024, 12, 31), user=admin_user)

    assert moved == 2
    typo.refresh_from_db()
    assert typo.published_on == datetime.date(2024, 12, 31)
    # Each paper is listed at its newest appearance, whichever digest that now is.
    assert listing("2301.00071") == ("2025-01-01.txt", datetime.date(2025, 1, 1), 1)
    assert listing("2301.00073") == ("2025-11-30.txt", datetime.date(2024, 12, 31), 1)
    after = stamps()
    assert after["2301.00071"] > before["2301.00071"] and after["2301.00073"] > before["2301.00073"]
    assert after["2301.00072"] == before["2301.00072"]  # not in that digest: its feeds did not change
    log = LogEntry.objects.get()
    assert (log.object_id, log.action_flag, log.user) == (str(typo.pk), CHANGE, admin_user)
    assert log.change_message == "Date corrected from 2025-11-30 to 2024-12-31; 2 papers re-listed"


def test_relisting_breaks_ties_as_the_importer_does(typo):
    """Same date: the digest imported last; within a digest: the first place the paper appears."""
    curation.set_digest_date(digest=typo, published_on=datetime.date(2025, 1, 1))
    assert listing("2301.00071") == ("2025-11-30.txt", datetime.date(2025, 1, 1), 2)

    # What an import computes for the same appearances (a later digest of the same date is imported).
    import_digest(daily_digest([Entry("Shared", "2301.00071")]), name="2025-01-01-b.txt")
    assert listing("2301.00071") == ("2025-01-01-b.txt", datetime.date(2025, 1, 1), 1)
    curation.set_digest_date(
        digest=Digest.objects.get(name="2025-01-01-b.txt"), published_on=datetime.date(2020, 1, 1)
    )
    assert listing("2301.00071") == ("2025-11-30.txt", datetime.date(2025, 1, 1), 2)


def test_a_digest_cannot_be_dated_more_than_a_day_ahead(typo):
    with pytest.raises(ValueError, match="more than a day after today"):
        curation.set_digest_date(digest=typo, published_on=datetime.date(2062, 12, 1))
    typo.refresh_from_db()
    assert typo.published_on == datetime.date(2025, 11, 30)


def test_deleting_a_digest_relists_its_papers_and_removes_those_found_nowhere_else(admin_user, typo):
    only_typo = Paper.objects.get(arxiv_id="2301.00073")
    before = stamps()

    result = curation.delete_digests(digests=Digest.objects.filter(pk=typo.pk), user=admin_user)

    assert (result.digests, result.relisted, result.deleted) == (1, 1, 1)
    assert not Digest.objects.filter(pk=typo.pk).exists()
    assert listing("2301.00071") == ("2025-01-01.txt", datetime.date(2025, 1, 1), 1)
    assert stamps()["2301.00071"] > before["2301.00071"]
    assert stamps()["2301.00072"] == before["2301.00072"]
    # The paper that came only from that digest is gone, from the search index too.
    assert not Paper.objects.filter(pk=only_typo.pk).exists()
    assert not SearchEntry.objects.filter(paper_id=only_typo.pk).exists()
    assert not search.papers("Only typo").exists() and search.papers("Shared").exists()
    logged = set(LogEntry.objects.values_list("object_repr", "action_flag"))
    assert logged == {("2025-11-30.txt", DELETION), ("Only typo", DELETION)}

    # Importing the file again brings it all back, as it was.
    import_digest(
        daily_digest([Entry("Only typo", "2301.00073"), Entry("Shared", "2301.00071")]), name="2025-11-30.txt"
    )
    assert listing("2301.00071") == ("2025-11-30.txt", datetime.date(2025, 11, 30), 2)


def test_deleting_every_digest_deletes_every_paper(typo):
    result = curation.delete_digests(digests=Digest.objects.all())
    assert (result.digests, result.relisted, result.deleted) == (2, 0, 3)
    assert not Paper.objects.exists() and not SearchEntry.objects.exists()


# --- the Curators group and create_curator ------------------------------------------------------


def test_curators_group_has_exactly_the_permissions_curation_needs():
    group = Group.objects.get(name="Curators")
    codenames = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
    assert codenames == {
        "papers.view_paper", "papers.change_paper",
        "papers.view_author", "papers.change_author", "papers.add_author",
        "papers.view_institution", "papers.change_institution", "papers.add_institution",
        "papers.view_area",
        "papers.view_digest", "papers.add_digest", "papers.change_digest",
        "papers.view_digestentry",
        "papers.view_authorship", "papers.change_authorship", "papers.add_authorship",
        "papers.delete_authorship",
        "papers.view_affiliation", "papers.change_affiliation", "papers.add_affiliation",
        "papers.delete_affiliation",
        "papers.view_paperlink", "papers.change_paperlink", "papers.add_paperlink", "papers.delete_paperlink",
    }  # fmt: skip


def create_curator(*args):
    out = io.StringIO()
    call_command("create_curator", *args, stdout=out)
    return out.getvalue()


def test_create_curator_from_the_environment_then_update(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", "correct horse battery staple")
    assert "Created curator 'mei'" in create_curator("mei", "--email", "mei@example.org")
    user = get_user_model().objects.get(username="mei")
    assert user.is_staff and not user.is_superuser and user.email == "mei@example.org"
    assert user.check_password("correct horse battery staple")
    assert user.has_perm("papers.change_paper") and not user.has_perm("papers.delete_paper")

    monkeypatch.setenv("CURATOR_PASSWORD", "another long passphrase 42")
    assert "Updated curator 'mei'" in create_curator("mei")
    user.refresh_from_db()
    assert user.check_password("another long passphrase 42") and user.email == "mei@example.org"
    assert user.groups.filter(name="Curators").count() == 1


def test_create_curator_refuses_a_weak_password(monkeypatch):
    monkeypatch.setenv("CURATOR_PASSWORD", "12345678")
    with pytest.raises(CommandError, match="password refused"):
        create_curator("mei")
    assert not get_user_model().objects.exists()


def test_create_curator_asks_twice_in_a_terminal(monkeypatch):
    monkeypatch.delenv("CURATOR_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["a passphrase long enough", "a different passphrase"])
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="differ"):
        create_curator("mei")

    monkeypatch.setattr("getpass.getpass", lambda prompt: "a passphrase long enough")
    create_curator("mei")
    assert get_user_model().objects.get(username="mei").check_password("a passphrase long enough")


def test_create_curator_without_a_terminal_needs_the_environment(monkeypatch):
    monkeypatch.delenv("CURATOR_PASSWORD", raising=False)
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(CommandError, match="CURATOR_PASSWORD"):
        create_curator("mei")


def test_affiliation_rows_never_point_at_an_alias_after_a_merge():
    import_digest(daily_digest([Entry("P", "2301.00061", institutions=["A Lab", "B Lab"])]), name="d.txt")
    a, b = Institution.objects.order_by("name")
    curation.merge_institutions(keep=a, others=[b])
    assert not Affiliation.objects.filter(institution__merged_into__isnull=False).exists()
