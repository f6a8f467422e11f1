"""Broken and hostile input at every way in: cleaned with a warning, refused with the file and line, or
answered with a message, and never a 500 or a half-written import. Each test here is a finding of a
probe of the portal that once failed."""

import io
import threading
import xml.etree.ElementTree as ET

import feedparser
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from papers import parsing
from papers.importing import import_digest
from papers.models import Author, Digest, DigestEntry, Institution, Paper

from .builders import Entry, daily_digest, stream_digest
from .test_admin import change_url, form_data

pytestmark = pytest.mark.django_db

ESC, BEL, VT = "\x1b", "\x07", "\x0b"


def counts():
    return {m.__name__: m.objects.count() for m in (Paper, Digest, DigestEntry, Author, Institution)}


# --- control characters ------------------------------------------------------------------------


def test_the_parser_removes_control_characters_and_names_the_line():
    text = daily_digest(
        [Entry(f"Bell{BEL} and Escape{ESC}[31m Title", "2301.00001", authors=[f"Ada{VT}Lovelace"])]
    )
    digest = parsing.parse_digest(text, name="d.txt")
    entry = digest.entries[0]
    assert entry.title_en == "Bell and Escape[31m Title"
    assert entry.authors == ("Ada Lovelace",)  # a vertical tab separated two words: now a space
    lines = text.decode().split("\n")
    header = next(i for i, line in enumerate(lines, 1) if "Bell" in line)
    messages = {w.line: w.message for w in digest.warnings}
    assert messages[header] == "removed control characters from the line: U+0007 (BEL), U+001B (ESC)"
    assert messages[header + 2] == "removed control characters from the line: U+000B (VT)"


def test_an_import_stores_clean_text_and_reports_it():
    report = import_digest(stream_digest([f"An abstract with an escape{ESC} in it."]), name="s.txt")
    assert not report.failed
    assert any("U+001B (ESC)" in w.message for w in report.warnings)
    assert Paper.objects.get().abstract_en == "An abstract with an escape in it."


def test_the_admin_refuses_control_characters_with_the_field(curator_client):
    import_digest(daily_digest([Entry("Clean title", "2301.00001")]), name="d.txt")
    paper = Paper.objects.get()
    data = form_data(curator_client.get(change_url(paper)))
    data["title_en"] = f"Broken{ESC} title"

    response = curator_client.post(change_url(paper), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["title_en"] == ["Remove the control characters from this text: U+001B (ESC)."]
    paper.refresh_from_db()
    assert paper.title_en == "Clean title"


def test_the_admin_refuses_control_characters_in_names(admin_client):
    import_digest(
        daily_digest([Entry("Paper", "2301.00001", institutions=["Good University"])]), name="d.txt"
    )
    institution = Institution.objects.get()
    response = admin_client.post(change_url(institution), {"name": f"Bad{BEL} University", "slug": "bad"})
    assert response.status_code == 200
    assert "U+0007 (BEL)" in str(response.context["adminform"].form.errors["name"])
    institution.refresh_from_db()
    assert institution.name == "Good University"


def test_feeds_and_opml_stay_valid_for_text_stored_with_control_characters(client):
    """Rows stored before the ways in were cleaned (or by raw SQL) must not take every feed down."""
    import_digest(daily_digest([Entry("A paper", "2301.00001", institutions=["Some Lab"])]), name="d.txt")
    paper = Paper.objects.get()
    # update() bypasses every validator, as an old import did.
    Paper.objects.update(title_en=f"Title{ESC}[0m", abstract_en=f"Ring{BEL} the bell.")
    Institution.objects.update(name=f"Some{VT}Lab")

    for url in ("/feeds/latest.rss", "/feeds/latest.atom", f"/digests/{paper.listed_digest_id}/feed.rss"):
        response = client.get(url)
        assert response.status_code == 200, url
        feed = feedparser.parse(response.content)
        assert not feed.bozo, (url, feed.get("bozo_exception"))
        assert feed.entries[0].title == "Title[0m / 中文标题"
        assert "Ring the bell." in response.text
    response = client.get("/feeds/subscriptions.opml")
    outlines = [o.get("text") for o in ET.fromstring(response.content).iter("outline")]
    assert "Some Lab" in outlines


# --- values longer than the database keeps -------------------------------------------------------


def line_of(text, needle):
    return next(i for i, line in enumerate(text.decode().split("\n"), 1) if needle in line)


@pytest.mark.parametrize(
    ("entry", "needle", "message"),
    [
        (
            Entry("Long id", "cs.A" + "b" * 40 + "/2301001"),
            "/2301001",
            "arXiv id is 52 characters long",
        ),
        (Entry("Long name", "2301.00001", authors=["A" * 301]), "AAAA", "author name is 301 characters long"),
        (
            Entry("Long institution", "2301.00001", institutions=["Institute " * 31]),
            "Institute",
            "institution name is 309 characters long",
        ),
    ],
)
def test_values_too_long_to_store_are_refused_with_file_and_line(entry, needle, message):
    """SQLite stored them and PostgreSQL refused the file with a raw error: now both refuse alike."""
    text = daily_digest([Entry("A fine paper", "2301.00002"), entry])
    report = import_digest(text, name="long.txt")
    assert report.failed
    assert report.error.startswith(f"long.txt:{line_of(text, needle)}: {message}; the limit is ")
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_reposted_from_line_too_long_to_store_is_refused():
    text = daily_digest([Entry("Paper", "2301.00001")]).replace(
        "转自爱可可爱生活".encode(), ("转自" + "长" * 300).encode()
    )
    report = import_digest(text, name="reposted.txt")
    assert report.failed
    assert report.error.startswith(
        f"reposted.txt:{line_of(text, '转自')}: '转自' reposted-from line is 302 characters"
    )


def test_a_file_name_too_long_to_store_is_refused():
    report = import_digest(daily_digest([Entry("Paper", "2301.00001")]), name="n" * 300 + ".txt")
    assert report.failed and "the file name is 304 characters long; the limit is 255" in report.error
    assert not Digest.objects.exists()


# --- files cut off in the middle ---------------------------------------------------------------


def cut_in_the_last_entry():
    text = daily_digest([Entry("First paper", "2301.00001"), Entry("Second paper", "2301.00002")])
    # Cut inside the second entry's English abstract, as an interrupted transfer leaves a file.
    cut = text.rindex(b"This is the English abstract.") + 12
    return text, text[:cut]


def test_a_file_cut_off_mid_entry_is_refused_whole():
    whole, cut = cut_in_the_last_entry()
    report = import_digest(cut, name="cut.txt")
    assert report.failed
    start = line_of(whole, "Second paper")
    assert report.error.startswith(
        f"cut.txt:{start}: the file ends in the middle of the entry that starts at line {start}"
    )
    assert "--complete-entries-only" in report.error
    assert counts() == dict.fromkeys(counts(), 0)


def test_a_cut_file_can_be_imported_without_its_last_entry_when_asked(tmp_path):
    _whole, cut = cut_in_the_last_entry()
    (tmp_path / "cut.txt").write_bytes(cut)
    with pytest.raises(CommandError, match="the file failed; nothing was imported"):
        call_command("load_digests", str(tmp_path), stdout=io.StringIO(), stderr=io.StringIO())
    out = io.StringIO()
    call_command("load_digests", str(tmp_path), "--complete-entries-only", stdout=out)
    assert list(Paper.objects.values_list("title_en", flat=True)) == ["First paper"]
    assert "the file ends in the middle of this entry; it was left out" in out.getvalue()


def test_a_complete_last_entry_without_a_footer_is_not_a_cut():
    text = daily_digest([Entry("Only paper", "2301.00001")])
    text = text[: text.rindex(b"\n\xe5\x86\x85")]  # drop the closing "内容中包含的图片…" line
    assert not import_digest(text, name="nofooter.txt").failed


# --- files in another encoding -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "said"),
    [
        ("utf-16", "UTF-16LE"),
        ("utf-16-be", "UTF-16BE"),
        ("gb18030", "GB18030 (GBK, the Chinese Windows encoding)"),
    ],
)
def test_a_file_in_another_encoding_says_which_and_how_to_convert(encoding, said):
    text = daily_digest([Entry("Paper", "2301.00001")]).decode().encode(encoding)
    report = import_digest(text, name="other.txt")
    assert report.failed
    assert f"not UTF-8: it looks like {said}" in report.error
    assert f"iconv -f {said.split()[0]} -t UTF-8 other.txt" in report.error


# --- messages on the reading side --------------------------------------------------------------


def test_a_search_with_a_nul_says_so_and_does_not_echo_it(client):
    import_digest(daily_digest([Entry("Paper", "2301.00001")]), name="d.txt")
    for url in ("/", "/search/"):
        response = client.get(url, {"q": "diffusion\x00"})
        assert response.status_code == 200
        assert "contains control characters" in response.text
        assert "longer than" not in response.text
        assert "\x00" not in response.text
        assert 'value="diffusion"' in response.text


def test_too_many_values_of_a_filter_are_said_not_silently_dropped(client):
    import_digest(daily_digest([Entry("Paper", "2301.00001")]), name="d.txt")
    response = client.get("/", {"area": ["LG"] * 21})
    assert response.status_code == 200
    assert "was given 21 values, more than the 20 a list takes, so that filter was ignored" in response.text


def test_one_failed_file_does_not_claim_the_others_were_imported(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"Just prose.\n")
    with pytest.raises(CommandError) as error:
        call_command("load_digests", str(tmp_path / "bad.txt"), stdout=io.StringIO(), stderr=io.StringIO())
    assert str(error.value) == "the file failed; nothing was imported"


# --- two imports at once -----------------------------------------------------------------------


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's IMMEDIATE transactions serialize writers"
)
@pytest.mark.django_db(transaction=True)
def test_two_imports_at_once_introducing_the_same_names_and_paper_both_succeed():
    """Two `load_digests` at once used to fail one file whole on a duplicate author, institution or
    arXiv id. Both files here introduce the same new author, institution and paper."""
    shared = Entry("Shared paper", "2301.09999", authors=["New Author"], institutions=["New Institute"])
    files = {
        f"2026-01-0{n}.txt": daily_digest(
            [Entry(f"Own paper {n}", f"2301.0000{n}", authors=["New Author", f"Own {n}"]), shared]
        )
        for n in (1, 2)
    }
    start, reports = threading.Barrier(len(files)), {}

    def load(name, data):
        try:
            start.wait()
            reports[name] = import_digest(data, name=name)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=load, args=item) for item in files.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [r.error for r in reports.values()] == [None, None]
    assert Paper.objects.filter(arxiv_id="2301.09999").count() == 1
    assert Author.objects.filter(name="New Author").count() == 1
    assert Institution.objects.filter(name="New Institute").count() == 1
    assert Paper.objects.count() == 3
    assert DigestEntry.objects.filter(paper__arxiv_id="2301.09999").count() == 2
