"""The reference table of institutions the portal ships (papers/data/institutions.toml). Pure Python.

It is data we write and review like code: each institution's English and Chinese names, short names,
the other spellings digests print, its kind and country. This module reads and checks the file; what
loading it does to the stored institutions (and why a curator's decision always wins) is
papers.institutions.
"""

import hashlib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .cleaning import has_control_characters
from .names import normalize_name

DEFAULT_PATH = Path(__file__).resolve().parent / "data" / "institutions.toml"

# What an institution is; the values are stored (models.InstitutionKind names them for pages).
UNIVERSITY, COMPANY, LAB, NONPROFIT = "university", "company", "lab", "nonprofit"
KINDS = (UNIVERSITY, COMPANY, LAB, NONPROFIT)

KEY = re.compile(r"[a-z][a-z0-9_]{0,39}")
COUNTRY = re.compile(r"\A[A-Z]{2}\Z")
MAX_NAME = 255  # parsing.MAX_NAME_LENGTH, the stored names' limit
FIELDS = {"name", "zh", "short", "also", "kind", "country"}


class ReferenceTableError(ValueError):
    """The file cannot be used as it is; the message names the file, and the line or entry."""


@dataclass(frozen=True)
class Entry:
    key: str  # stable id; institutions loaded from this entry keep it (Institution.reference_key)
    name: str
    name_zh: str
    short_names: tuple
    other_spellings: tuple
    kind: str
    country: str

    @property
    def spellings(self):
        """Every name a digest may print for it, the English name first."""
        return (self.name, *self.short_names, *self.other_spellings)


@dataclass(frozen=True)
class Table:
    entries: tuple  # Entry, in file order
    countries: dict  # ISO code → (English name, Chinese name)
    checksum: str  # SHA-256 of the file's bytes: which version was loaded

    def by_spelling(self):
        """normalize_name(spelling) → Entry, for every spelling of every entry."""
        return {normalize_name(s): entry for entry in self.entries for s in entry.spellings}


def load(path=DEFAULT_PATH):
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise ReferenceTableError(f"{path}: cannot be read ({error.strerror})") from None
    return parse(raw, name=str(path))


def parse(raw, *, name):
    """The Table in `raw` (the file's bytes), or ReferenceTableError naming `name` and what is wrong."""
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ReferenceTableError(f"{name}: not UTF-8 (byte {error.start})") from None
    except tomllib.TOMLDecodeError as error:
        raise ReferenceTableError(f"{name}: {error}") from None  # tomllib names the line and column

    countries = {}
    for code, names in data.get("countries", {}).items():
        if not COUNTRY.fullmatch(code) or not isinstance(names, dict) or not _texts(names, ("en", "zh")):
            raise ReferenceTableError(
                f"{name}: country {code!r} needs a two-letter code, an en and a zh name"
            )
        countries[code] = (names["en"], names["zh"])

    institutions = data.get("institutions")
    if not isinstance(institutions, dict) or not institutions:
        raise ReferenceTableError(f"{name}: no [institutions] table")
    entries, owner = [], {}
    for key, fields in institutions.items():
        where = f"{name}: institution {key!r}"
        entry = _entry(key, fields, countries, where)
        for spelling in entry.spellings:
            folded = normalize_name(spelling)
            if folded in owner and owner[folded] != key:
                raise ReferenceTableError(f"{where}: “{spelling}” is already a spelling of {owner[folded]!r}")
            owner[folded] = key
        entries.append(entry)
    return Table(tuple(entries), countries, hashlib.sha256(raw).hexdigest())


def _entry(key, fields, countries, where):
    if not KEY.fullmatch(key):
        raise ReferenceTableError(
            f"{where}: a key is lower-case letters, digits and _, starting with a letter"
        )
    if not isinstance(fields, dict):
        raise ReferenceTableError(f"{where}: write it as {{ name = …, zh = …, kind = …, country = … }}")
    unknown = set(fields) - FIELDS
    if unknown:
        raise ReferenceTableError(
            f"{where}: unknown field {sorted(unknown)[0]!r} (fields: {', '.join(sorted(FIELDS))})"
        )
    if not _texts(fields, ("name", "zh")):
        raise ReferenceTableError(f"{where}: needs a name and a zh name")
    lists = {}
    for field in ("short", "also"):
        values = fields.get(field, [])
        if not isinstance(values, list) or not _texts(dict(enumerate(values)), range(len(values))):
            raise ReferenceTableError(f"{where}: {field} is a list of names")
        lists[field] = tuple(" ".join(v.split()) for v in values)
    if fields.get("kind") not in KINDS:
        raise ReferenceTableError(f"{where}: kind is one of {', '.join(KINDS)}")
    if fields.get("country") not in countries:
        raise ReferenceTableError(
            f"{where}: country {fields.get('country')!r} is not listed under [countries]"
        )
    return Entry(
        key=key,
        name=" ".join(fields["name"].split()),
        name_zh=fields["zh"].strip(),
        short_names=lists["short"],
        other_spellings=lists["also"],
        kind=fields["kind"],
        country=fields["country"],
    )


def _texts(mapping, keys):
    """Each of `keys` names a non-blank line of at most MAX_NAME characters, without control characters."""
    for key in keys:
        value = mapping.get(key)
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
            return False
        if "\n" in value or has_control_characters(value):
            return False
    return True
