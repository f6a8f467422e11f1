"""Citation formats of papers: BibTeX, RIS, Highwire `citation_*` meta tags and COinS (OpenURL).

Pure Python (no Django): papers.downloads turns Paper rows into Records, and these writers turn
Records into text. Every writer takes its values as plain text and escapes them for its format
itself, so no title, name or abstract can end an entry, open a TeX command or inject a tag.

Choices, each written once here:
- BibTeX follows arXiv's own @misc style (eprint, archivePrefix, primaryClass, url); `title` is the
  English title and the Chinese one goes in `note`, which every BibTeX style prints (biblatex's
  `titleaddon` would sit better after the title, but classic .bst styles drop it silently). Text
  stays UTF-8, which biblatex/biber read; TeX's special characters are escaped.
- RIS uses `TY  - UNPB` (unpublished work: RIS's type for a paper not yet in a journal, which an
  arXiv preprint is; JOUR would claim a journal and GEN says nothing), `TT` (RIS's "translated
  title") for the Chinese title, authors as "Last, First" the way RIS asks, lines ended by CRLF.
- Highwire tags follow arXiv's abstract pages (citation_arxiv_id, citation_online_date) plus the
  tags Zotero and Google Scholar read (title, author, publication date, pdf and abstract URLs, DOI).
"""

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import quote, urlencode

# arXiv's primary class for each area code the digests use.
ARXIV_CLASSES = {"LG": "cs.LG", "CV": "cs.CV", "CL": "cs.CL", "AS": "eess.AS", "RO": "cs.RO"}
# arXiv registers a DataCite DOI for every paper, old ones included.
ARXIV_DOI_PREFIX = "10.48550/arXiv."


@dataclass(frozen=True)
class Record:
    """One paper as citation formats need it, in plain text."""

    key: str  # stable and unique: arxiv:<id>, else the portal's paper id
    title: str  # English title, else the Chinese one, else a marked stand-in
    title_zh: str | None = None  # the Chinese title, when `title` is the English one
    authors: tuple[str, ...] = ()  # in order, as the digests print them
    authors_truncated: bool = False  # the digests cut the list ("...")
    arxiv_id: str | None = None
    primary_class: str | None = None  # e.g. cs.LG
    listed_on: date | None = None  # the day a digest listed it (the paper was online by then)
    abstract: str | None = None  # English
    page_url: str | None = None  # the paper's page on the portal, absolute
    abs_url: str | None = None
    pdf_url: str | None = None

    @property
    def year(self):
        """The year of submission the arXiv id gives, else the year a digest listed the paper."""
        from_id = arxiv_year(self.arxiv_id) if self.arxiv_id else None
        return from_id or (str(self.listed_on.year) if self.listed_on else None)

    @property
    def doi(self):
        return ARXIV_DOI_PREFIX + self.arxiv_id if self.arxiv_id else None

    @property
    def url(self):
        """Where the paper is: arXiv's abstract page, else the portal's page."""
        return self.abs_url or self.page_url


def arxiv_year(arxiv_id):
    """2209.10655 → 2022; cs/0112017 → 2001 (the id starts with YYMM)."""
    digits = arxiv_id.rsplit("/", 1)[-1][:2]
    if not digits.isdigit():
        return None
    year = int(digits)
    return str(1900 + year if year >= 91 else 2000 + year)


def one_line(text):
    """Text with every run of whitespace (newlines, tabs, Unicode line separators) made one space:
    no field of any format spans lines, so none can start a tag or end an entry."""
    return " ".join(str(text).split())


# ---------------------------------------------------------------------------------------------- BibTeX

# One pass, so the braces of \textbackslash{} are never escaped again. Other characters stay as they
# are: the file is UTF-8 for biber and (pdf/Xe/Lua)LaTeX's default UTF-8 input, where < > | print as typed.
TEX_ESCAPES = str.maketrans(
    {
        "\\": r"\textbackslash{}",
        "{": r"\{",
        "}": r"\}",
        "&": r"\&",
        "%": r"\%",
        "$": r"\$",
        "#": r"\#",
        "_": r"\_",
        "~": r"\textasciitilde{}",
        "^": r"\textasciicircum{}",
    }
)
# Every URL character but braces, backslash, quote and space.
VERBATIM_SAFE = ":/?#[]@!$&'()*+,;=%~-._|^<>`"
# BibTeX splits an author list on the word "and": a name holding it is kept whole in braces.
AND_WORD = re.compile(r"\band\b", re.IGNORECASE)


def tex_escape(text):
    """Plain text as a TeX string that prints the same characters (UTF-8 kept as it is)."""
    return one_line(text).translate(TEX_ESCAPES)


def verbatim(value):
    """A URL, DOI or eprint id, which biblatex reads verbatim (a TeX escape would print as typed):
    only what could end the field or the entry is percent-encoded."""
    return quote(one_line(value), safe=VERBATIM_SAFE)


def bibtex_name(name):
    escaped = tex_escape(name)
    return f"{{{escaped}}}" if AND_WORD.search(name) else escaped


def bibtex_entry(record, *, abstract=True):
    """One @misc entry; `abstract=False` leaves the abstract out (a snippet to paste)."""
    authors = [bibtex_name(a) for a in record.authors] + (["others"] if record.authors_truncated else [])
    fields = [
        ("title", tex_escape(record.title)),
        ("author", " and ".join(authors)),
        ("year", record.year),
        ("eprint", record.arxiv_id and verbatim(record.arxiv_id)),
        ("archivePrefix", "arXiv" if record.arxiv_id else None),
        ("primaryClass", record.arxiv_id and record.primary_class and tex_escape(record.primary_class)),
        ("doi", record.doi and verbatim(record.doi)),
        ("url", record.url and verbatim(record.url)),
        ("note", record.title_zh and tex_escape(record.title_zh)),
        ("abstract", abstract and record.abstract and tex_escape(record.abstract)),
    ]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@misc{{{record.key},\n{body}\n}}\n"


def bibtex(records, *, comment=None):
    """A .bib file of `records`, with `comment` (plain text) as % lines at its top."""
    header = "".join(f"% {one_line(line)}\n" for line in (comment or "").splitlines() if line.strip())
    return header + (header and "\n") + "\n".join(bibtex_entry(r) for r in records)


# ------------------------------------------------------------------------------------------------ RIS


def ris_name(name):
    """RIS wants "Last, First": a name printed "First Last" is turned like BibTeX reads it (the last
    word is the family name); one with a comma or without a space (e.g. in Han characters) is kept."""
    name = one_line(name)
    if "," in name or " " not in name:
        return name
    first, last = name.rsplit(" ", 1)
    return f"{last}, {first}"


def ris_record(record):
    lines = [
        ("TY", "UNPB"),
        ("ID", record.key),
        ("TI", record.title),
        ("TT", record.title_zh),
        *(("AU", ris_name(a)) for a in record.authors),
        ("N1", "The digest shortened the author list." if record.authors_truncated else None),
        ("PY", record.year),
        ("DA", record.listed_on and record.listed_on.strftime("%Y/%m/%d")),
        ("PB", "arXiv" if record.arxiv_id else None),
        ("DO", record.doi),
        ("KW", record.primary_class),
        ("UR", record.url),
        ("L1", record.pdf_url),
        ("AB", record.abstract),
    ]
    body = "".join(f"{tag}  - {one_line(value)}\r\n" for tag, value in lines if value)
    return body + "ER  - \r\n"


def ris(records, *, comment=None):
    """A .ris file of `records`. `comment` goes in header lines before the first record (the place
    providers put "Provider:" and "Content:"), which RIS readers skip."""
    header = "".join(f"Note: {one_line(line)}\r\n" for line in (comment or "").splitlines() if line.strip())
    return header + (header and "\r\n") + "\r\n".join(ris_record(r) for r in records)


# ------------------------------------------------------------------------- Highwire meta tags and COinS


def highwire_tags(record):
    """(name, content) pairs of a paper page's `citation_*` meta tags, in the order to write them."""
    tags = [("citation_title", record.title)]
    tags += [("citation_author", name) for name in record.authors]
    tags += [
        ("citation_publication_date", record.year),
        ("citation_online_date", record.listed_on and record.listed_on.strftime("%Y/%m/%d")),
        ("citation_arxiv_id", record.arxiv_id),
        ("citation_doi", record.doi),
        ("citation_pdf_url", record.pdf_url),
        ("citation_abstract_html_url", record.page_url),
        ("citation_abstract", record.abstract),
    ]
    return [(name, one_line(value)) for name, value in tags if value]


def openurl(record):
    """The OpenURL ContextObject (Z39.88-2004, key/encoded-value) of a COinS span's title attribute.

    The journal format's genre `preprint` is "an individual paper not yet published"; Zotero's
    connector reads these spans to save every paper of a list page at once.
    """
    pairs = [
        ("ctx_ver", "Z39.88-2004"),
        ("rft_val_fmt", "info:ofi/fmt:kev:mtx:journal"),
        ("rft.genre", "preprint"),
        ("rft.atitle", record.title),
        *(("rft.au", name) for name in record.authors),
        ("rft.date", record.year),
        ("rft.jtitle", "arXiv" if record.arxiv_id else None),
        ("rft_id", record.arxiv_id and f"info:arxiv/{record.arxiv_id}"),
        ("rft_id", record.doi and f"info:doi/{record.doi}"),
        ("rft_id", record.url),
    ]
    return urlencode([(k, one_line(v)) for k, v in pairs if v])
