"""Text as the index holds it, the same for both backends. Pure Python: no Django.

Chinese is written without spaces, and both databases' default tokenizers take a whole run of
Chinese characters as one word, so `扩散` would never find `扩散模型`. Every run of CJK characters
is indexed as its overlapping character bigrams (扩散模型 → 扩散 散模 模型; a one-character run stays
itself), and a Chinese query becomes the same bigrams as a phrase, which matches exactly the texts
containing that string. Bigrams rather than a word segmenter (jieba and the like): no dictionary to
ship and keep current, deterministic, no out-of-vocabulary misses for new technical terms, and the
very same tokens on both backends, so the two behave alike.
"""

import functools
import re
import unicodedata

# Han ideographs (with extensions and compatibility forms) and Japanese kana: scripts written
# without spaces between words. The one definition: parsing, search and highlighting use it.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
CJK_RUN = re.compile(f"[{CJK}]+")
CJK_CHAR = re.compile(f"[{CJK}]")

# An arXiv id as a reader types or pastes it: 2305.18290, arXiv:2305.18290v2, its abs or pdf URL.
ARXIV_ID = re.compile(
    r"^(?:https?://(?:www\.)?arxiv\.org/(?:abs|pdf)/|arxiv:\s*)?"
    r"(\d{4}\.\d{4,5}|[a-z][a-z.-]*/\d{7})(?:v\d+)?(?:\.pdf)?/?$",
    re.IGNORECASE,
)

# A paper's fields in its title and body columns, in order (its people column lists its names).
TITLE_FIELDS = ("title_en", "title_zh")
BODY_FIELDS = ("summary_zh", "abstract_en", "abstract_zh", "arxiv_id")


def arxiv_id(text):
    """The arXiv id (without version) a query consists of, or None: 2305.18290, arXiv:2305.18290v2, URLs."""
    match = ARXIV_ID.match((text or "").strip())
    return match.group(1) if match else None


def _bigrams(run):
    if len(run) == 1:
        return run
    return " ".join(run[i : i + 2] for i in range(len(run) - 1))


def index_text(text):
    """Text as both backends index it: width folded, CJK runs as spaced overlapping bigrams.

    Non-ASCII punctuation (，。、：“”…) becomes a space, so it never glues tokens together whatever
    the database's locale. Everything else is left to the backend's tokenizer (case, stemming).
    """
    if not text:
        return ""
    if text.isascii():
        return text  # nothing to fold, no CJK (most English text)
    text = _punctuation().sub(" ", unicodedata.normalize("NFKC", text))
    return CJK_RUN.sub(lambda m: f" {_bigrams(m.group())} ", text)


@functools.cache
def _punctuation():
    """A regex of the non-ASCII punctuation, symbols and spaces (Unicode P*, S*, Z*) of the BMP."""
    ranges = []
    for cp in range(128, 0x10000):
        if unicodedata.category(chr(cp))[0] in "PSZ":
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1][1] = cp
            else:
                ranges.append([cp, cp])
    return re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]+")


def paper_columns(folded, people):
    """A paper's three indexed columns (title, people, body).

    `folded` maps its fields to their index_text(); `people` holds its authors' then institutions'
    names, each followed by the names merged into it, folded too. The one definition of an index
    row: the importer (from what it has just written) and the rebuild (from the database) both call it.
    """
    title = [folded.get(f) for f in TITLE_FIELDS]
    body = [folded.get(f) for f in BODY_FIELDS]
    return tuple(" \n ".join(t for t in texts if t is not None) for texts in (title, people, body))
