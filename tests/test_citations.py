"""The citation writers (papers.citations), read back by real parsers: bibtexparser for BibTeX (with
pylatexenc decoding the TeX, as a reference manager would), rispy for RIS."""

import datetime
from urllib.parse import parse_qs

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import SeparateCoAuthors
from hypothesis import given, settings
from hypothesis import strategies as st
from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

from papers.citations import Record, bibtex, bibtex_entry, highwire_tags, openurl, ris, ris_name

HOSTILE_TITLES = [
    "Closing } brace and {opening",
    r"Back\slash \end{document} \input{/etc/passwd}",
    "100% of $5 for #1 a_b ~x^2 & more",
    "<script>alert(1)</script> and \"quotes\" 'too'",
    "@misc{evil, title={x}} }}}} {{{",
    "Line\nbreak\r\nER  - TY  - JOUR",
    "中文标题与 English mixed, é ü ß",
]


def latex_to_text():
    # LaTeX prints \textasciicircum as ^; pylatexenc's table has U+02C6 for it, so it is told.
    context = get_default_latex_context_db()
    context.add_context_category("tex-ascii", prepend=True, macros=[MacroTextSpec("textasciicircum", "^")])
    return LatexNodes2Text(latex_context=context, math_mode="verbatim")


DECODE = latex_to_text().latex_to_text


def make(title, **kwargs):
    values = {
        "key": "arxiv:2301.00001",
        "title": title,
        "title_zh": "中文 {标题} \\ 50%",
        "authors": ("X Ma", "Chunting Zhou", "Smith and Sons Lab", "张三"),
        "authors_truncated": True,
        "arxiv_id": "2301.00001",
        "primary_class": "cs.LG",
        "listed_on": datetime.date(2023, 1, 3),
        "abstract": "First line.\nSecond line with } and \\ and %.",
        "page_url": "https://portal.example/papers/7/",
        "abs_url": "https://arxiv.org/abs/2301.00001",
        "pdf_url": "https://arxiv.org/pdf/2301.00001",
    }
    return Record(**{**values, **kwargs})


def one_line(text):
    return " ".join(text.split())


def parse_bibtex(text):
    library = bibtexparser.parse_string(text, append_middleware=[SeparateCoAuthors()])
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_bibtex_round_trips_every_field_through_a_real_parser(title):
    record = make(title)
    library = parse_bibtex(bibtex([record]))
    (entry,) = library.entries
    fields = {name: field.value for name, field in entry.fields_dict.items()}
    assert entry.entry_type == "misc" and entry.key == "arxiv:2301.00001"
    assert DECODE(fields["title"]) == one_line(title)
    assert DECODE(fields["note"]) == "中文 {标题} \\ 50%"
    assert DECODE(fields["abstract"]) == "First line. Second line with } and \\ and %."
    assert [DECODE(a) for a in fields["author"]] == [
        "X Ma",
        "Chunting Zhou",
        "Smith and Sons Lab",
        "张三",
        "others",
    ]
    assert fields["year"] == "2023"
    assert (fields["eprint"], fields["archivePrefix"], fields["primaryClass"]) == (
        "2301.00001",
        "arXiv",
        "cs.LG",
    )
    assert fields["doi"] == "10.48550/arXiv.2301.00001"
    assert fields["url"] == "https://arxiv.org/abs/2301.00001"


def test_bibtex_escapes_each_tex_special_character_and_keeps_utf8():
    entry = bibtex_entry(make("& % $ # _ { } ~ ^ \\ 中文"), abstract=False)
    assert (
        r"title = {\& \% \$ \# \_ \{ \} \textasciitilde{} \textasciicircum{} \textbackslash{} 中文}" in entry
    )
    assert "abstract" not in entry


def test_a_name_holding_the_word_and_stays_one_author():
    entry = bibtex_entry(make("T"))
    assert "{Smith and Sons Lab}" in entry


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=60))
def test_any_title_stays_inside_its_entry(title):
    """Whatever the title, the file is one entry with the right key, and the other fields survive."""
    text = bibtex([make(title), make("Second", key="paper:9", arxiv_id=None)])
    library = parse_bibtex(text)
    assert [e.key for e in library.entries] == ["arxiv:2301.00001", "paper:9"]
    assert library.entries[0]["year"] == "2023"
    assert library.entries[1]["title"] == "Second"


def test_bibtex_comment_and_papers_without_arxiv_id():
    record = make("Local", key="paper:12", arxiv_id=None, abs_url=None, pdf_url=None, primary_class="cs.LG")
    text = bibtex([record], comment="3 papers from here\nmore than 500")
    assert text.startswith("% 3 papers from here\n% more than 500\n")
    (entry,) = parse_bibtex(text).entries
    assert entry.key == "paper:12"
    assert entry["url"] == "https://portal.example/papers/7/"
    assert entry["year"] == "2023"  # the year a digest listed it, without an arXiv id
    assert "eprint" not in entry.fields_dict and "primaryClass" not in entry.fields_dict


@pytest.mark.parametrize("title", HOSTILE_TITLES)
def test_ris_round_trips_every_field_through_rispy(title):
    text = ris([make(title), make("Second", key="paper:9")], comment="A note\nand another")
    assert "\r\n" in text and text.startswith("Note: A note\r\nNote: and another\r\n")
    first, second = rispy.loads(text)
    assert first == {
        "type_of_reference": "UNPB",
        "id": "arxiv:2301.00001",
        "title": one_line(title),
        "translated_title": "中文 {标题} \\ 50%",
        "authors": ["Ma, X", "Zhou, Chunting", "Lab, Smith and Sons", "张三"],
        "notes": ["The digest shortened the author list."],
        "year": "2023",
        "date": "2023/01/03",
        "publisher": "arXiv",
        "doi": "10.48550/arXiv.2301.00001",
        "keywords": ["cs.LG"],
        "urls": ["https://arxiv.org/abs/2301.00001"],
        "file_attachments1": "https://arxiv.org/pdf/2301.00001",
        "abstract": "First line. Second line with } and \\ and %.",
    }
    assert second["title"] == "Second"


def test_ris_names_are_last_comma_first():
    assert ris_name("X Ma") == "Ma, X"
    assert ris_name("Ma, Xuezhe") == "Ma, Xuezhe"
    assert ris_name("张三") == "张三"
    assert ris_name("Guido van Rossum") == "Rossum, Guido van"


def test_highwire_tags_in_order():
    tags = highwire_tags(make("A <b>title</b>"))
    assert tags[0] == ("citation_title", "A <b>title</b>")  # plain text; the template escapes it
    assert [v for k, v in tags if k == "citation_author"] == [
        "X Ma",
        "Chunting Zhou",
        "Smith and Sons Lab",
        "张三",
    ]
    values = dict(tags)
    assert values["citation_publication_date"] == "2023"
    assert values["citation_online_date"] == "2023/01/03"
    assert values["citation_arxiv_id"] == "2301.00001"
    assert values["citation_pdf_url"] == "https://arxiv.org/pdf/2301.00001"
    assert values["citation_abstract_html_url"] == "https://portal.example/papers/7/"


def test_openurl_context_object_parses():
    fields = parse_qs(openurl(make("A & B = C?")))
    assert fields["ctx_ver"] == ["Z39.88-2004"]
    assert fields["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:journal"]
    assert fields["rft.genre"] == ["preprint"]
    assert fields["rft.atitle"] == ["A & B = C?"]
    assert fields["rft.au"] == ["X Ma", "Chunting Zhou", "Smith and Sons Lab", "张三"]
    assert fields["rft.date"] == ["2023"]
    assert fields["rft_id"] == [
        "info:arxiv/2301.00001", "info:doi/10.48550/arXiv.2301.00001", "https://arxiv.org/abs/2301.00001",
    ]  # fmt: skip
