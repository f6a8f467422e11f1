import datetime
import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError
from django.utils import timezone

from papers import importing, parsing, search
from papers.importing import import_digest
from papers.models import Area, Author, Digest, DigestEntry, Institution, Paper, SearchEntry, Source

from .builders import Entry, daily_digest, stream_digest

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
pytestmark = pytest.mark.django_db


def load(*paths, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("load_digests", *map(str, paths), stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


def export():
    out = io.StringIO()
    call_command("export_papers", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def counts():
    return {m.__name__: m.objects.count() for m in (Paper, Digest, DigestEntry, Author, Institution)}


def test_seed_digests_load_every_entry():
    output = load(SEEDS)
    assert counts()["Paper"] == 49
    assert counts()["DigestEntry"] == 49
    assert "004_ae42a3c06c86c834.txt: imported 9 entries: 9 papers created" in output

    mega = Paper.objects.get(arxiv_id="2209.10655")
    assert mega.area.code == "LG"
    assert mega.title_en == "Mega: Moving Average Equipped Gated Attention"
    assert mega.title_zh == "Mega:移动平均单头门控注意力"
    assert mega.summary_zh.startswith("Transformer注意力机制的设计选择")
    assert [i.name for i in mega.ordered_institutions()] == [
        "University of Southern California", "Meta AI Research", "CMU", "Shanghai Jiao Tong University",
    ]  # fmt: skip
    assert mega.provenance() == {f: "digest" for f in ("title_en", "title_zh", "summary_zh", "abstract_en")}

    thor = Paper.objects.get(arxiv_id="2205.10893")
    assert [a.name for a in thor.ordered_authors()] == ["A Q. Jiang", "W Li"]
    assert thor.authors_truncated

    digest = Digest.objects.get(name="004_ae42a3c06c86c834.txt")
    assert digest.reposted_from == "转自爱可可爱生活"
    assert len(digest.summary_items) == 9
    assert digest.legend["CV"] == "计算机视觉"
    sections = list(digest.entries.values_list("section", "number"))
    assert sections == [("main", n) for n in range(1, 6)] + [("other", None)] * 4


def test_stream_lines_keep_their_language_and_provenance():
    load(SEEDS / "000_0898168c9bae7e41.txt")
    chinese = Paper.objects.get(abstract_zh__startswith="随着AI民主化的进展")
    assert chinese.abstract_en is None and chinese.title_en is None
    assert chinese.provenance() == {"abstract_zh": Source.MACHINE_TRANSLATION}
    english = Paper.objects.get(abstract_en__startswith="As language models (LMs) scale")
    assert english.provenance() == {"abstract_en": Source.DIGEST}
    assert english.arxiv_id is None and not english.authorships.exists()


def test_reimport_creates_and_changes_nothing():
    load(SEEDS)
    before = counts()
    stamps = dict(Paper.objects.values_list("pk", "updated_at"))
    first_export = export()

    output = load(SEEDS)

    assert counts() == before
    assert dict(Paper.objects.values_list("pk", "updated_at")) == stamps
    assert output.count("unchanged, already imported") == 5
    assert export() == first_export


def test_export_contract_for_every_seed_entry():
    load(SEEDS)
    load(SEEDS)
    rows = export()
    assert len(rows) == 49
    keys = {
        "arxiv_id", "area", "title_en", "title_zh", "summary_zh", "abstract_en", "abstract_zh", "authors",
        "authors_truncated", "institutions", "appearances", "provenance",
    }  # fmt: skip
    for row in rows:
        assert set(row) == keys
        texts = {k: row[k] for k in ("title_en", "title_zh", "summary_zh", "abstract_en", "abstract_zh")}
        assert "" not in texts.values()
        # Every text has a provenance, and nothing without text claims one.
        assert set(row["provenance"]) == {k for k, v in texts.items() if v is not None}
        assert len(row["appearances"]) == 1
    other = next(r for r in rows if r["arxiv_id"] == "2209.10185")
    assert other["appearances"] == [
        {"file": "004_ae42a3c06c86c834.txt", "entry_index": 7, "section": "other", "number": None}
    ]
    assert other["title_zh"] == "D-InLoc++:动态环境室内定位"
    assert other["area"] == "CV"
    assert other["summary_zh"] is None and other["abstract_en"] is None
    stream = [r for r in rows if r["appearances"][0]["file"].startswith("003_")]
    assert [r["appearances"][0]["entry_index"] for r in stream] == list(range(1, 11))
    assert all(r["appearances"][0]["section"] is None for r in stream)


def test_bad_file_changes_nothing_and_others_still_import(tmp_path):
    load(SEEDS / "000_0898168c9bae7e41.txt")
    before = counts()
    (tmp_path / "a_good.txt").write_bytes(daily_digest([Entry("Good paper", "2301.00001")]))
    (tmp_path / "b_bad.txt").write_bytes(b"Just some prose.\nNot a digest at all.\n")

    with pytest.raises(CommandError, match="1 of 2 files failed"):
        load(tmp_path)

    assert Paper.objects.count() == before["Paper"] + 1
    assert Paper.objects.filter(arxiv_id="2301.00001").exists()
    assert not Digest.objects.filter(name="b_bad.txt").exists()


def test_bad_file_message_names_file_and_line(tmp_path):
    bad = tmp_path / "broken.txt"
    bad.write_bytes(daily_digest([Entry("Fine", "2301.00001")]) + b"\n\xff\xfe bad bytes\n")
    report = import_digest(bad.read_bytes(), name="broken.txt")
    assert report.failed
    assert report.error.startswith("broken.txt:")
    line = report.error.split(":")[1]
    assert line.isdigit() and int(line) == bad.read_bytes().count(b"\n")
    assert counts()["Paper"] == 0


def test_database_failure_mid_file_rolls_back_the_whole_file(monkeypatch):
    load(SEEDS / "000_0898168c9bae7e41.txt")
    before = counts()

    def refuse(*args, **kwargs):
        raise DatabaseError("disk full")

    # Fails after the file's papers and entries were written, before its authors.
    monkeypatch.setattr(importing.writing, "write_people", refuse)
    report = import_digest(daily_digest([Entry("Paper", "2301.00001")]), name="x.txt")

    assert report.failed and "disk full" in report.error
    assert counts() == before


def test_a_file_dated_years_ahead_is_refused_and_changes_nothing():
    """A typo in the file name's date would keep the digest's papers at the top of every list."""
    data = daily_digest([Entry("Pinned for ever", "2301.09999", area="ZZ", institutions=["New Lab"])])
    before = counts() | {"Area": Area.objects.count(), "SearchEntry": SearchEntry.objects.count()}

    for dry_run in (True, False):
        report = import_digest(data, name="typo-2062-12-01.txt", dry_run=dry_run)

        assert report.failed
        assert report.error.startswith(
            "typo-2062-12-01.txt: the date in the file name, 2062-12-01, is more than"
        )
        assert "rename the file" in report.error
        assert counts() | {"Area": Area.objects.count(), "SearchEntry": SearchEntry.objects.count()} == before
    assert not search.papers("Pinned").exists()


def test_a_digest_may_be_dated_a_day_ahead_but_not_two(tmp_path):
    today = timezone.localdate()
    tomorrow, later = today + datetime.timedelta(days=1), today + datetime.timedelta(days=2)
    (tmp_path / f"{tomorrow:%Y%m%d}.txt").write_bytes(daily_digest([Entry("Tomorrow", "2301.09998")]))
    (tmp_path / f"{later}.txt").write_bytes(daily_digest([Entry("Later", "2301.09997")]))

    with pytest.raises(CommandError, match="1 of 2 files failed"):
        load(tmp_path)

    assert Digest.objects.get().published_on == tomorrow
    assert list(Paper.objects.values_list("title_en", flat=True)) == ["Tomorrow"]


def test_dry_run_reports_without_writing():
    output = load(SEEDS, dry_run=True)
    assert "004_ae42a3c06c86c834.txt: would import 9 entries: 9 papers created" in output
    assert "dry run, nothing written" in output
    assert counts()["Paper"] == 0 and counts()["Digest"] == 0


def test_stream_abstract_joins_the_paper_with_the_same_abstract_in_either_order():
    abstract = "  We study gated attention for very long sequences.  "
    daily = daily_digest([Entry("Gated attention", "2301.00002", abstract_en=abstract.strip())])
    stream = stream_digest([abstract, "另一篇论文的机器翻译摘要,与上面无关。"])

    import_digest(daily, name="b_daily.txt")
    report = import_digest(stream, name="a_stream.txt")
    assert (report.created, report.matched) == (1, 1)
    exported_forward = export()

    for model in (DigestEntry, Paper, Digest):
        model.objects.all().delete()
    import_digest(stream, name="a_stream.txt")
    report = import_digest(daily, name="b_daily.txt")
    assert (report.created, report.matched, report.updated) == (0, 1, 1)

    assert export() == exported_forward
    paper = Paper.objects.get(arxiv_id="2301.00002")
    assert paper.title_en == "Gated attention"
    assert paper.entries.count() == 2


def test_import_order_does_not_change_the_final_content():
    first = daily_digest([Entry("Title as first written", "2301.00003", abstract_en="Abstract one.")])
    second = daily_digest(
        [Entry("Title as later rewritten", "2301.00003", abstract_en="Abstract one.", institutions=None)],
        [Entry("Another paper", "2301.00004")],
    )
    import_digest(first, name="2023-01-01.txt")
    import_digest(second, name="2023-01-02.txt")
    forward = export()
    for model in (DigestEntry, Paper, Digest):
        model.objects.all().delete()
    import_digest(second, name="2023-01-02.txt")
    report = import_digest(first, name="2023-01-01.txt")
    assert export() == forward
    assert forward[0]["title_en"] == "Title as first written"
    assert any("title_en differs" in w.message for w in report.warnings)


def test_later_digest_fills_empty_fields_and_reports_differences():
    import_digest(stream_digest(["An abstract that will get a title later."]), name="s.txt")
    later = daily_digest(
        [Entry("Now with a title", "2301.00005", abstract_en="An abstract that will get a title later.")]
    )
    report = import_digest(later, name="d.txt")
    assert (report.created, report.matched, report.updated) == (0, 1, 1)
    paper = Paper.objects.get()
    assert paper.arxiv_id == "2301.00005" and paper.title_en == "Now with a title"
    assert [a.name for a in paper.ordered_authors()] == ["A Author", "B Writer"]


def test_curator_edit_survives_reimport_and_is_reported():
    import_digest(daily_digest([Entry("Typo titel", "2301.00006")]), name="d1.txt")
    paper = Paper.objects.get()
    paper.title_en, paper.title_en_source = "Fixed title", Source.CURATOR
    paper.save()

    report = import_digest(daily_digest([Entry("Typo titel again", "2301.00006")]), name="d2.txt")

    paper.refresh_from_db()
    assert paper.title_en == "Fixed title" and paper.title_en_source == Source.CURATOR
    assert any("curator" in w.message and "title_en" in w.message for w in report.warnings)
    assert export()[0]["provenance"]["title_en"] == "curator"


def test_merged_institution_alias_maps_to_the_kept_one():
    import_digest(daily_digest([Entry("P1", "2301.00007", institutions=["CMU"])]), name="d1.txt")
    kept = Institution.objects.create(name="Carnegie Mellon University")
    alias = Institution.objects.get(name="CMU")
    alias.merged_into = kept
    alias.save()

    import_digest(daily_digest([Entry("P2", "2301.00008", institutions=["cmu", "MIT"])]), name="d2.txt")

    paper = Paper.objects.get(arxiv_id="2301.00008")
    assert [i.name for i in paper.ordered_institutions()] == ["Carnegie Mellon University", "MIT"]


def test_same_name_different_content_is_refused():
    import_digest(daily_digest([Entry("P1", "2301.00009")]), name="d.txt")
    report = import_digest(daily_digest([Entry("P2", "2301.00010")]), name="d.txt")
    assert report.failed and "different digest named 'd.txt'" in report.error
    assert Paper.objects.count() == 1


def test_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        load(tmp_path / "nope.txt")


def test_bulk_load_leaves_the_planner_statistics_current():
    from django.db import connection

    load(SEEDS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ANALYZE ran after the import: the planner knows how many rows there are.
            cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'papers_paper'")
            assert cursor.fetchone()[0] == 49
        else:
            # Deliberately none on SQLite (see importing.refresh_statistics).
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 0


def test_too_old_sqlite_is_a_clear_startup_error(monkeypatch):
    from django.db import connection

    from papers import checks

    monkeypatch.setattr(checks.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(checks.sqlite3, "sqlite_version", "3.31.1")
    errors = checks.sqlite_version(None)
    if connection.vendor == "sqlite":
        assert [e.id for e in errors] == ["papers.E001"]
        assert "SQLite 3.31.1 is too old" in errors[0].msg
    else:
        assert errors == []
    monkeypatch.setattr(checks.sqlite3, "sqlite_version_info", (3, 40, 1))
    assert checks.sqlite_version(None) == []


def test_files_prepared_in_a_second_process_import_exactly_as_one_by_one(tmp_path, monkeypatch):
    for seed in SEEDS.glob("*.txt"):
        (tmp_path / seed.name).write_bytes(seed.read_bytes())
    (tmp_path / "2023-02-01.txt").write_bytes(daily_digest([Entry("Mega again", "2209.10655v2")]))
    (tmp_path / "2023-02-02.txt").write_bytes(b"Just some prose.\n")
    (tmp_path / "2023-02-03.txt").write_bytes(daily_digest([Entry("Fresh paper", "2302.00009")]))
    pools = []
    real_pool = importing.pipeline.ProcessPoolExecutor

    def spy(*args, **kwargs):
        pools.append(kwargs)
        return real_pool(*args, **kwargs)

    monkeypatch.setattr(importing.pipeline, "ProcessPoolExecutor", spy)

    def run(parallel):
        reports = [(r.summary(), r.warnings) for r in importing.import_paths([tmp_path], parallel=parallel)]
        return reports, export()

    in_parallel = run(parallel=True)
    assert len(pools) == 1
    for model in (DigestEntry, Paper, Digest):
        model.objects.all().delete()
    one_by_one = run(parallel=False)
    assert len(pools) == 1
    assert in_parallel == one_by_one
    assert any("FAILED" in summary and "2023-02-02.txt:1" in summary for summary, _ in one_by_one[0])
    assert len(one_by_one[1]) == 50


def test_new_papers_are_indexed_exactly_as_a_rebuild_would_index_them():
    from papers import search
    from papers.models import SearchEntry

    # Names merged before the import: the new papers' rows list the kept name and its aliases.
    kept = Institution.objects.create(name="Carnegie Mellon University")
    Institution.objects.create(name="CMU", merged_into=kept)
    Institution.objects.create(name="卡内基梅隆大学", merged_into=kept)
    load(SEEDS)
    rows = list(SearchEntry.objects.order_by("pk").values_list("pk", "title", "people", "body"))
    mega = Paper.objects.get(arxiv_id="2209.10655")
    people = dict((pk, people) for pk, _title, people, _body in rows)[mega.pk]
    assert "Carnegie Mellon University \n CMU \n" in people and "卡内 内基" in people

    assert search.reindex_all() == 49
    assert list(SearchEntry.objects.order_by("pk").values_list("pk", "title", "people", "body")) == rows


def test_reimport_reads_files_without_parsing_them(monkeypatch):
    load(SEEDS)

    def refuse(*args, **kwargs):
        raise AssertionError("parsed a file that was imported before")

    monkeypatch.setattr(importing.pipeline.parsing, "parse_digest", refuse)
    reports = list(importing.import_paths([SEEDS], parallel=False))
    assert [r.status for r in reports] == ["unchanged"] * 5


def test_file_skipped_as_imported_is_parsed_after_all_when_its_digest_is_gone(tmp_path):
    path = tmp_path / "2023-03-01.txt"
    path.write_bytes(daily_digest([Entry("Back again", "2303.00001")]))
    assert import_digest(path.read_bytes(), name=path.name).created == 1
    checksum = Digest.objects.get().checksum
    prepared = importing.prepare_path(path, imported={checksum})
    assert prepared.parsed is None
    Digest.objects.all().delete()

    report = importing.import_prepared(prepared)
    assert report.status == "imported" and report.entries == 1 and report.matched == 1
    assert Digest.objects.get().checksum == checksum


def test_a_row_the_database_refuses_fails_the_file_cleanly_on_postgresql(monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite does not enforce column lengths")
    load(SEEDS / "000_0898168c9bae7e41.txt")
    before = counts()
    # Author names are at most 300 characters: PostgreSQL refuses the COPY of this one, once the
    # parser, which refuses it first, is told to let it through.
    monkeypatch.setattr(parsing, "MAX_NAME_LENGTH", 1000)
    data = daily_digest([Entry("Long names", "2301.00001", authors=["A" * 301, "B Writer"])])
    report = import_digest(data, name="long.txt")
    assert report.failed
    assert report.error.startswith("long.txt: database refused the import:") and "too long" in report.error
    assert counts() == before


def test_ctrl_c_stops_between_files_and_says_how_to_go_on(tmp_path, monkeypatch):
    for n in (1, 2, 3):
        (tmp_path / f"2023-04-0{n}.txt").write_bytes(daily_digest([Entry(f"Paper {n}", f"2304.0000{n}")]))
    real, calls = importing.import_prepared, []

    def interrupted_on_the_second_file(prepared, **kwargs):
        calls.append(prepared.name)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(prepared, **kwargs)

    monkeypatch.setattr(importing, "import_prepared", interrupted_on_the_second_file)
    with pytest.raises(CommandError, match="interrupted after 1 of 3 files") as raised:
        load(tmp_path)
    assert raised.value.returncode == 130
    assert "Run the same command again" in str(raised.value)
    assert list(Digest.objects.values_list("name", flat=True)) == ["2023-04-01.txt"]


# A real transaction, so that the import's own commit ends it (inside a test's atomic block the
# import would only be a savepoint).
@pytest.mark.django_db(transaction=True)
def test_postgresql_import_plans_for_hot_indexes_only_inside_its_transaction(monkeypatch):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")

    def setting():
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            return cursor.fetchone()[0]

    before, seen = setting(), []
    real_write = importing.writing._write

    def write(prepared, **kwargs):
        seen.append(setting())
        return real_write(prepared, **kwargs)

    monkeypatch.setattr(importing.writing, "_write", write)
    assert import_digest(daily_digest([Entry("Paper", "2301.00001")]), name="x.txt").created == 1
    assert seen == ["1.1"]
    assert setting() == before


def test_a_renamed_area_and_a_cleared_paper_area_do_not_break_a_later_import():
    # A curator renamed CV's code and cleared a paper's area; the paper's old entry still says CV.
    abstract = "Cameras see the world in a new way."
    assert not import_digest(
        daily_digest([Entry("Seeing", "2301.00009", area="CV", abstract_en=abstract)]), name="d.txt"
    ).failed
    Area.objects.filter(code="CV").update(code="VIS")
    Paper.objects.filter(arxiv_id="2301.00009").update(area=None)

    report = import_digest(stream_digest([abstract]), name="s.txt")

    assert not report.failed and report.matched == 1
    paper = Paper.objects.get(arxiv_id="2301.00009")
    assert paper.area is None  # no area of that code exists any more: nothing is guessed
    assert paper.entries.count() == 2
