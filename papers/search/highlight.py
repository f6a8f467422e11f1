"""Marking a query's words in a text, for cards and paper pages. Pure Python: no Django.

Every piece of text is escaped here (html.escape, as Django's escape does), so the HTML these
functions return is safe to mark safe; the template tags in papers.templatetags.highlight do.
"""

import re
from html import escape

from .text import CJK, CJK_CHAR

_SUFFIXES = (
    "ational", "ations", "ation", "ings", "ing", "ies", "ied", "ers", "es", "ed", "er", "s", "y", "e",
)  # fmt: skip
_WORD = re.compile(rf"[{CJK}]+|[^\W_]+")


def _stem(word):
    """A crude English stem, only for highlighting (the database decides what matches)."""
    word = word.lower()
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def highlighter(texts):
    """One regex for the words of the searched terms' texts, or None when nothing can be marked."""
    patterns = set()
    for text in texts:
        for word in _WORD.findall(text):
            if CJK_CHAR.match(word):
                patterns.add(re.escape(word))
            elif len(word) > 1 or word.isdigit():
                patterns.add(r"(?<![^\W_])" + re.escape(_stem(word)) + r"[^\W_]*")
    if not patterns:
        return None
    return re.compile("|".join(sorted(patterns, key=len, reverse=True)), re.IGNORECASE)


def highlight(text, query, *, start=0):
    """HTML of `text` (from `start`) with the query's words in <mark>; every piece is escaped."""
    text = text or ""
    pattern = query.highlighter if query else None
    if pattern is None:
        return escape(text[start:])
    pieces, position = [], start
    for match in pattern.finditer(text, start):
        if match.end() == match.start():
            continue
        pieces += [escape(text[position : match.start()]), "<mark>", escape(match.group()), "</mark>"]
        position = match.end()
    pieces.append(escape(text[position:]))
    return "".join(pieces)


def snippet(text, query, *, before=60):
    """Like highlight(), but starting shortly before the first match when that is far into the text."""
    text = text or ""
    start = snippet_start(text, query, before=before)
    return ("…" if start else "") + highlight(text, query, start=start)


def snippet_start(text, query, *, before=60):
    """Where snippet() starts `text`: 0, or shortly before the first match when that is far in."""
    pattern = query.highlighter if query else None
    match = pattern.search(text) if pattern else None
    if match is None or match.start() <= before * 2:
        return 0
    start = match.start() - before
    space = text.find(" ", start, match.start())
    return space + 1 if space != -1 and not CJK_CHAR.match(text[match.start()]) else start
