"""Parse the plain-text paper digests into frozen dataclasses.

Two formats exist:

* the daily digest: an area legend, a ``转自…`` line (reposted from), a ``摘要:`` line,
  numbered main entries (``1、[LG] Title`` …) and an unnumbered "other" list;
* the abstract stream: one abstract per line, each followed by the line
  ``translated by 谷歌翻译``.

This module is deliberately free of Django so that it can be tested and fuzzed
on its own: text in, dataclasses out, ``ParseError`` for anything that is not a
digest.  Every step runs in time linear in the size of the input, because the
files come from outside and must not be able to stall an import.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field

from .cleaning import describe_control_characters, has_control_characters, strip_control_characters

DAILY = "daily"
STREAM = "stream"

MAIN = "main"
OTHER = "other"
STREAM_SECTION = "stream"

# The texts of an entry, and of a paper (papers.models): titles, the Chinese summary, both abstracts.
TEXT_FIELDS = ("title_en", "title_zh", "summary_zh", "abstract_en", "abstract_zh")

MAX_LINE_LENGTH = 20_000
# What the database stores of a value, the same on every backend (SQLite would store longer values,
# PostgreSQL refuses them): a longer value is no arXiv id, name or reposted-from line but a broken file.
MAX_ARXIV_ID_LENGTH = 32
MAX_NAME_LENGTH = 300
MAX_REPOSTED_FROM_LENGTH = 300
# NLP abstracts mix Latin names into Chinese prose, so "mostly Chinese" has to
# be a low bar; English lines in the seeds have no CJK letters at all.
CHINESE_LETTER_RATIO = 0.2

TRANSLATION_MARKER = "translated by 谷歌翻译"
OTHER_LIST_MARKER = "另外几篇值得关注的论文"
# The line naming where the digest was reposted from ("source" is reserved for provenance).
REPOSTED_FROM_PREFIX = "转自"
FOOTER_PREFIX = "内容中包含的图片"

EXPECTED_FORMATS = (
    "expected a daily digest starting with the area legend (e.g. 'LG - 机器学习') "
    "or numbered entries (e.g. '1、[LG] Title'), or an abstract stream of lines "
    f"each followed by '{TRANSLATION_MARKER}'"
)

# str.strip() without arguments strips exactly the characters for which
# isspace() is true (which includes U+00A0 and U+3000) but not the BOM that
# editors leave at the start of a file or of pasted lines.
_EDGE_CHARS = "".join(c for c in map(chr, range(0x3001)) if c.isspace()) + "\ufeff"

# Every pattern is matched against a single line of at most MAX_LINE_LENGTH
# characters and has no nested or overlapping quantifiers, so a failed match
# costs at most one pass over the line.
_NUMBERED_HEADER = re.compile(r"([0-9０-９]{1,6})\s*[、.．]\s*\[")
# The tag is printable ASCII without brackets, so "[图片] …" is not a header.
_TAG_HEADER = re.compile(r"\[([!-Z\\^-~]{1,20})\]\s*(\S.*)")
AREA_CODE = re.compile(r"[A-Za-z]{2,8}")
_SUMMARY = re.compile(r"摘要\s*[:：]")
_TRANSLATION_MARKER = re.compile(r"translated\s+by\s*谷歌翻译", re.IGNORECASE)
_ARXIV_URL = re.compile(r"(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/(\S+)", re.IGNORECASE)
# [0-9], not \d: \d would also accept Arabic-Indic and full-width digits.
_ARXIV_ID = re.compile(r"([0-9]{4}\.[0-9]{4,5}|[A-Za-z][A-Za-z.\-]*/[0-9]{7})(?:v[0-9]+)?(?:\.pdf)?/?")
_OTHER_URL = re.compile(r"https?://", re.IGNORECASE)


class ParseError(ValueError):
    """The input is not a digest; ``line`` is 1-based, or None for the whole file."""

    def __init__(self, message: str, *, file: str, line: int | None):
        self.message = message
        self.file = file
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.file}: {self.message}"
        return f"{self.file}:{self.line}: {self.message}"


class _Invalid(Exception):
    """A line's value breaks a rule; parse_digest() turns it into a ParseError naming the file."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message, self.line = message, line


def _check_length(line: int, value: str | None, limit: int, what: str) -> None:
    if value is not None and len(value) > limit:
        message = f"{what} is {len(value):,} characters long; the limit is {limit:,}: {_excerpt(value)}"
        raise _Invalid(message, line)


@dataclass(frozen=True)
class ParseWarning:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass(frozen=True)
class ParsedEntry:
    """One paper as the digest prints it.

    ``line`` is where the entry starts (its header, or the stream line);
    ``machine_translated`` names the fields that hold machine translations.
    Missing text is None, never "".
    """

    line: int
    section: str
    number: int | None
    area: str | None
    arxiv_id: str | None
    title_en: str | None
    title_zh: str | None
    summary_zh: str | None
    abstract_en: str | None
    abstract_zh: str | None
    authors: tuple[str, ...]
    authors_truncated: bool
    institutions: tuple[str, ...]
    machine_translated: frozenset[str]


@dataclass(frozen=True)
class ParsedDigest:
    """A whole file; ``entries`` are in file order (main, then other, or stream)."""

    name: str
    format: str
    # Left out of the hash so that a digest stays hashable despite the dict.
    legend: dict[str, str] = field(hash=False)
    reposted_from: str | None
    summary_items: tuple[str, ...]
    entries: tuple[ParsedEntry, ...]
    warnings: tuple[ParseWarning, ...]


def parse_digest(data: bytes | str, *, name: str, complete_entries_only: bool = False) -> ParsedDigest:
    """Parse one digest file; raise ParseError if it is neither format.

    A daily digest that ends in the middle of an entry (a file cut off in transfer) is refused, since
    its last entry would become a paper with cut-off text; `complete_entries_only` leaves that entry
    out instead, with a warning.
    """
    lines = _split_lines(_decode(data, name), name)
    lines, cleaned = _without_control_characters(lines)
    rows = [(number, text) for number, text in enumerate(map(_clean, lines), start=1) if text]
    if not rows:
        message = "file is empty" if not any(lines) else "file contains only whitespace"
        raise ParseError(message, file=name, line=None)
    try:
        if _looks_like_stream(rows):
            digest = _parse_stream(rows, name)
        elif _looks_like_daily(rows):
            digest = _parse_daily(rows, name, complete_entries_only)
        else:
            raise ParseError(f"not a digest: {EXPECTED_FORMATS}", file=name, line=rows[0][0])
    except _Invalid as err:
        raise ParseError(err.message, file=name, line=err.line) from None
    if cleaned:
        warnings = sorted((*cleaned, *digest.warnings), key=lambda warning: warning.line)
        digest = dataclasses.replace(digest, warnings=tuple(warnings))
    return digest


# --- reading the file -------------------------------------------------------


def _decode(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        text = data
    else:
        raw = bytes(data)
        utf16 = _utf16(raw)
        if utf16:
            # UTF-16 text is valid UTF-8 when it is mostly ASCII, so it is told apart before decoding.
            raise ParseError(_not_utf8(name, utf16), file=name, line=1)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            message = f"invalid UTF-8: byte 0x{raw[exc.start]:02X} at offset {exc.start}"
            if _is_gb18030(raw):
                message = _not_utf8(name, "GB18030", " (GBK, the Chinese Windows encoding)")
            raise ParseError(message, file=name, line=_line_of_offset(raw, exc.start)) from None
    text = text.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _utf16(raw: bytes) -> str | None:
    """'UTF-16LE' or 'UTF-16BE' when the bytes are UTF-16 text (a byte order mark, or a NUL beside
    most characters, as ASCII and CJK text in UTF-16 has), else None."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16LE" if raw.startswith(b"\xff\xfe") else "UTF-16BE"
    sample = raw[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if max(even, odd) < len(sample) // 4:
        return None
    return "UTF-16LE" if odd > even else "UTF-16BE"


def _is_gb18030(raw: bytes) -> bool:
    try:
        text = raw.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return _CJK_IDEOGRAPH.search(text) is not None


def _not_utf8(name: str, encoding: str, description: str = "") -> str:
    return (
        f"not UTF-8: it looks like {encoding}{description}. Digests are read as UTF-8; convert the "
        f"file first, e.g. `iconv -f {encoding} -t UTF-8 {name} > {name}.utf8`"
    )


def _line_of_offset(raw: bytes, offset: int) -> int:
    prefix = raw[:offset]
    return prefix.count(b"\n") + prefix.count(b"\r") - prefix.count(b"\r\n") + 1


def _split_lines(text: str, name: str) -> list[str]:
    nul = text.find("\x00")
    if nul != -1:
        raise ParseError("NUL byte in a text file", file=name, line=text.count("\n", 0, nul) + 1)
    lines = text.split("\n")
    # Checked before any pattern sees the text, so that no line can make a
    # regular expression (or the CJK count) expensive.
    for number, line in enumerate(lines, start=1):
        if len(line) > MAX_LINE_LENGTH:
            message = f"line is {len(line):,} characters long; the limit is {MAX_LINE_LENGTH:,}"
            raise ParseError(message, file=name, line=number)
    return lines


def _without_control_characters(lines: list[str]) -> tuple[list[str], list[ParseWarning]]:
    """The lines with control characters removed, and a warning for each line that had some."""
    warnings = []
    for number, line in enumerate(lines, start=1):
        if has_control_characters(line):
            found = describe_control_characters(line)
            warnings.append(ParseWarning(number, f"removed control characters from the line: {found}"))
            lines[number - 1] = strip_control_characters(line)
    return lines, warnings


def _clean(text: str) -> str:
    return text.strip(_EDGE_CHARS)


_CJK_IDEOGRAPH = re.compile("[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff\U00020000-\U0003134f]")
# Letters in the Unicode sense (what str.isalpha() counts), found by the regex engine rather than a
# Python loop over every character: this check runs on every line and was the parser's hot spot.
_LETTER = re.compile(r"[^\W\d_]")


def _is_chinese(text: str) -> bool:
    cjk = len(_CJK_IDEOGRAPH.findall(text))
    if not cjk:
        return False
    letters = len(_LETTER.findall(text))
    return cjk >= CHINESE_LETTER_RATIO * letters


def _excerpt(text: str, limit: int = 40) -> str:
    return repr(text if len(text) <= limit else text[:limit] + "…")


# --- format detection -------------------------------------------------------


def _looks_like_stream(rows: list[tuple[int, str]]) -> bool:
    # A marker on the first line is still a (broken) stream: the stream parser
    # then reports the exact line instead of a vague "unknown format".
    return any(_is_translation_marker(text) for _, text in rows[:2])


def _looks_like_daily(rows: list[tuple[int, str]]) -> bool:
    if _parse_legend(rows[0][1]) is not None:
        return True
    return any(_is_other_list_marker(text) or _is_numbered_header(text) for _, text in rows)


def _is_translation_marker(text: str) -> bool:
    return _TRANSLATION_MARKER.fullmatch(text) is not None


def _is_other_list_marker(text: str) -> bool:
    return _clean(text.rstrip(":：")) == OTHER_LIST_MARKER


def _is_numbered_header(text: str) -> bool:
    return _NUMBERED_HEADER.match(text) is not None


# --- abstract stream --------------------------------------------------------


def _parse_stream(rows: list[tuple[int, str]], name: str) -> ParsedDigest:
    entries = []
    pending: tuple[int, str] | None = None
    for number, text in rows:
        if _is_translation_marker(text):
            if pending is None:
                message = f"'{TRANSLATION_MARKER}' without an abstract line before it"
                raise ParseError(message, file=name, line=number)
            entries.append(_stream_entry(*pending))
            pending = None
        elif pending is not None:
            raise _unmarked_abstract(pending[0], name)
        else:
            pending = (number, text)
    if pending is not None:
        raise _unmarked_abstract(pending[0], name)
    return ParsedDigest(
        name=name,
        format=STREAM,
        legend={},
        reposted_from=None,
        summary_items=(),
        entries=tuple(entries),
        warnings=(),
    )


def _unmarked_abstract(line: int, name: str) -> ParseError:
    message = f"abstract stream line is not followed by '{TRANSLATION_MARKER}'"
    return ParseError(message, file=name, line=line)


def _stream_entry(line: int, text: str) -> ParsedEntry:
    # The site prints the marker under every line, but only the Chinese lines
    # are actually machine translations; English lines are the original text.
    chinese = _is_chinese(text)
    return ParsedEntry(
        line=line,
        section=STREAM_SECTION,
        number=None,
        area=None,
        arxiv_id=None,
        title_en=None,
        title_zh=None,
        summary_zh=None,
        abstract_en=None if chinese else text,
        abstract_zh=text if chinese else None,
        authors=(),
        authors_truncated=False,
        institutions=(),
        machine_translated=frozenset({"abstract_zh"}) if chinese else frozenset(),
    )


# --- daily digest: preamble -------------------------------------------------


def _parse_legend(text: str) -> dict[str, str] | None:
    """``LG - 机器学习  CV - 计算机视觉 …``; None if the line is not a legend.

    Separators between pairs are not reliable (the seed has U+00A0 between
    most pairs but a plain space before ``RO``), so the line is read as
    whitespace-separated tokens where ``CODE -`` starts a new pair.
    """
    tokens = text.split()
    if not _starts_legend_pair(tokens, 0):
        return None
    legend: dict[str, str] = {}
    code = ""
    name: list[str] = []
    index = 0
    while index < len(tokens):
        if _starts_legend_pair(tokens, index):
            if code and not _store_legend_pair(legend, code, name):
                return None
            code, name = tokens[index].upper(), []
            index += 2
        else:
            name.append(tokens[index])
            index += 1
    return legend if _store_legend_pair(legend, code, name) else None


def _starts_legend_pair(tokens: list[str], index: int) -> bool:
    return (
        index + 1 < len(tokens)
        and tokens[index + 1] == "-"
        and AREA_CODE.fullmatch(tokens[index]) is not None
    )


def _store_legend_pair(legend: dict[str, str], code: str, name: list[str]) -> bool:
    if not name:
        return False
    legend[code] = " ".join(name)
    return True


def _parse_summary(text: str) -> tuple[str, ...] | None:
    match = _SUMMARY.match(text)
    if match is None:
        return None
    items = (_clean(item) for item in text[match.end() :].split("、"))
    return tuple(item for item in items if item)


@dataclass
class _Preamble:
    legend: dict[str, str] = field(default_factory=dict)
    reposted_from: str | None = None
    summary_items: tuple[str, ...] | None = None

    def take(self, line: int, text: str, warnings: list[ParseWarning]) -> bool:
        """Record a line seen before the first entry; False if it is none of ours."""
        legend = None if self.legend else _parse_legend(text)
        summary = None if self.summary_items is not None else _parse_summary(text)
        if legend is not None:
            self.legend = legend
        elif summary is not None:
            self.summary_items = summary
        elif self.reposted_from is None and text.startswith(REPOSTED_FROM_PREFIX):
            what = f"'{REPOSTED_FROM_PREFIX}' reposted-from line"
            _check_length(line, text, MAX_REPOSTED_FROM_LENGTH, what)
            self.reposted_from = text
        else:
            warnings.append(ParseWarning(line, f"unexpected line before the first entry: {_excerpt(text)}"))
            return False
        return True


# --- daily digest: entries --------------------------------------------------


@dataclass(frozen=True)
class _Header:
    line: int
    section: str
    number: int | None
    area: str
    title: str


def _parse_header(line: int, text: str, name: str) -> _Header | None:
    """``1、[LG] Title`` (main) or ``[LG] Title`` (other list); None for other lines."""
    numbered = _NUMBERED_HEADER.match(text)
    if numbered is not None:
        rest = text[numbered.end() :]
        close = rest.find("]")
        if close == -1:
            raise ParseError("entry header has no closing ']' after the area code", file=name, line=line)
        area, title = _clean(rest[:close]), _clean(rest[close + 1 :])
        number = int(numbered.group(1))  # int() reads full-width digits too
        section = MAIN
    else:
        # An unnumbered bracket is a header only if a short, space-free tag is
        # followed by text; "[DeepMind]" alone is an institutions line.
        tagged = _TAG_HEADER.match(text)
        if tagged is None:
            return None
        area, title = tagged.group(1), tagged.group(2)
        number = None
        section = OTHER
    if AREA_CODE.fullmatch(area) is None:
        message = f"entry header has area code {area!r}; expected 2 to 8 ASCII letters such as 'LG'"
        raise ParseError(message, file=name, line=line)
    if not title:
        raise ParseError("entry header has no title after the area code", file=name, line=line)
    return _Header(line, section, number, area.upper(), title)


# Line kinds double as the words used in warnings ("unexpected Latin line …").
_LINK, _OTHER_LINK, _INSTITUTIONS = "arXiv link", "non-arXiv link", "institutions"
_CHINESE, _LATIN = "Chinese", "Latin"


def _classify(text: str) -> str:
    # By content, not position, so one missing line does not shift the rest.
    if _ARXIV_URL.fullmatch(text) is not None:
        return _LINK
    if _OTHER_URL.match(text) is not None:
        return _OTHER_LINK
    if text.startswith("[") and text.endswith("]"):
        return _INSTITUTIONS
    if _is_chinese(text):
        return _CHINESE
    return _LATIN


@dataclass(frozen=True)
class _Row:
    line: int
    kind: str
    text: str


@dataclass
class _EntryBuilder:
    """Collects the lines of one entry; fields are assigned once it is complete,
    because whether a Latin line is the authors or the abstract depends on
    where the Chinese line turns out to be."""

    header: _Header
    rows: list[_Row] = field(default_factory=list)

    def add(self, line: int, text: str) -> None:
        self.rows.append(_Row(line, _classify(text), text))

    def has_link(self) -> bool:
        return any(row.kind == _LINK for row in self.rows)

    def build(self, warnings: list[ParseWarning]) -> ParsedEntry:
        fields = _Fields(self.header, warnings)
        if self.header.section == MAIN:
            _assign_main(fields, self.rows)
        else:
            _assign_other(fields, self.rows)
        return fields.entry()


class _Fields:
    """The values of one entry while its lines are being assigned."""

    def __init__(self, header: _Header, warnings: list[ParseWarning]):
        self.header = header
        self.warnings = warnings
        self.arxiv_id: str | None = None
        self.title_zh: str | None = None
        self.summary_zh: str | None = None
        self.abstract_en: str | None = None
        self.authors: tuple[str, ...] = ()
        self.authors_truncated = False
        self.institutions: tuple[str, ...] = ()
        self.seen: set[str] = set()

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(ParseWarning(line, message))

    def unexpected(self, row: _Row) -> None:
        self.warn(
            row.line,
            f"unexpected {row.kind} line in the entry at line {self.header.line}: {_excerpt(row.text)}",
        )

    def take_common(self, row: _Row) -> bool:
        """Link and institutions mean the same in both sections; first one wins."""
        if row.kind not in (_LINK, _INSTITUTIONS) or row.kind in self.seen:
            return False
        self.seen.add(row.kind)
        if row.kind == _LINK:
            self.arxiv_id = _arxiv_id(row.text)
            _check_length(row.line, self.arxiv_id, MAX_ARXIV_ID_LENGTH, "arXiv id")
            if self.arxiv_id is None:
                self.warn(row.line, f"arXiv link without a recognisable arXiv id: {_excerpt(row.text)}")
        else:
            self.institutions = _split_institutions(row.text)
            for institution in self.institutions:
                _check_length(row.line, institution, MAX_NAME_LENGTH, "institution name")
            if not self.institutions:
                self.warn(row.line, "institutions line is empty")
        return True

    def take_authors(self, row: _Row) -> None:
        self.seen.add("authors")
        self.authors, self.authors_truncated = _split_authors(row.text)
        for author in self.authors:
            _check_length(row.line, author, MAX_NAME_LENGTH, "author name")

    def report_missing(self, expected: dict[str, str]) -> None:
        for key, description in expected.items():
            if key not in self.seen:
                self.warn(self.header.line, f"entry has no {description}")

    def entry(self) -> ParsedEntry:
        return ParsedEntry(
            line=self.header.line,
            section=self.header.section,
            number=self.header.number,
            area=self.header.area,
            arxiv_id=self.arxiv_id,
            title_en=self.header.title,
            title_zh=self.title_zh,
            summary_zh=self.summary_zh,
            abstract_en=self.abstract_en,
            abstract_zh=None,
            authors=self.authors,
            authors_truncated=self.authors_truncated,
            institutions=self.institutions,
            machine_translated=frozenset(),
        )


_NOWHERE = float("inf")


def _assign_main(fields: _Fields, rows: list[_Row]) -> None:
    """Header / authors / [institutions] / Chinese title。summary / abstract / link."""
    first: dict[str, int] = {}
    for index, row in enumerate(rows):
        first.setdefault(row.kind, index)
    chinese_at = first.get(_CHINESE, _NOWHERE)
    link_at = first.get(_LINK, _NOWHERE)
    # The authors come before everything else; a Latin line in any later
    # position is the abstract (or, between authors and Chinese, noise).
    authors_limit = min(chinese_at, first.get(_INSTITUTIONS, _NOWHERE), link_at)
    abstract: list[_Row] = []
    for index, row in enumerate(rows):
        if fields.take_common(row):
            continue
        if row.kind == _CHINESE and index == chinese_at:
            _take_chinese_title_and_summary(fields, row)
        elif row.kind == _LATIN and index < authors_limit and "authors" not in fields.seen:
            fields.take_authors(row)
        elif row.kind == _LATIN and (chinese_at < index or chinese_at == _NOWHERE) and index < link_at:
            abstract.append(row)
        else:
            fields.unexpected(row)
    _take_abstract(fields, abstract)
    fields.report_missing(
        {
            "authors": "authors line",
            _INSTITUTIONS: "institutions line",
            _CHINESE: "Chinese title line",
            "abstract": "English abstract",
            _LINK: "arXiv link",
        }
    )


def _assign_other(fields: _Fields, rows: list[_Row]) -> None:
    """Header / Chinese title / authors / [institutions] / link — no abstracts."""
    for row in rows:
        if fields.take_common(row):
            continue
        if row.kind == _CHINESE and _CHINESE not in fields.seen:
            fields.seen.add(_CHINESE)
            fields.title_zh = row.text
        elif row.kind == _LATIN and "authors" not in fields.seen:
            fields.take_authors(row)
        else:
            fields.unexpected(row)
    fields.report_missing(
        {
            _CHINESE: "Chinese title line",
            "authors": "authors line",
            _INSTITUTIONS: "institutions line",
            _LINK: "arXiv link",
        }
    )


def _take_chinese_title_and_summary(fields: _Fields, row: _Row) -> None:
    fields.seen.add(_CHINESE)
    title, stop, summary = row.text.partition("。")
    if not stop:
        fields.title_zh = row.text
        fields.warn(
            row.line, "Chinese line has no '。'; the whole line is taken as the title, with no summary"
        )
        return
    fields.title_zh = _clean(title) or None
    fields.summary_zh = _clean(summary) or None
    if fields.title_zh is None:
        fields.warn(row.line, "Chinese line has no title before the first '。'")
    if fields.summary_zh is None:
        fields.warn(row.line, "Chinese line has no summary after the title")


def _take_abstract(fields: _Fields, rows: list[_Row]) -> None:
    if not rows:
        return
    fields.seen.add("abstract")
    fields.abstract_en = " ".join(row.text for row in rows)
    if len(rows) > 1:
        fields.warn(rows[0].line, f"English abstract spans {len(rows)} lines; they were joined with spaces")


def _arxiv_id(text: str) -> str | None:
    url = _ARXIV_URL.fullmatch(text)
    if url is None:
        return None
    identifier = _ARXIV_ID.fullmatch(url.group(1))
    return identifier.group(1) if identifier else None


def _split_institutions(text: str) -> tuple[str, ...]:
    # Only " & " separates: commas belong to names like "University of
    # California, Berkeley", and "AT&T" has no spaces around its ampersand.
    pieces = (_clean(piece) for piece in text[1:-1].split(" & "))
    return tuple(piece for piece in pieces if piece)


def _split_authors(text: str) -> tuple[tuple[str, ...], bool]:
    truncated = text.endswith(("...", "…"))
    if truncated:
        text = text.removesuffix("...").removesuffix("…")
    pieces = (_clean(piece) for piece in text.replace("，", ",").split(","))
    return tuple(piece for piece in pieces if piece), truncated


# --- daily digest: the whole file -------------------------------------------


def _parse_daily(rows: list[tuple[int, str]], name: str, complete_entries_only: bool) -> ParsedDigest:
    warnings: list[ParseWarning] = []
    preamble = _Preamble()
    first_stray_line: int | None = None
    entries: list[ParsedEntry] = []
    current: _EntryBuilder | None = None
    for line, text in rows:
        header = _parse_header(line, text, name)
        if header is not None or _is_other_list_marker(text) or text.startswith(FOOTER_PREFIX):
            if current is not None:
                entries.append(current.build(warnings))
            current = _EntryBuilder(header) if header is not None else None
        elif current is not None:
            current.add(line, text)
        elif entries:
            warnings.append(ParseWarning(line, f"unexpected line outside any entry: {_excerpt(text)}"))
        elif not preamble.take(line, text, warnings) and first_stray_line is None:
            first_stray_line = line
    if current is not None:
        # The file ends inside this entry: with its arXiv link (the last line of an entry) it is whole.
        if current.has_link():
            entries.append(current.build(warnings))
        elif not complete_entries_only:
            message = (
                f"the file ends in the middle of the entry that starts at line {current.header.line} "
                "(it has no arXiv link, and no closing line follows), so the file looks cut off. Import "
                "the whole file, or ask for its complete entries only (load_digests --complete-entries-only)"
            )
            raise ParseError(message, file=name, line=current.header.line)
        else:
            warnings.append(
                ParseWarning(
                    current.header.line, "the file ends in the middle of this entry; it was left out"
                )
            )
    if not entries:
        message = "daily digest has no entries: expected numbered entries such as '1、[LG] Title'"
        raise ParseError(message, file=name, line=first_stray_line or rows[0][0])
    _check_numbering(entries, warnings)
    _check_areas(entries, preamble.legend, warnings)
    _check_duplicate_ids(entries, warnings)
    return ParsedDigest(
        name=name,
        format=DAILY,
        legend=preamble.legend,
        reposted_from=preamble.reposted_from,
        summary_items=preamble.summary_items or (),
        entries=tuple(entries),
        # Stable sort: an entry's own warnings stay in the order they were found.
        warnings=tuple(sorted(warnings, key=lambda warning: warning.line)),
    )


def _check_numbering(entries: list[ParsedEntry], warnings: list[ParseWarning]) -> None:
    # A gap or repeat usually means a lost or duplicated block of lines.
    expected = 1
    for entry in entries:
        if entry.number is None:
            continue
        if entry.number != expected:
            warnings.append(ParseWarning(entry.line, f"entry number {entry.number}; expected {expected}"))
        expected = entry.number + 1


def _check_areas(entries: list[ParsedEntry], legend: dict[str, str], warnings: list[ParseWarning]) -> None:
    if not legend:
        warnings.append(ParseWarning(entries[0].line, "daily digest has no area legend"))
        return
    for entry in entries:
        if entry.area not in legend:
            warnings.append(ParseWarning(entry.line, f"area {entry.area!r} is not in the legend"))


def _check_duplicate_ids(entries: list[ParsedEntry], warnings: list[ParseWarning]) -> None:
    first_line: dict[str, int] = {}
    for entry in entries:
        if entry.arxiv_id is None:
            continue
        if entry.arxiv_id in first_line:
            message = (
                f"arXiv id {entry.arxiv_id} already appears in the entry at line {first_line[entry.arxiv_id]}"
            )
            warnings.append(ParseWarning(entry.line, message))
        else:
            first_line[entry.arxiv_id] = entry.line
