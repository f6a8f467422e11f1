"""Property tests for papers.parsing: whatever the input, parse_digest returns
a ParsedDigest or raises ParseError, and its cost grows linearly with the input.

The linear-time tests do not measure wall time (which flakes on busy CI
machines); they feed inputs that would take hours with a backtracking regex or
a quadratic loop, so a regression shows up as a test that never finishes.
"""

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papers.parsing import (
    DAILY,
    MAIN,
    OTHER,
    STREAM,
    STREAM_SECTION,
    ParsedDigest,
    ParseError,
    parse_digest,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SEED_BYTES = {path.name: path.read_bytes() for path in sorted(SEEDS.glob("*.txt"))}
DAILY_SEED = SEED_BYTES["004_ae42a3c06c86c834.txt"]
TEXT_FIELDS = ("arxiv_id", "title_en", "title_zh", "summary_zh", "abstract_en", "abstract_zh")

JUNK_LINES = [
    "",
    "\u00a0",
    " \t\u00a0 ",
    "[",
    "]",
    "[]",
    "[LG]",
    "[L1] title",
    "1、[LG]",
    "1、[LG",
    "99. [CV] Another Title: With? Colons & Ampersands",
    "１、[LG] 全角",
    "另外几篇值得关注的论文：",
    "摘要：",
    "摘要:a、、b",
    "LG - 机器学习 CV -",
    "转自",
    "translated by 谷歌翻译",
    "TRANSLATED BY 谷歌翻译",
    "https://arxiv.org/abs/",
    "https://arxiv.org/pdf/2209.10655v2.pdf",
    "arxiv.org/abs/cs/0112017v1",
    "http://example.com/",
    "A B, C D...",
    "…",
    "。",
    "中文。",
    "内容中包含的图片若涉及版权问题,请及时与我们联系删除",
    "\ufeff",
    "\r",
]


def parse_or_reject(data: bytes | str) -> ParsedDigest | None:
    """The contract: a digest or a ParseError; any other exception fails the test."""
    try:
        digest = parse_digest(data, name="fuzz.txt")
    except ParseError as error:
        assert error.file == "fuzz.txt"
        assert error.line is None or error.line >= 1
        assert str(error).startswith("fuzz.txt:")
        return None
    check_invariants(digest)
    return digest


def check_invariants(digest: ParsedDigest) -> None:
    assert digest.format in (DAILY, STREAM)
    assert digest.entries, "a digest without entries must be rejected"
    for entry in digest.entries:
        for name in TEXT_FIELDS:
            value = getattr(entry, name)
            assert value is None or (value and value == value.strip()), (name, value)
        assert all(author and author == author.strip() for author in entry.authors)
        assert all(institution for institution in entry.institutions)
        assert entry.machine_translated <= {"abstract_zh"}
        if digest.format == STREAM:
            assert entry.section == STREAM_SECTION
            assert (entry.abstract_en is None) != (entry.abstract_zh is None)
        else:
            assert entry.section in (MAIN, OTHER)
            assert entry.title_en and entry.area and 2 <= len(entry.area) <= 8
    lines = [entry.line for entry in digest.entries]
    assert lines == sorted(set(lines))
    warning_lines = [warning.line for warning in digest.warnings]
    assert warning_lines == sorted(warning_lines)


def test_every_seed_satisfies_the_invariants():
    for data in SEED_BYTES.values():
        assert parse_or_reject(data) is not None


# --- arbitrary input --------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_arbitrary_text(text):
    parse_or_reject(text)


@settings(max_examples=300, deadline=None)
@given(st.binary())
def test_arbitrary_bytes(data):
    parse_or_reject(data)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(JUNK_LINES) | st.text(max_size=30), max_size=30),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_lines_that_look_like_digest_parts(lines, newline):
    parse_or_reject(newline.join(lines))


# --- mutations of the real seeds --------------------------------------------


@st.composite
def mutated_seed(draw) -> bytes:
    name = draw(st.sampled_from(sorted(SEED_BYTES)))
    lines = SEED_BYTES[name].split(b"\n")
    for _ in range(draw(st.integers(0, 6))):
        operation = draw(st.sampled_from(["delete", "duplicate", "insert", "swap"]))
        at = draw(st.integers(0, len(lines) - 1)) if lines else 0
        if operation == "delete" and lines:
            del lines[at]
        elif operation == "duplicate" and lines:
            lines.insert(at, lines[at])
        elif operation == "insert":
            junk = draw(st.sampled_from(JUNK_LINES) | st.text(max_size=40))
            lines.insert(at, junk.encode("utf-8", "surrogatepass"))
        elif operation == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[at], lines[other] = lines[other], lines[at]
    data = b"\n".join(lines)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return data


@settings(max_examples=250, deadline=None)
@given(mutated_seed())
def test_mutated_seeds(data):
    parse_or_reject(data)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, len(DAILY_SEED)))
def test_daily_seed_truncated_at_any_byte(cut):
    parse_or_reject(DAILY_SEED[:cut])


# --- linear time ------------------------------------------------------------


def synthetic_daily(entries: int) -> str:
    """A daily digest of `entries` copies of the seed's first main entry."""
    text = DAILY_SEED.decode("utf-8")
    preamble, rest = text.split("1、[LG]", 1)
    block = "[LG]" + rest.split("2、[LG]", 1)[0]
    parts = [preamble]
    for number in range(1, entries + 1):
        parts.append(f"{number}、" + block.replace("2209.10655", f"2209.{number:05d}"))
    return "".join(parts)


def test_five_megabyte_daily_digest():
    text = synthetic_daily(2_500)
    assert len(text.encode("utf-8")) > 5_000_000
    digest = parse_digest(text.encode("utf-8"), name="big.txt")
    assert len(digest.entries) == 2_500
    assert digest.entries[-1].arxiv_id == "2209.02500"
    assert digest.warnings == ()


def test_five_megabyte_stream():
    abstract = "Fine-tuning pretrained language models without architectural changes. " * 15
    text = f"{abstract}\ntranslated by 谷歌翻译\n" * 5_000
    assert len(text) > 5_000_000
    assert len(parse_digest(text, name="big.txt").entries) == 5_000


PATHOLOGICAL_LINES = [
    "[" * 19_000,
    "]" * 19_000,
    "1、[" + "A" * 19_000,
    "1、[" + " " * 19_000 + "]",
    "1" * 6 + "、" * 19_000,
    "http://arxiv.org/abs/" + "1" * 19_000,
    "https://arxiv.org/abs/" + "v1" * 9_000,
    "arxiv.org/abs/" + "a" * 19_000 + "/",
    "LG - " * 3_900,
    "摘要:" + "、" * 19_000,
    "translated by " + " " * 19_000,
    "中" + " \u00a0" * 9_000 + "文",
    "A, " * 6_600,
    "... " * 4_900,
    "[" + "A & " * 4_900 + "]",
]


@pytest.mark.parametrize("line", PATHOLOGICAL_LINES, ids=lambda line: repr(line[:12]))
@pytest.mark.parametrize("where", ["alone", "in-daily", "in-stream"])
def test_pathological_lines_finish(line, where):
    if where == "alone":
        text = line
    elif where == "in-daily":
        text = DAILY_SEED.decode("utf-8").replace("A Q. Jiang, W Li...", line)
    else:
        text = f"{line}\ntranslated by 谷歌翻译\n"
    parse_or_reject(text)


def test_many_pathological_lines_in_one_file():
    # Headers are left out: the first bad one would end the parse early.
    lines = [line for line in PATHOLOGICAL_LINES if not line.startswith("1")]
    # 250 lines of up to 20,000 characters: about 5 MB of worst-case lines.
    body = "\n".join(lines[index % len(lines)] for index in range(250))
    digest = parse_or_reject(synthetic_daily(1) + "\n" + body)
    assert digest is not None and len(digest.warnings) >= 200
    parse_or_reject(body)
