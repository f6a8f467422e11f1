"""Formulas in titles and texts: `$…$` and `$$…$$` rendered as MathML. Pure Python: no Django.

segments() splits a text into plain text and formulas; to_html() renders it, the plain text through
a function the caller gives (escaping, or escaping and marking search matches) and each formula as
MathML from latex2mathml, rebuilt from an allow-list of elements and attributes (the converter copies
`\\href{…}` and `\\style{…}` into attributes, and `\\text{<b>}` into raw markup: none of it may pass).
A formula that cannot be rendered shows as its source, so one bad formula never hides the rest.

What counts as a formula: `\\$` is a dollar sign; a `$` with no partner is one too; so is currency
(`$5 and $6`: a closing `$` right before a digit closes nothing); a formula padded with spaces (as
machine translation writes `$ \\ times $`) must look like LaTeX. Inside a formula the translation's
`\\ times` (a backslash, a space, a command's letters) is repaired to `\\times` when that is a command
the converter knows; a formula with Chinese characters in it was mangled by translation and is shown
as written.
"""

import functools
import re
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass
from html import escape

from latex2mathml import commands, symbols_parser
from latex2mathml.converter import convert

MAX_FORMULA_LENGTH = 400  # longer is prose between two stray dollars, or nothing a card should render


@dataclass(frozen=True)
class Formula:
    source: str  # as written, dollars included: what is shown when it cannot be rendered
    latex: str  # the formula, repaired
    display: bool  # $$…$$
    start: int  # where the source starts in the text


def _known_commands():
    found = set(symbols_parser.SYMBOLS)
    for value in vars(commands).values():
        if isinstance(value, str):
            value = [value]
        items = value if isinstance(value, dict | list | tuple | set) else []
        found.update(item for item in items if isinstance(item, str))
    return frozenset(name for name in found if name.startswith("\\") and name[1:].isalpha())


KNOWN_COMMANDS = _known_commands()
_BROKEN_COMMAND = re.compile(r"\\\s+([A-Za-z]+)")
_CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
_LATEX_LOOKING = re.compile(r"[\\^_{}=]")


def segments(text):
    """The text as a list of plain strings and Formula, in order. `\\$` becomes a plain `$`."""
    parts, plain, i = [], [], 0
    while (at := text.find("$", i)) != -1:
        if at and text[at - 1] == "\\":
            plain.append(text[i : at - 1] + "$")
            i = at + 1
            continue
        formula = _formula_at(text, at)
        if formula is None:
            width = 2 if text.startswith("$$", at) else 1  # "$$" that opens nothing is text whole
            plain.append(text[i : at + width])
            i = at + width
            continue
        plain.append(text[i:at])
        if any(plain):
            parts.append("".join(plain))
        plain = []
        parts.append(formula)
        i = at + len(formula.source)
    plain.append(text[i:])
    if any(plain):
        parts.append("".join(plain))
    return parts


def _closing(text, delimiter, start):
    """Where the next unescaped `delimiter` is from `start`, or -1."""
    while (at := text.find(delimiter, start)) != -1:
        if text[at - 1] != "\\":
            return at
        start = at + 1
    return -1


def _formula_at(text, i):
    display = text.startswith("$$", i)
    delimiter = "$$" if display else "$"
    body_start = i + len(delimiter)
    end = _closing(text, delimiter, body_start)
    if end == -1 or (not display and text.startswith("$", end + 1)):
        return None
    body = text[body_start:end]
    after = text[end + len(delimiter) : end + len(delimiter) + 1]
    if not _looks_like_a_formula(body, after, display):
        return None
    source = text[i : end + len(delimiter)]
    return Formula(source=source, latex=repair(body), display=display, start=i)


def _looks_like_a_formula(body, after, display):
    stripped = body.strip()
    if not stripped or len(body) > MAX_FORMULA_LENGTH or ("\n" in body and not display):
        return False
    if after.isdigit():
        return False  # "$5 and $6": currency
    if stripped != body and not display:
        # Padded, as machine translation writes formulas, or prose between two prices.
        return bool(_LATEX_LOOKING.search(stripped)) or not any(c.isspace() for c in stripped)
    return True


def repair(latex):
    """Undo what machine translation does to a formula, where only one reading is possible."""

    def joined(match):
        command = "\\" + match.group(1)
        return command if command in KNOWN_COMMANDS else match.group()

    return _BROKEN_COMMAND.sub(joined, latex.strip())


def to_html(text, *, plain=escape):
    """HTML of `text`: plain parts through `plain` (which must escape), formulas as MathML."""
    if "$" not in text:
        return plain(text)
    return "".join(
        plain(part) if isinstance(part, str) else (mathml(part.latex, part.display) or plain(part.source))
        for part in segments(text)
    )


def cut_outside_formulas(text, start):
    """`start`, or the start of the formula it falls inside: where a text may be cut."""
    if "$" not in text:
        return start
    for part in segments(text):
        if isinstance(part, Formula) and part.start < start < part.start + len(part.source):
            return part.start
    return start


# --- MathML ------------------------------------------------------------------------------------

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
ELEMENTS = frozenset(
    "math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mover munder munderover "
    "mtable mtr mtd mstyle mpadded mphantom menclose mfenced semantics annotation".split()
)
ATTRIBUTES = frozenset(
    "display mathvariant stretchy fence separator separators lspace rspace accent accentunder "
    "linethickness columnalign rowalign columnspacing rowspacing columnlines rowlines displaystyle "
    "scriptlevel form largeop movablelimits symmetric minsize maxsize width height depth notation "
    "open close".split()
)
# Plain words, numbers and lengths: no url(), no script, no quotes.
_ATTRIBUTE_VALUE = re.compile(r"[A-Za-z0-9 .%+#-]{0,64}")


class Refused(ValueError):
    """The converter's output holds something the allow-list does not."""


@functools.lru_cache(maxsize=4096)
def mathml(latex, display=False):
    """Sanitized MathML for one formula, or None if it cannot be rendered. Cached: the converter
    takes about a millisecond a formula, and the same formulas come back on every page view."""
    if not latex or _CJK.search(latex):
        return None
    try:
        converted = convert(latex, display="block" if display else "inline")
        if "<!" in converted:
            raise Refused("markup declaration")
        tree = ElementTree.fromstring(converted)
        body = _rebuild(tree)
    except Exception:  # the converter's many errors, a parse error, Refused: the source is shown instead
        return None
    mode = "block" if display else "inline"
    return f'<math xmlns="{MATHML_NS}" display="{mode}" alttext="{escape(latex)}">{body}</math>'


def _rebuild(element):
    """The children of `element` as MathML text, from allowed elements and attributes only."""
    pieces = [escape(element.text or "", quote=False)]
    if element.text and element.text.startswith("\\"):
        raise Refused("unknown command")  # the converter prints what it does not know
    for child in element:
        tag = child.tag.removeprefix("{" + MATHML_NS + "}")
        if tag not in ELEMENTS or tag == "math":
            raise Refused(tag)
        attributes = "".join(
            f' {name}="{escape(value)}"'
            for name, value in sorted(child.attrib.items())
            if name in ATTRIBUTES and _ATTRIBUTE_VALUE.fullmatch(value)
        )
        pieces.append(f"<{tag}{attributes}>{_rebuild(child)}</{tag}>")
        pieces.append(escape(child.tail or "", quote=False))
    return "".join(pieces)
