"""When two institution names are likely one institution: the rules behind curators' merge suggestions.

Pure Python (no Django). Every rule only proposes; a curator decides (papers.admin's duplicates page),
so the rules are conservative: a false suggestion costs a curator's time and trust, a missed one only
leaves two rows apart. Each rule indexes names by a key in a dict, so finding the pairs among n names
takes O(n), never O(n²) comparisons.

The rules, in the order a pair's reason is taken from:
- SAME_NAME: equal once case, width, accents on Latin letters, punctuation and a leading "The" fold
  (`The University of Texas at Austin` ~ `University of Texas at Austin`, `U.C.L.A.` ~ `UCLA`).
- WORD_ORDER: `University of X` ~ `X University` (`University of Tokyo` ~ `Tokyo University`),
  except for the places where both are real and distinct (WORD_ORDER_EXCEPTIONS).
- ACRONYM: an upper-case name of 3 to 8 letters is the initials of another name's words, "of", "the",
  "and"… and company suffixes ("Inc", "Ltd") left out (`CMU` ~ `Carnegie Mellon University`), and no
  other stored name (after folding) has the same initials: `UTA` is never proposed when both Texas
  at Austin and Texas at Arlington are stored. Two-letter initials (`UW`) are too ambiguous to propose.
- KNOWN_SPELLING: both names are spellings of one entry of a reference table (`known_spellings`: an
  iterable of groups of spellings, such as `["UC Berkeley", "University of California, Berkeley"]`),
  matched after folding. The hook for a curated table of institutions and their spellings.
"""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

SAME_NAME = "same_name"
WORD_ORDER = "word_order"
ACRONYM = "acronym"
KNOWN_SPELLING = "known_spelling"

# Left out of initials, as acronyms leave them out (Massachusetts Institute of Technology → MIT).
MINOR_WORDS = frozenset(
    {"of", "the", "and", "for", "at", "in", "on", "de", "la", "le", "du", "des", "der", "für"}
)
# Company suffixes are never in an acronym (Microsoft Inc Technology is not MIT).
COMPANY_SUFFIXES = frozenset(
    {"inc", "ltd", "llc", "corp", "corporation", "co", "gmbh", "ag", "sa", "plc", "limited"}
)
MIN_ACRONYM, MAX_ACRONYM = 3, 8
# Both "University of X" and "X University" exist and are different places.
WORD_ORDER_EXCEPTIONS = frozenset({"washington", "miami"})

_DROPPED = re.compile(r"[.'’`]")  # U.C.L.A. → ucla, King's → kings
_SEPARATORS = re.compile(r"[^\w]+")  # any other punctuation separates words


def fold(name):
    """The key two spellings of one name share: case, width, accents on Latin letters, punctuation,
    spacing and a leading "The" folded. `The Univ. of Tokyo` → `univ of tokyo`."""
    text = unicodedata.normalize("NFKC", name).casefold()
    # Accents go only from Latin letters (École → ecole); kana and hangul keep their marks.
    decomposed = unicodedata.normalize("NFD", text)
    kept = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and kept[-1].isascii():
            continue
        kept.append(char)
    text = unicodedata.normalize("NFC", "".join(kept)).replace("&", " and ")
    words = _SEPARATORS.sub(" ", _DROPPED.sub("", text)).replace("_", " ").split()
    if len(words) > 1 and words[0] == "the":
        words = words[1:]
    return " ".join(words)


def word_order_key(folded):
    """`university of tokyo` and `tokyo university` → `tokyo university`; None for other names."""
    words = folded.split()
    if len(words) >= 3 and words[:2] == ["university", "of"]:
        place = words[2:]
    elif len(words) >= 2 and words[-1] == "university" and words[0] not in ("university", "of"):
        place = words[:-1]
    else:
        return None
    if " ".join(place) in WORD_ORDER_EXCEPTIONS or any(w in MINOR_WORDS for w in place):
        return None  # University of Texas at Austin is not "Texas at Austin University"
    return " ".join([*place, "university"])


def initials(name):
    """The acronym a multi-word name would have (`Carnegie Mellon University` → `CMU`), or None.

    Words are split on spaces and commas only: a hyphenated word gives one letter (Wisconsin-Madison),
    as acronyms usually do, and splitting it would propose UWM (Milwaukee) for Madison.
    """
    text = unicodedata.normalize("NFKC", name).replace("&", " and ")
    words = [w.strip(".'’()") for w in re.split(r"[\s,]+", text)]
    words = [w for w in words if w and w.casefold() not in MINOR_WORDS]
    words = [w for w in words if w.casefold().rstrip(".") not in COMPANY_SUFFIXES]
    if len(words) < MIN_ACRONYM or not all(w[0].isalpha() and w[0].isascii() for w in words):
        return None
    return "".join(w[0] for w in words).upper()


def as_acronym(name):
    """The letters of a name written as an acronym (`CMU`, `C.M.U.`), or None for other names."""
    letters = _DROPPED.sub("", unicodedata.normalize("NFKC", name).strip())
    if (
        letters.isascii()
        and letters.isalpha()
        and letters.isupper()
        and MIN_ACRONYM <= len(letters) <= MAX_ACRONYM
    ):
        return letters
    return None


@dataclass(frozen=True)
class Suggestion:
    """Two names (by the ids the caller gave) that are likely one institution, and the rule that says so."""

    first: object
    second: object
    reason: str


def likely_duplicates(names, *, known_spellings=()):
    """The pairs among `names` (a mapping id → name) that are likely one institution, each once.

    `known_spellings`: groups of spellings known to be one institution (see the module's docstring).
    Pairs come in the order of the rules, then of `names`; a pair found by several rules has the first
    rule's reason.
    """
    folded = {key: fold(name) for key, name in names.items()}
    found = {}

    def propose(a, b, reason):
        if a != b:
            found.setdefault(frozenset((a, b)), Suggestion(a, b, reason))

    def pairs_sharing(key_of, reason):
        groups = defaultdict(list)
        for ident in names:
            key = key_of(ident)
            if key is not None and key != "":
                groups[key].append(ident)
        for members in groups.values():
            # Two rows rarely share a key; every pair within a group is proposed.
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    propose(a, b, reason)

    pairs_sharing(folded.get, SAME_NAME)
    pairs_sharing(lambda ident: word_order_key(folded[ident]), WORD_ORDER)

    # Acronyms: each set of initials must expand to one folded name only.
    expansions = defaultdict(set)
    long_names = defaultdict(list)
    for ident, name in names.items():
        letters = initials(name)
        if letters:
            expansions[letters].add(folded[ident])
            long_names[letters].append(ident)
    for ident, name in names.items():
        letters = as_acronym(name)
        if letters and len(expansions.get(letters, ())) == 1:
            for other in long_names[letters]:
                propose(ident, other, ACRONYM)

    group_of = {}
    for number, group in enumerate(known_spellings):
        for spelling in group:
            group_of.setdefault(fold(spelling), number)
    pairs_sharing(lambda ident: group_of.get(folded[ident]), KNOWN_SPELLING)
    return list(found.values())
