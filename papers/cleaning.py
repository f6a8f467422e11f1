"""Characters that no stored text may hold, and how each way in deals with them. Pure Python.

Control characters (ESC, BEL, vertical tab, form feed, C1 controls, …) and the non-characters
U+FFFE/U+FFFF never belong in a title or an abstract; they arrive from copy and paste and broken
converters. XML 1.0 forbids most of them, so a single one in one paper made every feed listing it
answer 500. The ways in deal with them here: the parser removes them and warns with the line, the
admin refuses them with the field, and XML output (feeds, OPML) drops any that are already stored.
Tab, line feed and carriage return are ordinary text and stay.
"""

import re

_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff"
CONTROL_CHARACTER = re.compile(f"[{_FORBIDDEN}]")

# What a control character was most likely meant to be: those that separate words become a space.
_SPACES = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f\x85")
_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "BS", 0x0B: "VT", 0x0C: "FF", 0x1B: "ESC", 0x7F: "DEL"}


def has_control_characters(text):
    return bool(text) and CONTROL_CHARACTER.search(text) is not None


def strip_control_characters(text):
    """The text without control characters: word-separating ones become a space, the rest go."""
    if not has_control_characters(text):
        return text
    return CONTROL_CHARACTER.sub(lambda m: " " if m.group() in _SPACES else "", text)


def describe_control_characters(text):
    """'U+001B (ESC), U+0007 (BEL)': the distinct control characters of a text, in order of appearance."""
    found = dict.fromkeys(m.group() for m in CONTROL_CHARACTER.finditer(text or ""))
    return ", ".join(_describe(ch) for ch in found)


def _describe(ch):
    code = ord(ch)
    name = _NAMES.get(code)
    return f"U+{code:04X}" + (f" ({name})" if name else "")
