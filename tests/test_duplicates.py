"""Duplicate suggestions for curators: the rules (papers.duplicates) and the admin page that merges."""

import re
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from papers import curation
from papers.duplicates import (
    ACRONYM,
    KNOWN_SPELLING,
    SAME_NAME,
    WORD_ORDER,
    fold,
    initials,
    likely_duplicates,
)
from papers.importing import import_digest
from papers.models import Institution, Paper

from .builders import Entry, daily_digest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
DUPLICATES = reverse("admin:papers_institution_duplicates")
INSTITUTIONS = reverse("admin:papers_institution_changelist")


def seed_institutions():
    """Every institution spelling the seed digests print, from their `[A & B]` lines."""
    names = set()
    for path in SEEDS.glob("*.txt"):
        for line in path.read_text().splitlines():
            if (
                line.startswith("[")
                and line.endswith("]")
                and " " in line
                and not re.match(r"\[[A-Z]{2}\] ", line)
            ):
                names.update(part.strip() for part in line[1:-1].split(" & "))
    return names


def pairs(names, **kwargs):
    """The suggested pairs among a list of names, as sets of two names, with their reasons."""
    by_id = dict(enumerate(names))
    return {
        (frozenset((by_id[s.first], by_id[s.second])), s.reason) for s in likely_duplicates(by_id, **kwargs)
    }


def pair(a, b, reason):
    return (frozenset((a, b)), reason)


# --- the rules --------------------------------------------------------------------------------


def test_the_seed_spellings_hold_no_false_pair_among_themselves():
    names = seed_institutions()
    assert {"CMU", "MIT", "UC Berkeley", "The University of Texas at Austin", "Meta AI Research"} <= names
    assert len(names) > 15
    assert pairs(sorted(names)) == set()


def test_seed_spellings_meet_their_other_spellings():
    names = [
        *sorted(seed_institutions()),
        "Carnegie Mellon University",
        "Massachusetts Institute of Technology",
        "University of Texas at Austin",
        "USC",
        "SJTU",
        "University of California, Berkeley",
    ]
    found = pairs(names, known_spellings=[["UC Berkeley", "University of California, Berkeley"]])
    assert found == {
        pair("CMU", "Carnegie Mellon University", ACRONYM),
        pair("MIT", "Massachusetts Institute of Technology", ACRONYM),
        pair("USC", "University of Southern California", ACRONYM),
        pair("SJTU", "Shanghai Jiao Tong University", ACRONYM),
        pair("The University of Texas at Austin", "University of Texas at Austin", SAME_NAME),
        pair("UC Berkeley", "University of California, Berkeley", KNOWN_SPELLING),
    }


@pytest.mark.parametrize(
    "a, b",
    [
        ("Meta AI", "META AI"),
        ("University of California, Berkeley", "University of California Berkeley"),
        ("U.C.L.A.", "UCLA"),
        ("École Polytechnique", "Ecole polytechnique"),
        ("ＮＶＩＤＩＡ", "NVIDIA"),  # full-width letters, as Chinese text often has them
        ("King's College London", "Kings College London"),
        ("Texas A&M University", "Texas A and M University"),
        ("The Chinese University of Hong Kong", "Chinese University of Hong Kong"),
    ],
)
def test_one_name_once_case_width_accents_punctuation_and_the_fold(a, b):
    assert pairs([a, b]) == {pair(a, b, SAME_NAME)}


def test_university_of_x_is_x_university_except_where_both_exist():
    assert pairs(["University of Tokyo", "Tokyo University"]) == {
        pair("University of Tokyo", "Tokyo University", WORD_ORDER)
    }
    # Seattle and St. Louis; Coral Gables and Oxford, Ohio.
    assert pairs(["University of Washington", "Washington University"]) == set()
    assert pairs(["University of Miami", "Miami University"]) == set()


@pytest.mark.parametrize(
    "names",
    [
        ["MIT", "Microsoft Inc Technology"],  # a company suffix is no initial
        ["MIT", "Media Integration Team", "Massachusetts Institute of Technology"],  # two expansions
        ["UTA", "The University of Texas at Austin", "University of Texas at Arlington"],
        ["UW", "University of Washington"],  # two letters: too many universities share them
        ["UWM", "University of Wisconsin-Madison"],  # a hyphenated word is one initial (M is Milwaukee)
        ["Cmu", "Carnegie Mellon University"],  # a word, not an acronym
        ["Meta", "Mobile Edge Technology Association"],
        ["MIT CSAIL", "MIT"],  # a lab and its university are two rows on purpose
        ["Google Research", "Google DeepMind"],
        ["Microsoft Research", "Microsoft Research Asia"],
        ["University of Texas at Austin", "University of Texas at Dallas"],
        ["清华大学", "北京大学"],
        ["Snap Inc", "Snap Research"],
    ],
)
def test_absurd_pairs_are_never_proposed(names):
    assert pairs(names) == set()


def test_initials_leave_out_minor_words_and_company_suffixes():
    assert initials("Carnegie Mellon University") == "CMU"
    assert initials("Massachusetts Institute of Technology") == "MIT"
    assert initials("École Polytechnique Fédérale de Lausanne") is None  # É is no ASCII initial
    assert initials("Ecole Polytechnique Federale de Lausanne") == "EPFL"
    assert initials("Microsoft Inc Technology") is None  # two words left: too few for initials
    assert fold("The Univ. of Tokyo") == "univ of tokyo"
    assert fold("The") == "the"  # a name that is only "The" stays a name


def test_thousands_of_names_are_indexed_not_compared_pairwise():
    # 20,000 distinct names, 3 real pairs: quadratic comparison would take minutes, the dicts a moment.
    names = {i: f"Institute {i} of Applied Studies {i % 97}" for i in range(20_000)}
    names.update(
        {-1: "CMU", -2: "Carnegie Mellon University", -3: "University of Tokyo", -4: "Tokyo University"}
    )
    names.update({-5: "The Alan Turing Institute", -6: "Alan Turing Institute"})
    found = {frozenset((s.first, s.second)) for s in likely_duplicates(names)}
    assert found == {frozenset((-1, -2)), frozenset((-3, -4)), frozenset((-5, -6))}


# --- the curators' page -----------------------------------------------------------------------


@pytest.fixture
def spellings(seeded):
    """The seeds, and a digest that spells three of their institutions otherwise."""
    import_digest(
        daily_digest(
            [
                Entry("Long names 1", "2301.00101", institutions=["Carnegie Mellon University", "MIT"]),
                Entry("Long names 2", "2301.00102", institutions=["Carnegie Mellon University"]),
                Entry("Long names 3", "2301.00103", institutions=["University of Texas at Austin"]),
                Entry("Lab", "2301.00104", institutions=["Microsoft Inc Technology"]),
            ]
        ),
        name="2023-01-05.txt",
    )


def listed_pairs(response):
    return [(s.keep.name, s.other.name) for s, _reason in response.context["rows"]]


@pytest.mark.django_db
def test_the_page_proposes_the_real_duplicates_most_papers_first(curator_client, spellings):
    response = curator_client.get(DUPLICATES)
    assert response.status_code == 200
    # CMU: 1 seed paper + 2; Texas: 1 + 1. The full name is kept over the acronym; nothing absurd.
    assert listed_pairs(response) == [
        ("Carnegie Mellon University", "CMU"),
        ("The University of Texas at Austin", "University of Texas at Austin"),
    ]
    page = response.content.decode()
    assert "one is the acronym of the other" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "Microsoft Inc Technology" not in page
    assert f'href="{DUPLICATES}"' in curator_client.get(INSTITUTIONS).content.decode()
    chinese = curator_client.get(DUPLICATES, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "一个是另一个的缩写" in chinese.content.decode()


@pytest.mark.django_db
def test_one_click_merges_logs_and_the_pair_disappears(curator_client, curator, spellings):
    cmu, full = (
        Institution.objects.get(name="CMU"),
        Institution.objects.get(name="Carnegie Mellon University"),
    )

    response = curator_client.post(DUPLICATES, {"keep": full.pk, "other": cmu.pk}, follow=True)

    assert response.redirect_chain == [(DUPLICATES, 302)]
    assert (
        "Merged “CMU” into “Carnegie Mellon University”; 1 papers now list it." in response.content.decode()
    )
    cmu.refresh_from_db()
    assert cmu.merged_into == full
    # The seed paper that listed CMU lists the full name in its place, and the page finds all three.
    assert Paper.objects.filter(institutions=full).count() == 3 and not cmu.affiliations.exists()
    # In the admin history, as the merge action writes it.
    kept_log = LogEntry.objects.get(object_id=str(full.pk), action_flag=CHANGE)
    assert kept_log.user == curator and kept_log.change_message == "Merged “CMU” into this one (1 papers)"
    assert LogEntry.objects.filter(object_id=str(cmu.pk), change_message__startswith="Merged into").exists()
    assert listed_pairs(response) == [("The University of Texas at Austin", "University of Texas at Austin")]

    # A second click on the stale page merges nothing and says why.
    again = curator_client.post(DUPLICATES, {"keep": full.pk, "other": cmu.pk}, follow=True)
    assert "already merged" in again.content.decode()
    assert LogEntry.objects.filter(object_id=str(full.pk)).count() == 1


@pytest.mark.django_db
def test_the_other_button_keeps_the_other_one(curator_client, spellings):
    cmu, full = (
        Institution.objects.get(name="CMU"),
        Institution.objects.get(name="Carnegie Mellon University"),
    )
    page = curator_client.get(DUPLICATES).content.decode()
    assert f'name="keep" value="{cmu.pk}"' in page  # the second form of the row
    curator_client.post(DUPLICATES, {"keep": cmu.pk, "other": full.pk})
    full.refresh_from_db()
    assert full.merged_into == cmu


@pytest.mark.django_db
def test_nothing_is_merged_by_looking_or_by_a_bad_post(curator_client, spellings):
    cmu = Institution.objects.get(name="CMU")
    curator_client.get(DUPLICATES)
    for data in ({"keep": cmu.pk, "other": cmu.pk}, {"keep": cmu.pk}, {"keep": "x", "other": "y"}):
        assert curator_client.post(DUPLICATES, data).status_code == 302
    assert not Institution.objects.exclude(merged_into=None).exists()


@pytest.mark.django_db
def test_only_curators_see_or_use_the_page(client, reader, curator, spellings):
    cmu, full = (
        Institution.objects.get(name="CMU"),
        Institution.objects.get(name="Carnegie Mellon University"),
    )
    client.force_login(reader)
    assert client.get(DUPLICATES)["Location"].startswith(reverse("admin:login"))
    # Staff who may only view institutions get 403, on the page and on a merge.
    curator.groups.clear()
    curator.user_permissions.add(Permission.objects.get(codename="view_institution"))
    client.force_login(curator)
    assert client.get(DUPLICATES).status_code == 403
    assert client.post(DUPLICATES, {"keep": full.pk, "other": cmu.pk}).status_code == 403
    assert f'href="{DUPLICATES}"' not in client.get(INSTITUTIONS).content.decode()
    assert not Institution.objects.exclude(merged_into=None).exists()


@pytest.mark.django_db
def test_a_forged_merge_without_csrf_token_is_refused(curator, spellings):
    cmu, full = (
        Institution.objects.get(name="CMU"),
        Institution.objects.get(name="Carnegie Mellon University"),
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(curator)
    assert client.post(DUPLICATES, {"keep": full.pk, "other": cmu.pk}).status_code == 403
    assert not Institution.objects.exclude(merged_into=None).exists()


@pytest.mark.django_db
def test_names_are_escaped_on_the_page(curator_client):
    import_digest(
        daily_digest(
            [
                Entry(
                    "X",
                    "2301.00105",
                    institutions=["<script>alert(1)</script> Lab", "The <script>alert(1)</script> Lab"],
                )
            ]
        ),
        name="d.txt",
    )
    page = curator_client.get(DUPLICATES).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Lab" in page


@pytest.mark.django_db
def test_suggestions_read_in_constant_queries(django_assert_max_num_queries, spellings):
    with django_assert_max_num_queries(2):
        assert len(curation.suggest_institution_merges()) == 2


@pytest.mark.django_db
def test_word_order_pairs_come_after_the_stronger_rules(curator_client):
    entries = [
        Entry(f"T{i}", f"2301.{i:05d}", institutions=["University of Tokyo", "Tokyo University"])
        for i in range(5)
    ]
    entries.append(Entry("C", "2301.00099", institutions=["CMU", "Carnegie Mellon University"]))
    import_digest(daily_digest(entries), name="d.txt")
    response = curator_client.get(DUPLICATES)
    assert listed_pairs(response) == [
        ("Carnegie Mellon University", "CMU"),
        ("Tokyo University", "University of Tokyo"),
    ]
    assert "sometimes two places: check" in response.content.decode()
