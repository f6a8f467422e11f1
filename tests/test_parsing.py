"""Tests for papers.parsing: the real seed digests, then one test per noise or
rejection case, each built from a small template that mirrors the seed layout.

These tests need no Django: papers.parsing is pure standard library.
"""

import random
from pathlib import Path

import pytest

from papers.parsing import (
    DAILY,
    MAIN,
    OTHER,
    STREAM,
    STREAM_SECTION,
    ParsedDigest,
    ParseError,
    ParseWarning,
    parse_digest,
)

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
DAILY_SEED = "004_ae42a3c06c86c834.txt"
STREAM_SEEDS = {
    # file: 1-based positions (among its 10 abstracts) of the Chinese ones
    "000_0898168c9bae7e41.txt": {1},
    "001_47a37dcab65b9eb2.txt": {1, 2},
    "002_b4e12f416a6edd2c.txt": {1, 2, 3, 4},
    "003_534fdd139920522d.txt": {2, 3, 4, 5, 6},
}
NBSP = "\u00a0"


def parse_seed(file_name: str) -> ParsedDigest:
    return parse_digest((SEEDS / file_name).read_bytes(), name=f"seeds/{file_name}")


def seed_lines(file_name: str) -> list[str]:
    return (SEEDS / file_name).read_text(encoding="utf-8").split("\n")


# --- the real seeds ---------------------------------------------------------


@pytest.fixture(scope="module")
def daily() -> ParsedDigest:
    return parse_seed(DAILY_SEED)


def test_daily_seed_preamble(daily):
    assert daily.name == f"seeds/{DAILY_SEED}"
    assert daily.format == DAILY
    assert daily.legend == {
        "LG": "机器学习",
        "CV": "计算机视觉",
        "CL": "计算与语言",
        "AS": "音频与语音",
        "RO": "机器人",
    }
    assert daily.reposted_from == "转自爱可可爱生活"
    assert len(daily.summary_items) == 9
    assert daily.summary_items[0] == "移动平均单头门控注意力"
    assert daily.summary_items[-1] == "无限深度神经网络变分推理"
    assert daily.warnings == ()


def test_daily_seed_entry_list(daily):
    summary = [(e.section, e.number, e.area, e.arxiv_id, e.line) for e in daily.entries]
    assert summary == [
        (MAIN, 1, "LG", "2209.10655", 9),
        (MAIN, 2, "LG", "2209.11204", 21),
        (MAIN, 3, "LG", "2209.11215", 33),
        (MAIN, 4, "LG", "2205.10893", 45),
        (MAIN, 5, "LG", "2206.06565", 57),
        (OTHER, None, "LG", "2209.10958", 73),
        (OTHER, None, "CV", "2209.10185", 82),
        (OTHER, None, "RO", "2209.09233", 91),
        (OTHER, None, "LG", "2209.10091", 100),
    ]


def test_daily_seed_first_main_entry(daily):
    lines = seed_lines(DAILY_SEED)
    entry = daily.entries[0]
    assert entry.title_en == "Mega: Moving Average Equipped Gated Attention"
    assert entry.title_zh == "Mega:移动平均单头门控注意力"
    assert entry.summary_zh.startswith("Transformer注意力机制的设计选择")
    assert entry.summary_zh.endswith("都有明显的改进。")
    # Character-identical to the file: the importer matches abstracts exactly.
    assert entry.abstract_en == lines[14]
    assert entry.abstract_zh is None
    assert entry.authors == (
        "X Ma",
        "C Zhou",
        "X Kong",
        "J He",
        "L Gui",
        "G Neubig",
        "J May",
        "L Zettlemoyer",
    )
    assert entry.authors_truncated is False
    assert entry.institutions == (
        "University of Southern California",
        "Meta AI Research",
        "CMU",
        "Shanghai Jiao Tong University",
    )
    assert entry.machine_translated == frozenset()


def test_daily_seed_titles_are_never_split(daily):
    assert daily.entries[1].title_en == (
        "Layer Freezing & Data Sieving: Missing Pieces of a Generic Framework for Sparse Training"
    )
    assert daily.entries[1].title_zh == "层冻结和数据筛分:稀疏训练通用框架的缺失部分"
    assert daily.entries[2].title_zh == "采样像学习分数一样容易:基于最小数据假设的扩散模型理论"


def test_daily_seed_institutions_and_truncated_authors(daily):
    assert daily.entries[2].institutions == ("UC Berkeley", "MIT", "Microsoft Research")
    assert daily.entries[2].authors[-1] == "A R. Zhang"
    assert daily.entries[3].authors == ("A Q. Jiang", "W Li")
    assert daily.entries[3].authors_truncated is True
    assert daily.entries[4].institutions == ("University of Wisconsin-Madison",)


def test_daily_seed_every_main_entry_is_complete(daily):
    for entry in daily.entries[:5]:
        assert entry.title_en and entry.title_zh and entry.summary_zh and entry.abstract_en
        assert entry.authors and entry.institutions and entry.arxiv_id


def test_daily_seed_other_list(daily):
    others = daily.entries[5:]
    assert [e.title_en for e in others] == [
        "Developing, Evaluating and Scaling Learning Agents in Multi-Agent Environments",
        "D-InLoc++: Indoor Localization in Dynamic Environments",
        "Learning to Walk by Steering: Perceptive Quadrupedal Locomotion in Dynamic Environments",
        "Variational Inference for Infinitely Deep Neural Networks",
    ]
    assert [e.title_zh for e in others] == [
        "多智能体环境中的智能体开发、评估和扩展学习",
        "D-InLoc++:动态环境室内定位",
        "通过转向学习走路:动态环境中的感知四足运动",
        "无限深度神经网络变分推理",
    ]
    assert others[0].authors == ("I Gemp", "T Anthony", "Y Bachrach", "A Bhoopchand")
    assert others[0].authors_truncated is True
    assert others[0].institutions == ("DeepMind",)
    assert others[2].institutions == ("The University of Texas at Austin", "Vanderbilt University")
    assert others[3].authors == ("A Nazaret", "D Blei")
    for entry in others:
        assert entry.summary_zh is None and entry.abstract_en is None and entry.abstract_zh is None


@pytest.mark.parametrize("file_name", sorted(STREAM_SEEDS))
def test_stream_seeds(file_name):
    digest = parse_seed(file_name)
    lines = seed_lines(file_name)
    assert digest.format == STREAM
    assert (digest.legend, digest.reposted_from, digest.summary_items, digest.warnings) == ({}, None, (), ())
    assert len(digest.entries) == 10
    chinese = set()
    for position, entry in enumerate(digest.entries, start=1):
        assert entry.line == 2 * position - 1
        assert entry.section == STREAM_SECTION
        assert (entry.number, entry.area, entry.arxiv_id, entry.title_en, entry.title_zh) == (None,) * 5
        assert (entry.authors, entry.authors_truncated, entry.institutions) == ((), False, ())
        text = lines[entry.line - 1]
        if entry.abstract_zh is not None:
            chinese.add(position)
            assert (entry.abstract_zh, entry.abstract_en) == (text, None)
            assert entry.machine_translated == frozenset({"abstract_zh"})
        else:
            assert entry.abstract_en == text
            assert entry.machine_translated == frozenset()
    assert chinese == STREAM_SEEDS[file_name]


def test_seeds_hold_49_entries_in_total():
    assert sum(len(parse_seed(path.name).entries) for path in SEEDS.glob("*.txt")) == 49


# --- a small digest in the seed's layout ------------------------------------

TEMPLATE = f"""\
LG - 机器学习 {NBSP} CV - 计算机视觉 {NBSP} CL - 计算与语言

转自爱可可爱生活

摘要:移动平均单头门控注意力、动态环境室内定位

{NBSP}

1、[LG] Mega: Moving Average Equipped Gated Attention

X Ma, C Zhou, L Zettlemoyer
[University of Southern California & Meta AI Research]
Mega:移动平均单头门控注意力。本文提出Mega,一种简单的单头门控注意力机制。

The design choices in the Transformer attention mechanism have limited its application.

https://arxiv.org/abs/2209.10655

{NBSP}

另外几篇值得关注的论文:

{NBSP}

[CV] D-InLoc++: Indoor Localization in Dynamic Environments

D-InLoc++:动态环境室内定位
M Dubenova, T Pajdla, M Polic
[Czech Technical University in Prague]
https://arxiv.org/abs/2209.10185

{NBSP}

内容中包含的图片若涉及版权问题,请及时与我们联系删除
"""
HEADER_LINE = 9
AUTHORS_LINE = 11
INSTITUTIONS_LINE = 12
CHINESE_LINE = 13
ABSTRACT_LINE = 15
LINK_LINE = 17
OTHER_HEADER_LINE = 25


def variant(*replacements: tuple[str, str]) -> str:
    text = TEMPLATE
    for old, new in replacements:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def parse(text: str | bytes) -> ParsedDigest:
    data = text.encode("utf-8") if isinstance(text, str) else text
    return parse_digest(data, name="t.txt")


def main_entry(text: str | bytes):
    return parse(text).entries[0]


def warnings_of(text: str | bytes) -> list[tuple[int, str]]:
    return [(w.line, w.message) for w in parse(text).warnings]


def test_template_is_clean():
    digest = parse(TEMPLATE)
    assert digest.warnings == ()
    assert [(e.line, e.section) for e in digest.entries] == [(HEADER_LINE, MAIN), (OTHER_HEADER_LINE, OTHER)]
    entry = digest.entries[0]
    assert entry.title_zh == "Mega:移动平均单头门控注意力"
    assert entry.summary_zh == "本文提出Mega,一种简单的单头门控注意力机制。"
    assert (
        entry.abstract_en
        == "The design choices in the Transformer attention mechanism have limited its application."
    )


# --- noise that must be tolerated -------------------------------------------


def test_utf8_bom_is_ignored():
    digest = parse(b"\xef\xbb\xbf" + TEMPLATE.encode("utf-8"))
    assert digest == parse(TEMPLATE)
    assert list(digest.legend) == ["LG", "CV", "CL"]


@pytest.mark.parametrize("newline", ["\r\n", "\r"], ids=["crlf", "lone-cr"])
def test_crlf_and_lone_cr_line_endings(newline):
    assert parse(TEMPLATE.replace("\n", newline)) == parse(TEMPLATE)


def test_trailing_spaces_and_nbsp_are_stripped():
    text = variant(
        (
            "Mega: Moving Average Equipped Gated Attention\n",
            f"Mega: Moving Average Equipped Gated Attention {NBSP} \n",
        ),
        ("L Zettlemoyer\n", f"L Zettlemoyer  {NBSP}\n"),
        ("Meta AI Research]\n", f"Meta AI Research]{NBSP}\t\n"),
        ("https://arxiv.org/abs/2209.10655", f"{NBSP} https://arxiv.org/abs/2209.10655 "),
    )
    digest = parse(text)
    assert digest == parse(TEMPLATE)


def test_blank_looking_lines_are_blank():
    digest = parse(TEMPLATE.replace("\n\n", f"\n \t{NBSP}  \n"))
    assert digest.entries == parse(TEMPLATE).entries
    assert digest.warnings == ()


@pytest.mark.parametrize(
    ("header", "number", "area"),
    [
        ("1、[LG] T", 1, "LG"),
        ("1.[LG] T", 1, "LG"),
        ("2.[CL] T", 2, "CL"),
        ("4. [CV] T", 4, "CV"),
        ("１、[LG] T", 1, "LG"),
        ("1．[LG] T", 1, "LG"),
        ("1 、 [ lg ]  T", 1, "LG"),
    ],
)
def test_numbering_variants(header, number, area):
    digest = parse(variant(("1、[LG] Mega: Moving Average Equipped Gated Attention", header)))
    entry = digest.entries[0]
    assert (entry.number, entry.area, entry.title_en, entry.arxiv_id) == (number, area, "T", "2209.10655")
    expected = [] if number == 1 else [(HEADER_LINE, f"entry number {number}; expected 1")]
    assert [(w.line, w.message) for w in digest.warnings] == expected


def test_full_width_colon_after_summary_label():
    digest = parse(variant(("摘要:", "摘要：")))
    assert digest.summary_items == ("移动平均单头门控注意力", "动态环境室内定位")
    assert digest.warnings == ()


def test_missing_institutions_line():
    text = variant(("[University of Southern California & Meta AI Research]\n", ""))
    entry = main_entry(text)
    assert entry.institutions == ()
    assert entry.authors == ("X Ma", "C Zhou", "L Zettlemoyer")
    assert entry.title_zh == "Mega:移动平均单头门控注意力"
    assert warnings_of(text) == [(HEADER_LINE, "entry has no institutions line")]


@pytest.mark.parametrize(
    ("authors_line", "authors", "truncated"),
    [
        ("A Q. Jiang, W Li...", ("A Q. Jiang", "W Li"), True),
        ("A Q. Jiang, W Li…", ("A Q. Jiang", "W Li"), True),
        ("A Q. Jiang, W Li ...", ("A Q. Jiang", "W Li"), True),
        ("A Q. Jiang, W Li, ...", ("A Q. Jiang", "W Li"), True),
        ("A Q. Jiang, W Li", ("A Q. Jiang", "W Li"), False),
        ("X Ma，C Zhou, L Zettlemoyer", ("X Ma", "C Zhou", "L Zettlemoyer"), False),
        ("X Ma,, C Zhou , ,L Zettlemoyer,", ("X Ma", "C Zhou", "L Zettlemoyer"), False),
    ],
)
def test_author_lists(authors_line, authors, truncated):
    text = variant(("X Ma, C Zhou, L Zettlemoyer", authors_line))
    entry = main_entry(text)
    assert (entry.authors, entry.authors_truncated) == (authors, truncated)
    assert warnings_of(text) == []


def test_title_with_colon_question_mark_and_ampersand_is_one_title():
    title = "Is Attention All You Need? Yes & No: A Study [Revisited]"
    entry = main_entry(variant(("Mega: Moving Average Equipped Gated Attention", title)))
    assert entry.title_en == title


@pytest.mark.parametrize(
    ("link", "arxiv_id"),
    [
        ("https://arxiv.org/abs/2209.10655", "2209.10655"),
        ("http://arxiv.org/abs/2209.10655", "2209.10655"),
        ("https://arxiv.org/pdf/2209.10655v2.pdf", "2209.10655"),
        ("https://arxiv.org/pdf/2209.10655", "2209.10655"),
        ("https://arxiv.org/abs/2209.10655v3", "2209.10655"),
        ("arxiv.org/abs/2209.10655v3", "2209.10655"),
        ("https://www.arxiv.org/abs/1706.03762/", "1706.03762"),
        ("https://arxiv.org/abs/2101.0001", "2101.0001"),
        ("https://arxiv.org/abs/cs/0112017", "cs/0112017"),
        ("https://arxiv.org/abs/math.GT/0309136v1", "math.GT/0309136"),
    ],
)
def test_link_variants(link, arxiv_id):
    text = variant(("https://arxiv.org/abs/2209.10655", link))
    assert main_entry(text).arxiv_id == arxiv_id
    assert warnings_of(text) == []


def test_unrecognisable_arxiv_id_is_a_warning():
    text = variant(("https://arxiv.org/abs/2209.10655", "https://arxiv.org/abs/list/cs.LG"))
    assert main_entry(text).arxiv_id is None
    assert warnings_of(text) == [
        (LINK_LINE, "arXiv link without a recognisable arXiv id: 'https://arxiv.org/abs/list/cs.LG'")
    ]


@pytest.mark.parametrize(
    ("line", "institutions"),
    [
        ("[University of California, Berkeley & MIT]", ("University of California, Berkeley", "MIT")),
        ("[AT&T Labs & Snap Inc]", ("AT&T Labs", "Snap Inc")),
        ("[DeepMind]", ("DeepMind",)),
        ("[ A &  & B ]", ("A", "B")),
    ],
)
def test_institutions_split_on_spaced_ampersand_only(line, institutions):
    text = variant(("[University of Southern California & Meta AI Research]", line))
    assert main_entry(text).institutions == institutions


def test_chinese_line_without_full_stop():
    text = variant(
        (
            "Mega:移动平均单头门控注意力。本文提出Mega,一种简单的单头门控注意力机制。",
            "Mega:移动平均单头门控注意力",
        )
    )
    entry = main_entry(text)
    assert (entry.title_zh, entry.summary_zh) == ("Mega:移动平均单头门控注意力", None)
    assert warnings_of(text) == [
        (CHINESE_LINE, "Chinese line has no '。'; the whole line is taken as the title, with no summary")
    ]


def test_chinese_line_with_latin_words_is_still_chinese():
    # 17 CJK ideographs among 53 letters: about a third, above the 20% bar.
    line = "LoRA:大语言模型的低秩适配。本文在GPT-3 175B和RoBERTa base上验证Low-Rank Adaptation。"
    entry = main_entry(
        variant(("Mega:移动平均单头门控注意力。本文提出Mega,一种简单的单头门控注意力机制。", line))
    )
    assert entry.title_zh == "LoRA:大语言模型的低秩适配"
    assert entry.summary_zh == "本文在GPT-3 175B和RoBERTa base上验证Low-Rank Adaptation。"


def test_main_entry_without_link():
    text = variant(("https://arxiv.org/abs/2209.10655\n", ""))
    entry = main_entry(text)
    assert entry.arxiv_id is None
    assert entry.abstract_en.startswith("The design choices")
    assert warnings_of(text) == [(HEADER_LINE, "entry has no arXiv link")]


def test_abstract_over_several_lines_is_joined_with_spaces():
    text = variant(
        (
            "The design choices in the Transformer attention mechanism have limited its application.",
            "The design choices in the Transformer\nattention mechanism have  \n\nlimited its application.",
        )
    )
    entry = main_entry(text)
    assert entry.abstract_en == (
        "The design choices in the Transformer attention mechanism have limited its application."
    )
    assert warnings_of(text) == [
        (ABSTRACT_LINE, "English abstract spans 3 lines; they were joined with spaces")
    ]


def test_unknown_lines_inside_an_entry_are_reported_not_dropped():
    text = variant(
        (
            "https://arxiv.org/abs/2209.10655\n",
            "https://arxiv.org/abs/2209.10655\nCode: github.com/facebookresearch/mega\n"
            "https://github.com/facebookresearch/mega\n另一行中文说明\n",
        )
    )
    entry = main_entry(text)
    assert entry.arxiv_id == "2209.10655"
    assert entry.abstract_en.endswith("limited its application.")
    assert warnings_of(text) == [
        (18, "unexpected Latin line in the entry at line 9: 'Code: github.com/facebookresearch/mega'"),
        (
            19,
            "unexpected non-arXiv link line in the entry at line 9: 'https://github.com/facebookresearch/mega'",
        ),
        (20, "unexpected Chinese line in the entry at line 9: '另一行中文说明'"),
    ]


def test_missing_chinese_line_does_not_shift_the_other_lines():
    text = variant(("Mega:移动平均单头门控注意力。本文提出Mega,一种简单的单头门控注意力机制。\n", ""))
    entry = main_entry(text)
    assert entry.authors == ("X Ma", "C Zhou", "L Zettlemoyer")
    assert entry.institutions == ("University of Southern California", "Meta AI Research")
    assert (entry.title_zh, entry.summary_zh) == (None, None)
    assert entry.abstract_en.startswith("The design choices")
    assert warnings_of(text) == [(HEADER_LINE, "entry has no Chinese title line")]


def test_missing_authors_line_does_not_shift_the_other_lines():
    text = variant(("X Ma, C Zhou, L Zettlemoyer\n", ""))
    entry = main_entry(text)
    assert (entry.authors, entry.authors_truncated) == ((), False)
    assert entry.institutions == ("University of Southern California", "Meta AI Research")
    assert entry.abstract_en.startswith("The design choices")
    assert warnings_of(text) == [(HEADER_LINE, "entry has no authors line")]


def test_other_entry_lines_in_another_order():
    text = variant(
        (
            "D-InLoc++:动态环境室内定位\nM Dubenova, T Pajdla, M Polic\n",
            "M Dubenova, T Pajdla, M Polic\nD-InLoc++:动态环境室内定位\n",
        )
    )
    entry = parse(text).entries[1]
    assert (entry.title_zh, entry.authors) == (
        "D-InLoc++:动态环境室内定位",
        ("M Dubenova", "T Pajdla", "M Polic"),
    )
    assert warnings_of(text) == []


def test_other_entry_without_chinese_title_and_link():
    text = variant(("D-InLoc++:动态环境室内定位\n", ""), ("https://arxiv.org/abs/2209.10185\n", ""))
    entry = parse(text).entries[1]
    assert (entry.title_zh, entry.arxiv_id) == (None, None)
    assert entry.authors == ("M Dubenova", "T Pajdla", "M Polic")
    assert warnings_of(text) == [
        (OTHER_HEADER_LINE, "entry has no Chinese title line"),
        (OTHER_HEADER_LINE, "entry has no arXiv link"),
    ]


def test_other_list_without_its_marker_line_is_still_recognised():
    text = variant(("另外几篇值得关注的论文:\n", ""))
    assert [(e.section, e.arxiv_id) for e in parse(text).entries] == [
        (MAIN, "2209.10655"),
        (OTHER, "2209.10185"),
    ]


def test_digest_without_legend_is_daily_because_of_numbered_entries():
    text = variant(("LG - 机器学习 \u00a0 CV - 计算机视觉 \u00a0 CL - 计算与语言\n", ""))
    digest = parse(text)
    assert (digest.format, digest.legend, len(digest.entries)) == (DAILY, {}, 2)
    assert warnings_of(text) == [(HEADER_LINE - 1, "daily digest has no area legend")]


def test_area_missing_from_legend_numbering_gap_and_duplicate_id():
    text = variant(
        ("1、[LG] Mega", "3、[AS] Mega"),
        ("https://arxiv.org/abs/2209.10185", "https://arxiv.org/abs/2209.10655v2"),
    )
    assert warnings_of(text) == [
        (HEADER_LINE, "entry number 3; expected 1"),
        (HEADER_LINE, "area 'AS' is not in the legend"),
        (OTHER_HEADER_LINE, "arXiv id 2209.10655 already appears in the entry at line 9"),
    ]


def test_stray_lines_outside_entries_are_reported():
    text = variant(
        ("转自爱可可爱生活\n", "转自爱可可爱生活\n今天的内容如下\n"),
        ("另外几篇值得关注的论文:\n", "另外几篇值得关注的论文:\nsee below\n"),
    )
    assert warnings_of(text) == [
        (4, "unexpected line before the first entry: '今天的内容如下'"),
        (23, "unexpected line outside any entry: 'see below'"),
    ]


def test_stream_tolerates_whitespace_blank_lines_and_marker_case():
    text = (
        f"{NBSP}这是一段机器翻译的摘要。 \r\n\r\n  Translated By 谷歌翻译{NBSP}\r\n"
        f"An English abstract.\t\r\nTRANSLATED BY  谷歌翻译\r\n\r\n"
    )
    digest = parse(text)
    assert digest.format == STREAM
    assert [(e.line, e.abstract_zh, e.abstract_en, set(e.machine_translated)) for e in digest.entries] == [
        (1, "这是一段机器翻译的摘要。", None, {"abstract_zh"}),
        (4, None, "An English abstract.", set()),
    ]


def test_str_input_is_accepted():
    assert parse_digest(TEMPLATE, name="t.txt") == parse(TEMPLATE)


def test_results_are_immutable_and_hashable(daily):
    with pytest.raises(AttributeError):
        daily.entries[0].title_en = "x"  # type: ignore[misc]
    assert hash(daily) == hash(parse_seed(DAILY_SEED))
    assert str(ParseWarning(3, "oops")) == "line 3: oops"


# --- rejections -------------------------------------------------------------


def rejection(data: str | bytes) -> ParseError:
    with pytest.raises(ParseError) as caught:
        parse(data)
    assert caught.value.file == "t.txt"
    return caught.value


def test_parse_error_formats_file_and_line():
    error = ParseError("boom", file="seeds/x.txt", line=12)
    assert isinstance(error, ValueError)
    assert (error.message, error.file, error.line) == ("boom", "seeds/x.txt", 12)
    assert str(error) == "seeds/x.txt:12: boom"
    assert str(ParseError("boom", file="seeds/x.txt", line=None)) == "seeds/x.txt: boom"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "file is empty"),
        (b"\xef\xbb\xbf", "file is empty"),
        (f" \n\t\r\n{NBSP}\n　\n".encode(), "file contains only whitespace"),
    ],
)
def test_empty_or_whitespace_only_file(data, message):
    error = rejection(data)
    assert (error.line, error.message) == (None, message)


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "lone-cr"])
def test_invalid_utf8_names_the_line_of_the_bad_byte(newline):
    data = TEMPLATE.replace("\n", newline).encode("utf-8")
    at = data.index("Mega:移动".encode())
    error = rejection(data[:at] + b"\xff" + data[at:])
    assert error.line == CHINESE_LINE
    assert error.message.startswith("invalid UTF-8: byte 0xFF")


def test_nul_byte():
    error = rejection(variant(("X Ma, C Zhou", "X Ma,\x00 C Zhou")))
    assert (error.line, error.message) == (AUTHORS_LINE, "NUL byte in a text file")


@pytest.mark.parametrize("template", ["daily", "stream"])
def test_overlong_line(template):
    long_line = "A" * 200_000
    if template == "daily":
        text = variant(("The design choices", long_line + " The design choices"))
        line = ABSTRACT_LINE
    else:
        text = f"abstract\ntranslated by 谷歌翻译\n{long_line}\ntranslated by 谷歌翻译\n"
        line = 3
    error = rejection(text)
    assert error.line == line
    assert "200,0" in error.message and "20,000" in error.message


def test_line_of_exactly_the_limit_is_accepted():
    text = f"{'a' * 20_000}\ntranslated by 谷歌翻译\n"
    assert parse(text).entries[0].abstract_en == "a" * 20_000


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("Dear reader,\n\nthis is just a letter about papers.\nBest wishes\n", 1),
        ("\n\n  \nIn this paper we propose a method.\n", 4),
        ("随便写的一段中文。\n另一段中文。\n", 1),
    ],
)
def test_prose_is_neither_format(text, line):
    error = rejection(text)
    assert error.line == line
    assert "expected a daily digest starting with the area legend" in error.message
    assert "numbered entries" in error.message
    assert "translated by 谷歌翻译" in error.message


def test_daily_digest_without_entries():
    text = TEMPLATE.split("1、[LG]")[0]
    error = rejection(text)
    assert error.line == 1
    assert error.message.startswith("daily digest has no entries")


def test_daily_digest_without_entries_names_the_first_line_that_does_not_fit():
    error = rejection("LG - 机器学习 CV - 计算机视觉\n转自爱可可爱生活\nnothing else to see\n")
    assert (error.line, error.message[:27]) == (3, "daily digest has no entries")


@pytest.mark.parametrize("header", ["1、[LG]", f"1、[LG]  {NBSP}", "2. [CV] "])
def test_numbered_header_without_title(header):
    error = rejection(variant(("1、[LG] Mega: Moving Average Equipped Gated Attention", header)))
    assert (error.line, error.message) == (HEADER_LINE, "entry header has no title after the area code")


@pytest.mark.parametrize(
    ("header", "line"),
    [
        ("1、[L] T", HEADER_LINE),
        ("1、[LG2] T", HEADER_LINE),
        ("1、[ABCDEFGHI] T", HEADER_LINE),
        ("1、[机器] T", HEADER_LINE),
        ("1、[] T", HEADER_LINE),
        ("1、[L G] T", HEADER_LINE),
    ],
)
def test_bad_area_code_in_numbered_header(header, line):
    error = rejection(variant(("1、[LG] Mega: Moving Average Equipped Gated Attention", header)))
    assert error.line == line
    assert "expected 2 to 8 ASCII letters" in error.message


def test_bad_area_code_in_other_list_header():
    error = rejection(variant(("[CV] D-InLoc++", "[C3PO] D-InLoc++")))
    assert error.line == OTHER_HEADER_LINE
    assert error.message == "entry header has area code 'C3PO'; expected 2 to 8 ASCII letters such as 'LG'"


def test_numbered_header_without_closing_bracket():
    error = rejection(variant(("1、[LG] Mega", "1、[LG Mega")))
    assert (error.line, error.message) == (HEADER_LINE, "entry header has no closing ']' after the area code")


def test_stream_line_without_marker():
    text = "第一段摘要。\ntranslated by 谷歌翻译\nSecond abstract.\nThird abstract.\ntranslated by 谷歌翻译\n"
    error = rejection(text)
    assert (error.line, error.message) == (
        3,
        "abstract stream line is not followed by 'translated by 谷歌翻译'",
    )


def test_stream_ending_without_marker():
    error = rejection("First abstract.\ntranslated by 谷歌翻译\n\nLast abstract.\n\n")
    assert error.line == 4


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("translated by 谷歌翻译\nAn abstract.\n", 1),
        ("An abstract.\ntranslated by 谷歌翻译\ntranslated by 谷歌翻译\n", 3),
    ],
)
def test_stream_marker_without_abstract(text, line):
    error = rejection(text)
    assert (error.line, error.message) == (
        line,
        "'translated by 谷歌翻译' without an abstract line before it",
    )


def test_binary_garbage():
    garbage = random.Random(20220923).randbytes(4096)
    assert isinstance(rejection(garbage), ParseError)


def test_a_seed_cut_inside_a_character_is_rejected_at_its_last_line():
    data = (SEEDS / DAILY_SEED).read_bytes()
    cut = data[: data.index("内容中包含".encode()) + 1]
    error = rejection(cut)
    assert error.line == 111
