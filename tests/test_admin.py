"""The curators' admin, driven through the test client the way a curator's browser would."""

import datetime
import importlib
import re
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest
from django.apps import apps as django_apps
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from papers import parsing
from papers.importing import import_digest
from papers.models import Area, Author, Digest, Institution, Paper, Source, validate_area_code

from .builders import Entry, daily_digest, stream_digest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
pytestmark = pytest.mark.django_db

PAPERS = reverse("admin:papers_paper_changelist")
INSTITUTIONS = reverse("admin:papers_institution_changelist")
IMPORT = reverse("admin:papers_digest_import")


def change_url(obj):
    return reverse(f"admin:papers_{obj._meta.model_name}_change", args=[obj.pk])


def form_data(response):
    """What the browser would post back for a change form as displayed: main form and inlines."""
    forms = [response.context["adminform"].form]
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): management[name].value() for name in management.fields})
        forms += formset.forms
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value not in (None, False):
                data[form.add_prefix(name)] = value
    return data


# --- who gets in ------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAPERS, IMPORT])
def test_anonymous_and_non_staff_users_are_sent_to_the_login(client, reader, url):
    for user in (None, reader):
        if user:
            client.force_login(user)
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_curator_can_curate_but_not_delete_papers(curator_client):
    import_digest(daily_digest([Entry("A paper", "2301.00001")]), name="d.txt")
    paper = Paper.objects.get()

    response = curator_client.get(PAPERS)
    assert response.status_code == 200
    actions = dict(response.context["action_form"].fields["action"].choices)
    assert {"publish", "hide", "feature", "unfeature"} <= actions.keys() and "delete_selected" not in actions
    assert curator_client.get(change_url(paper)).status_code == 200
    assert curator_client.get(reverse("admin:papers_paper_delete", args=[paper.pk])).status_code == 403
    assert curator_client.get(IMPORT).status_code == 200
    assert curator_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_import_needs_the_add_digest_permission(client, curator):
    curator.groups.clear()
    curator.user_permissions.add(Permission.objects.get(codename="view_digest"))
    client.force_login(curator)
    assert client.get(IMPORT).status_code == 403
    assert b"Import digests" not in client.get(reverse("admin:papers_digest_changelist")).content


def test_every_admin_page_renders_for_a_curator(curator_client, seeded):
    paper = Paper.objects.filter(affiliations__isnull=False).first()
    pages = [
        reverse("admin:index"),
        PAPERS,
        PAPERS + "?q=Mega",
        PAPERS + "?q=" + "门控",
        PAPERS + "?languages=both&provenance=machine_translation",
        change_url(paper),
        INSTITUTIONS,
        change_url(paper.institutions.first()),
        reverse("admin:papers_author_changelist"),
        reverse("admin:papers_area_changelist"),
        reverse("admin:papers_digest_changelist"),
        change_url(Digest.objects.first()),
        reverse("admin:autocomplete") + "?app_label=papers&model_name=authorship&field_name=author&term=a",
    ]
    for url in pages:
        assert curator_client.get(url).status_code == 200, url


# --- the paper list ---------------------------------------------------------------------------


def test_changelist_escapes_titles(curator_client):
    import_digest(daily_digest([Entry("<script>alert(1)</script>", "2301.00002")]), name="d.txt")
    content = curator_client.get(PAPERS).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in content
    assert "<script>alert(1)</script>" not in content


def test_changelist_shows_what_is_missing_and_filters_by_it(curator_client):
    import_digest(daily_digest([Entry("Complete", "2301.00003", institutions=["MIT"])]), name="d.txt")
    import_digest(stream_digest(["仅有中文摘要的论文。"]), name="s.txt")
    complete = Paper.objects.get(arxiv_id="2301.00003")
    bare = Paper.objects.get(arxiv_id__isnull=True)

    response = curator_client.get(PAPERS)
    rows = {paper.pk: paper for paper in response.context["cl"].result_list}
    assert rows[complete.pk].has_institutions and not rows[bare.pk].has_institutions
    content = response.content.decode()
    assert content.count('alt="False"') >= 3  # the bare paper: no title, no English, no institutions

    def listed(query):
        return {p.pk for p in curator_client.get(PAPERS + query).context["cl"].result_list}

    assert listed("?languages=both") == {complete.pk}
    assert listed("?languages=zh") == {bare.pk}
    assert listed("?provenance=machine_translation") == {bare.pk}
    assert listed("?institutions__isnull=True") == {bare.pk}
    mit = Institution.objects.get(name="MIT")
    assert listed(f"?institutions__id__exact={mit.pk}") == {complete.pk}
    digest = Digest.objects.get(name="s.txt")
    assert listed(f"?entries__digest__id__exact={digest.pk}") == {bare.pk}
    assert listed("?q=A+Author") == {complete.pk}
    assert listed("?q=2301.00003") == {complete.pk}


# --- editing a paper --------------------------------------------------------------------------


def test_curators_fix_survives_the_next_import(curator_client, curator):
    """The issue's story: an abstract-only paper gets a title, then tomorrow's digest arrives."""
    abstract = "An abstract that arrived without a title."
    import_digest(stream_digest([abstract]), name="2026-01-01-stream.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    data["title_en"] = "The curator's title"

    response = curator_client.post(change_url(paper), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    paper.refresh_from_db()
    assert (paper.title_en, paper.title_en_source) == ("The curator's title", Source.CURATOR)
    assert paper.abstract_en_source == Source.DIGEST and paper.title_zh is None
    log = LogEntry.objects.get(object_id=str(paper.pk))
    assert (log.action_flag, log.user) == (CHANGE, curator)

    later = Entry("The digest's title", "2301.00004", abstract_en=abstract, title_zh="中文标题")
    report = import_digest(daily_digest([later]), name="2026-01-02.txt")

    paper.refresh_from_db()
    assert (report.created, report.matched) == (0, 1)
    assert (paper.title_en, paper.title_en_source) == ("The curator's title", Source.CURATOR)
    assert (paper.title_zh, paper.title_zh_source) == ("中文标题", Source.DIGEST)
    assert paper.arxiv_id == "2301.00004"


def test_saving_an_unchanged_form_claims_nothing(curator_client):
    import_digest(daily_digest([Entry("Untouched", "2301.00005")]), name="d.txt")
    Paper.objects.update(abstract_en="Two lines:\nthe second.")
    paper = Paper.objects.get()
    before = (paper.provenance(), paper.authors_source, paper.institutions_source)
    data = form_data(curator_client.get(change_url(paper)))
    data["abstract_en"] = data["abstract_en"].replace("\n", "\r\n")  # as browsers post a textarea

    assert curator_client.post(change_url(paper), data).status_code == 302

    paper.refresh_from_db()
    assert (paper.provenance(), paper.authors_source, paper.institutions_source) == before
    assert paper.abstract_en == "Two lines:\nthe second."


def test_clearing_a_text_stores_null(curator_client):
    import_digest(daily_digest([Entry("Has a summary", "2301.00006")]), name="d.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    data["summary_zh"] = "  "

    curator_client.post(change_url(paper), data)

    paper.refresh_from_db()
    assert paper.summary_zh is None and paper.summary_zh_source == Source.CURATOR


def test_reordering_authors_marks_only_the_author_list_as_the_curators(curator_client):
    import_digest(daily_digest([Entry("P", "2301.00007", authors=["Ann", "Bob"])]), name="d1.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    # Swap the two rows' positions: the (paper, position) constraint must not get in the way.
    data["authorships-0-position"], data["authorships-1-position"] = "2", "1"
    cy = Author.objects.create(name="Cy")
    data.update(
        {"authorships-TOTAL_FORMS": "3", "authorships-2-position": "9", "authorships-2-author": cy.pk}
    )

    response = curator_client.post(change_url(paper), data)

    assert response.status_code == 302
    paper.refresh_from_db()
    assert [a.name for a in paper.ordered_authors()] == ["Bob", "Ann", "Cy"]
    assert list(paper.authorships.values_list("position", flat=True)) == [1, 2, 3]
    assert (paper.authors_source, paper.institutions_source) == (Source.CURATOR, Source.DIGEST)
    assert "Cy" in LogEntry.objects.get(object_id=str(paper.pk)).get_change_message()

    import_digest(
        daily_digest([Entry("P", "2301.00007", authors=["Zed"], institutions=["New"])]), name="d0.txt"
    )
    paper.refresh_from_db()
    assert [a.name for a in paper.ordered_authors()] == ["Bob", "Ann", "Cy"]
    assert [i.name for i in paper.ordered_institutions()] == ["New"]  # the digests' list, earliest file wins


def test_removing_an_institution_marks_the_institution_list(curator_client):
    import_digest(daily_digest([Entry("P", "2301.00008", institutions=["MIT", "CMU"])]), name="d.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    data["affiliations-0-DELETE"] = "on"

    curator_client.post(change_url(paper), data)

    paper.refresh_from_db()
    assert [i.name for i in paper.ordered_institutions()] == ["CMU"]
    assert paper.affiliations.get().position == 1
    assert (paper.authors_source, paper.institutions_source) == (Source.DIGEST, Source.CURATOR)


# --- publish, hide, feature -------------------------------------------------------------------


def run_action(client, url, action, objects, *, follow=False, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    return client.post(url, data, follow=follow)


def test_hidden_papers_leave_the_public_pages_at_once(curator_client, client):
    import_digest(
        daily_digest([Entry("Soon hidden", "2301.00009"), Entry("Stays", "2301.00010")]), name="d.txt"
    )
    hidden = Paper.objects.get(arxiv_id="2301.00009")
    public = Client()
    assert "Soon hidden" in public.get("/").content.decode()
    stamp = hidden.updated_at

    assert run_action(curator_client, PAPERS, "hide", [hidden]).status_code == 302

    hidden.refresh_from_db()
    assert not hidden.is_published and hidden.updated_at > stamp
    page = public.get("/").content.decode()
    assert "Soon hidden" not in page and "Stays" in page
    assert public.get(f"/papers/{hidden.pk}/").status_code == 404
    assert LogEntry.objects.get(object_id=str(hidden.pk)).change_message == "Hidden"

    run_action(curator_client, PAPERS, "publish", [hidden])
    assert public.get(f"/papers/{hidden.pk}/").status_code == 200


def test_feature_and_unfeature(curator_client):
    import_digest(daily_digest([Entry("One", "2301.00011"), Entry("Two", "2301.00012")]), name="d.txt")
    papers = list(Paper.objects.all())

    run_action(curator_client, PAPERS, "feature", papers)
    assert Paper.objects.filter(is_featured=True).count() == 2
    run_action(curator_client, PAPERS, "unfeature", papers[:1])
    assert Paper.objects.filter(is_featured=True).count() == 1


# --- authors and institutions -----------------------------------------------------------------


def test_merging_institutions_through_the_confirmation_page(curator_client):
    import_digest(
        daily_digest(
            [
                Entry("P1", "2301.00013", institutions=["CMU", "MIT"]),
                Entry("P2", "2301.00014", institutions=["Carnegie Mellon University"]),
            ]
        ),
        name="d1.txt",
    )
    cmu, kept = (
        Institution.objects.get(name="CMU"),
        Institution.objects.get(name="Carnegie Mellon University"),
    )

    page = run_action(curator_client, INSTITUTIONS, "merge_selected", [cmu, kept])
    assert page.status_code == 200 and page.templates[0].name == "admin/papers/merge.html"
    assert "Carnegie Mellon University (1 paper)" in page.content.decode()
    assert not Institution.objects.exclude(merged_into=None).exists()  # nothing merged before confirming

    done = run_action(
        curator_client, INSTITUTIONS, "merge_selected", [cmu, kept], keep=kept.pk, confirm="Merge"
    )

    assert done.status_code == 302
    cmu.refresh_from_db()
    assert cmu.merged_into == kept
    p1 = Paper.objects.get(arxiv_id="2301.00013")
    assert [i.name for i in p1.ordered_institutions()] == ["Carnegie Mellon University", "MIT"]
    assert p1.institutions_source == Source.DIGEST
    assert LogEntry.objects.filter(object_id=str(kept.pk), action_flag=CHANGE).exists()

    # Only canonical rows are listed unless asked; the kept one lists its aliases.
    listed = {i.name for i in curator_client.get(INSTITUTIONS).context["cl"].result_list}
    assert listed == {"Carnegie Mellon University", "MIT"}
    aliases = curator_client.get(INSTITUTIONS + "?merged=aliases").context["cl"].result_list
    assert [i.name for i in aliases] == ["CMU"]
    assert f'href="{change_url(cmu)}">CMU</a>' in curator_client.get(change_url(kept)).content.decode()

    import_digest(daily_digest([Entry("P3", "2301.00015", institutions=["CMU"])]), name="d2.txt")
    assert [i.name for i in Paper.objects.get(arxiv_id="2301.00015").ordered_institutions()] == [
        "Carnegie Mellon University"
    ]


def test_merging_needs_two_canonical_rows(curator_client):
    import_digest(
        daily_digest([Entry("P", "2301.00016", institutions=["A Lab", "B Lab", "C Lab"])]), name="d.txt"
    )
    a, b, c = Institution.objects.order_by("name")
    b.merged_into = a
    b.save()

    response = run_action(curator_client, INSTITUTIONS + "?merged=all", "merge_selected", [b, c], follow=True)
    assert "already merged into “A Lab”" in response.content.decode()
    response = run_action(curator_client, INSTITUTIONS, "merge_selected", [c], follow=True)
    assert "at least two" in response.content.decode()
    assert Institution.objects.canonical().count() == 2


def test_autocomplete_offers_canonical_rows_found_by_their_aliases_names(curator_client):
    kept = Institution.objects.create(name="Carnegie Mellon University")
    Institution.objects.create(name="CMU", merged_into=kept)
    url = reverse("admin:autocomplete")
    query = "?app_label=papers&model_name=affiliation&field_name=institution&term=CMU"

    results = curator_client.get(url + query).json()["results"]

    assert [r["text"] for r in results] == ["Carnegie Mellon University"]


def test_renaming_in_the_admin_keeps_the_old_spelling_and_refuses_a_clash(curator_client):
    typo = Institution.objects.create(name="Univeristy of Tokyo")
    Institution.objects.create(name="Kyoto University")

    clash = curator_client.post(change_url(typo), {"name": "KYOTO university"})
    assert clash.status_code == 200 and "merge the two instead" in clash.content.decode()

    assert curator_client.post(change_url(typo), {"name": "University of Tokyo"}).status_code == 302
    typo.refresh_from_db()
    assert typo.name == "University of Tokyo"
    assert Institution.objects.get(name="Univeristy of Tokyo").merged_into == typo


# --- areas, and the slugs every public link is built from ---------------------------------------


def area_data(area, **changes):
    return {"code": area.code, "name_en": area.name_en, "name_zh": area.name_zh, **changes}


def assert_area_pages_answer(code):
    """The pages that link every area (and so broke on a code that does not reverse)."""
    public = Client()
    paper = Paper.objects.filter(area__code=code).first()
    urls = [
        "/", "/feeds/", "/feeds/subscriptions.opml", f"/areas/{code}/", f"/areas/{code}/feed.rss",
        f"/areas/{code}/feed.atom", "/search/?q=robots", f"/?area={code}", paper.get_absolute_url(),
    ]  # fmt: skip
    for url in urls:
        assert public.get(url).status_code == 200, url


def test_curators_view_areas_but_cannot_change_them(curator_client):
    area = Area.objects.get(code="RO")
    page = curator_client.get(change_url(area))
    assert page.status_code == 200 and not page.context["has_change_permission"]

    response = curator_client.post(change_url(area), area_data(area, name_en="Renamed", code="ZZ"))

    assert response.status_code == 403
    area.refresh_from_db()
    assert (area.code, area.name_en) == ("RO", "Robotics")


@pytest.mark.parametrize("code", ["Z/Z", "x", "ABCDEFGHI", "R0", "R O", "ÄB", "", "cv"])
def test_an_area_code_that_would_break_links_is_a_form_error(admin_client, code):
    import_digest(daily_digest([Entry("Robots", "2303.00001", area="RO")]), name="d.txt")
    area = Area.objects.get(code="RO")

    response = admin_client.post(change_url(area), area_data(area, code=code))

    assert response.status_code == 200
    expected = {
        "": "This field is required.",
        "cv": "Area with this Code already exists.",  # stored upper-case, so it clashes with CV
        "ABCDEFGHI": "Ensure this value has at most 8 characters (it has 9).",
    }
    assert response.context["adminform"].form.errors["code"] == [
        expected.get(code, "An area code is 2 to 8 ASCII letters, such as LG.")
    ]
    area.refresh_from_db()
    assert area.code == "RO"
    assert_area_pages_answer("RO")


@pytest.mark.parametrize("code", ["LG", "cv", "ABCDEFGH", "ABCDEFGHI", "x", "Z/Z", "R0", "ÄB", "Ａb"])
def test_area_codes_follow_the_parsers_rule(code):
    """One rule for a code, whether it comes from a digest or from the admin."""
    try:
        parsing.parse_digest(daily_digest([Entry("P", "2303.00009", area=code)]), name="d.txt")
        parsed = True
    except parsing.ParseError:
        parsed = False
    try:
        validate_area_code(code)
        valid = True
    except ValidationError:
        valid = False
    assert parsed == valid


def test_a_superuser_renames_an_area_code_stored_upper_case(admin_client):
    import_digest(daily_digest([Entry("Robots", "2303.00001", area="RO")]), name="d.txt")
    area = Area.objects.get(code="RO")

    response = admin_client.post(change_url(area), area_data(area, code="robot"))

    assert response.status_code == 302
    area.refresh_from_db()
    assert area.code == "ROBOT"
    assert_area_pages_answer("ROBOT")


def test_migration_0007_repairs_stored_codes_it_can_and_names_the_others():
    migration = importlib.import_module("papers.migrations.0007_area_codes_curators_view_areas")
    editor = SimpleNamespace(connection=connection)
    Area.objects.filter(code="RO").update(code="r/o")
    Area.objects.filter(code="AS").update(code="as")

    migration.repair_area_codes(django_apps, editor)

    assert set(Area.objects.values_list("code", flat=True)) == {"LG", "CV", "CL", "AS", "RO"}
    Area.objects.filter(code="RO").update(code="c/v")  # its letters are another area's code
    with pytest.raises(RuntimeError, match=r"the code 'c/v', which is not 2 to 8 ASCII letters"):
        migration.repair_area_codes(django_apps, editor)


def assert_linking_pages_answer():
    """The pages that link every institution or author of the only paper."""
    public = Client()
    paper = Paper.objects.get()
    for url in ("/", "/institutions/", "/feeds/", "/feeds/subscriptions.opml", paper.get_absolute_url()):
        assert public.get(url).status_code == 200, url


ODD_NAMES = ["AT&T Labs / Research", "../..", "100%", "#?=", "東京大学", "Ǆemal ǈ", "ﬁnance ٣", "İstanbul"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_odd_names_give_slugs_that_every_page_links(curator_client, name):
    import_digest(daily_digest([Entry("P", "2303.00002", authors=[name], institutions=[name])]), name="d.txt")
    # Renamed in the admin too: the new slug and the alias keeping the old one must both work.
    institution = Institution.objects.get()
    assert curator_client.post(change_url(institution), {"name": name + " II"}).status_code == 302
    public = Client()
    for entity in [*Institution.objects.all(), *Author.objects.all()]:
        kind = type(entity).__name__.lower()
        for url in (entity.get_absolute_url(), f"/{kind}s/{entity.slug}/feed.rss"):
            assert public.get(url, follow=True).status_code == 200, (name, url)
    assert_linking_pages_answer()


@pytest.mark.parametrize("slug", ["-", "_", "²", "a-b_c", "東京", "٣"])
def test_every_slug_the_field_accepts_reverses(slug):
    """Slugs are read-only in the admin, but any value the field accepts must make working links."""
    entry = Entry("P", "2303.00003", authors=["Ann"], institutions=["Lab"])
    import_digest(daily_digest([entry]), name="d.txt")
    public = Client()
    for entity in (Institution.objects.get(), Author.objects.get()):
        entity.slug = slug
        entity.full_clean()
        entity.save()
        assert public.get(entity.get_absolute_url()).status_code == 200
    assert_linking_pages_answer()


# --- correcting and deleting digests ------------------------------------------------------------


def newest_titles(client):
    """The order of the home page and of the latest feed, which must agree."""
    page = client.get("/").content.decode()
    home = re.findall(r'<h2 class="paper-title"[^>]*>\s*<a [^>]*><span lang="en">([^<]*)</span>', page)
    feed = feedparser.parse(client.get("/feeds/latest.rss").content)
    assert [e.title.split(" / ")[0] for e in feed.entries] == home
    return home


@pytest.fixture
def typo_digest():
    """The probe's story: a digest whose file name said 2025-11-30 when it meant 2025-01-01."""
    import_digest(
        daily_digest([Entry("Shared", "2301.00071"), Entry("Old", "2301.00072")]), name="2025-01-02.txt"
    )
    import_digest(
        daily_digest([Entry("Typo", "2301.00073"), Entry("Shared", "2301.00071")]), name="2025-11-30.txt"
    )
    return Digest.objects.get(name="2025-11-30.txt")


def test_a_curator_corrects_a_digests_date_and_its_papers_move(curator_client, curator, typo_digest):
    public = Client()
    assert newest_titles(public) == ["Typo", "Shared", "Old"]
    digests = public.get("/digests/").content.decode()
    assert digests.index("2025-11-30.txt") < digests.index("2025-01-02.txt")
    page = curator_client.get(change_url(typo_digest))
    assert list(page.context["adminform"].form.fields) == ["published_on"]  # everything else is read-only
    data = form_data(page)
    data.update({"published_on": "2025-01-01", "name": "renamed.txt", "checksum": "0" * 64})

    response = curator_client.post(change_url(typo_digest), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    typo_digest.refresh_from_db()
    assert (typo_digest.published_on, typo_digest.name) == (datetime.date(2025, 1, 1), "2025-11-30.txt")
    # Both papers of that digest moved: "Shared" to its other, now newer, appearance.
    assert newest_titles(public) == ["Shared", "Old", "Typo"]
    digests = public.get("/digests/").content.decode()
    assert digests.index("2025-01-02.txt") < digests.index("2025-11-30.txt")
    (log,) = LogEntry.objects.filter(object_id=str(typo_digest.pk))
    assert (log.user, log.action_flag) == (curator, CHANGE)
    assert log.change_message == "Date corrected from 2025-11-30 to 2025-01-01; 2 papers re-listed"


def test_a_digest_date_years_ahead_is_a_form_error(curator_client, typo_digest):
    data = form_data(curator_client.get(change_url(typo_digest)))
    data["published_on"] = "2062-12-01"

    response = curator_client.post(change_url(typo_digest), data)

    assert response.status_code == 200
    (error,) = response.context["adminform"].form.errors["published_on"]
    assert "more than a day after today" in error
    typo_digest.refresh_from_db()
    assert typo_digest.published_on == datetime.date(2025, 11, 30)


def test_curators_cannot_delete_digests(curator_client, typo_digest):
    response = curator_client.get(reverse("admin:papers_digest_changelist"))
    assert response.status_code == 200 and 'value="delete_selected"' not in response.content.decode()
    assert curator_client.get(reverse("admin:papers_digest_delete", args=[typo_digest.pk])).status_code == 403
    assert (
        curator_client.post(
            reverse("admin:papers_digest_delete", args=[typo_digest.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Digest.objects.count() == 2


def test_deleting_a_digest_relists_its_papers_and_deletes_those_it_alone_had(
    admin_client, admin_user, typo_digest
):
    public = Client()
    typo = Paper.objects.get(arxiv_id="2301.00073")
    url = reverse("admin:papers_digest_delete", args=[typo_digest.pk])
    confirm = admin_client.get(url).content.decode()
    assert "Typo" in confirm and "Shared" not in confirm  # the paper that goes with it is listed

    assert admin_client.post(url, {"post": "yes"}).status_code == 302

    assert not Digest.objects.filter(pk=typo_digest.pk).exists()
    assert not Paper.objects.filter(pk=typo.pk).exists()
    assert newest_titles(public) == ["Shared", "Old"]
    shared = Paper.objects.get(arxiv_id="2301.00071")
    assert (shared.listed_digest.name, shared.listed_position) == ("2025-01-02.txt", 1)
    assert public.get(f"/papers/{typo.pk}/").status_code == 404
    assert 'class="paper-card"' not in public.get("/search/?q=Typo").content.decode()
    assert 'class="paper-card"' in public.get("/search/?q=Shared").content.decode()
    deleted = LogEntry.objects.filter(action_flag=DELETION, user=admin_user).values_list(
        "object_repr", flat=True
    )
    assert sorted(deleted) == ["2025-11-30.txt", "Typo"]

    # The bulk action goes through the same service.
    response = run_action(
        admin_client,
        reverse("admin:papers_digest_changelist"),
        "delete_selected",
        Digest.objects.all(),
        post="yes",
    )
    assert response.status_code == 302
    assert not Digest.objects.exists() and not Paper.objects.exists()
    assert newest_titles(public) == []


# --- import from the admin --------------------------------------------------------------------


def upload(name, data):
    return SimpleUploadedFile(name, data, content_type="text/plain")


def test_import_previews_then_writes_only_when_confirmed(curator_client, curator, seeded):
    before = (Paper.objects.count(), Digest.objects.count())
    files = [
        upload(
            "2026-02-01.txt", daily_digest([Entry("Brand new", "2302.00001"), Entry("Another", "2302.00002")])
        ),
        upload("broken.txt", daily_digest([Entry("Fine", "2302.00003")]) + b"\n\xff\xfe bad bytes\n"),
    ]
    pasted = daily_digest([Entry("Mega again", "2209.10655", title_zh="不同的中文标题")]).decode()

    preview = curator_client.post(
        IMPORT, {"files": files, "text": pasted, "text_name": "pasted-2026-02-01.txt"}
    )

    assert preview.status_code == 200
    assert (Paper.objects.count(), Digest.objects.count()) == before
    reports = {r.name: r for r in preview.context["reports"]}
    assert (reports["2026-02-01.txt"].status, reports["2026-02-01.txt"].created) == ("imported", 2)
    assert reports["broken.txt"].failed
    assert (reports["pasted-2026-02-01.txt"].created, reports["pasted-2026-02-01.txt"].matched) == (0, 1)
    content = preview.content.decode()
    assert re.search(r"broken\.txt:\d+: ", content)  # the error names the file and line
    assert re.search(r"line \d+: title_zh differs", content)  # warnings carry line numbers
    payload = preview.context["confirm"]["payload"].value()

    result = curator_client.post(IMPORT, {"payload": payload, "confirm": "Import"})

    assert result.status_code == 200 and result.context["done"]
    assert Paper.objects.count() == before[0] + 2
    assert set(Digest.objects.values_list("name", flat=True)) >= {"2026-02-01.txt", "pasted-2026-02-01.txt"}
    assert not Digest.objects.filter(name="broken.txt").exists()
    logged = LogEntry.objects.filter(action_flag=ADDITION, user=curator).values_list("object_repr", flat=True)
    assert sorted(logged) == ["2026-02-01.txt", "pasted-2026-02-01.txt"]

    again = curator_client.post(IMPORT, {"payload": payload, "confirm": "Import"})
    assert [r.status for r in again.context["reports"]] == ["unchanged", "unchanged"]


def test_pasted_text_gets_a_dated_default_name(curator_client):
    text = daily_digest([Entry("Pasted", "2302.00004")]).decode().replace("\n", "\r\n")
    preview = curator_client.post(IMPORT, {"text": text, "text_name": ""})
    (report,) = preview.context["reports"]
    assert re.fullmatch(r"pasted-\d{4}-\d\d-\d\d-\d{4}\.txt", report.name)
    assert 'name="text_name"' in curator_client.get(IMPORT).content.decode()


def test_a_confirmation_cannot_be_forged_or_reused_by_someone_else(curator_client, admin_client):
    preview = curator_client.post(
        IMPORT, {"files": [upload("a.txt", daily_digest([Entry("P", "2302.00005")]))]}
    )
    payload = preview.context["confirm"]["payload"].value()
    forged = payload.replace(payload[5], "A" if payload[5] != "A" else "B", 1)

    for client, token in ((curator_client, forged), (admin_client, payload)):
        response = client.post(IMPORT, {"payload": token, "confirm": "Import"})
        assert response.status_code == 200 and "upload" in response.context["problem"]
    assert not Digest.objects.exists()


def test_import_limits_are_form_errors(curator_client):
    too_big = upload("big.txt", b"x" * (2 * 1024 * 1024 + 1))
    response = curator_client.post(IMPORT, {"files": [too_big]})
    assert "big.txt is larger than 2 MB" in response.content.decode()

    many = [upload(f"{n}.txt", daily_digest([Entry("P", f"2302.{n:05}")])) for n in range(21)]
    response = curator_client.post(IMPORT, {"files": many})
    assert "at most 20 files" in response.content.decode()

    chunk = b"x" * (1900 * 1024)
    response = curator_client.post(IMPORT, {"files": [upload(f"{n}.txt", chunk) for n in range(3)]})
    assert "larger than 5 MB in total" in response.content.decode()

    response = curator_client.post(IMPORT, {})
    assert "Choose at least one file or paste a digest" in response.content.decode()
    assert not Digest.objects.exists()


def test_import_form_needs_a_csrf_token(curator):
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    response = client.post(IMPORT, {"text": daily_digest([Entry("P", "2302.00006")]).decode()})
    assert response.status_code == 403
    assert not Digest.objects.exists()


def test_digest_pages_link_the_import_and_list_entries(curator_client):
    import_digest(daily_digest([Entry("Listed paper", "2302.00007")]), name="d.txt")
    digest, paper = Digest.objects.get(), Paper.objects.get()

    assert IMPORT in curator_client.get(reverse("admin:papers_digest_changelist")).content.decode()
    assert "Listed paper" in curator_client.get(change_url(digest)).content.decode()
    assert f'href="{change_url(digest)}">d.txt</a>' in curator_client.get(change_url(paper)).content.decode()
