"""The rules of an import, as pure functions: no Django, no database.

Which digest's text a paper keeps, where a paper is listed, and what the importer says when digests
disagree. The writer (writing.py) applies the answers; curation re-lists papers with
newest_appearance() when a digest is re-dated or removed.

An entry here is anything with a DigestEntry's attributes, a stored row or one being imported:
`digest` (with `name`, `published_on`, `pk`), `position`, `line`, the text fields,
`machine_translated`, `authors`, `authors_truncated`, `institutions`, `area_code` and `arxiv_id`.
"""

import datetime
import re
from dataclasses import dataclass

from ..parsing import TEXT_FIELDS


@dataclass(frozen=True)
class Text:
    """The value a paper keeps for one text field, and where it came from."""

    value: str
    machine: bool  # a machine translation (as-written text wins over it)
    entry: object  # the entry that gave it


@dataclass(frozen=True)
class MergedPaper:
    """A paper's digest-derived values, chosen from all its entries (see merge())."""

    texts: dict  # text field → Text, for the fields some entry has
    authors: tuple
    authors_truncated: bool
    institutions: tuple
    area_code: str | None
    arxiv_id: str | None
    listed: object  # the entry the paper is listed at: its newest appearance

    def value(self, name):
        text = self.texts.get(name)
        return text.value if text else None


def merge(entries):
    """The values a paper keeps, chosen from all its entries in a fixed order, so that importing
    the same files in any order gives the same paper.

    For each text: as-written text before machine translation, then the earliest file by name, then
    the first position in it. Lists, area and arXiv id: the first entry (by file name) that has one.
    """
    ordered = sorted(entries, key=lambda e: (e.digest.name, e.position)) if len(entries) > 1 else entries
    texts = {}
    for name in TEXT_FIELDS:
        candidates = [
            (name in e.machine_translated, e.digest.name, e.position, getattr(e, name), e)
            for e in ordered
            if getattr(e, name)
        ]
        if candidates:
            machine, _name, _position, value, entry = min(candidates, key=lambda c: c[:3])
            texts[name] = Text(value, machine, entry)
    with_authors = next((e for e in ordered if e.authors), None)
    return MergedPaper(
        texts=texts,
        authors=tuple(with_authors.authors) if with_authors else (),
        authors_truncated=with_authors.authors_truncated if with_authors else False,
        institutions=tuple(next((e.institutions for e in ordered if e.institutions), ())),
        area_code=next((e.area_code for e in ordered if e.area_code), None),
        arxiv_id=next((e.arxiv_id for e in ordered if e.arxiv_id), None),
        listed=newest_appearance(ordered),
    )


def newest_appearance(entries):
    """The entry a paper is listed at: its newest appearance. Newest digest date, then the digest
    imported last (highest id), then the first place in that digest."""
    return max(entries, key=lambda e: (e.digest.published_on, e.digest.pk or 0, -e.position))


def listed_once(ids):
    """Ids in order, each once: two spellings of one merged institution are listed once. (Authors are
    not deduplicated: two "Y Zhu" on one paper are usually two people.)"""
    return list(dict.fromkeys(ids))


def paper_label(arxiv_id, paper_id):
    """How a warning names a paper."""
    if arxiv_id:
        return f"arXiv {arxiv_id}"
    return f"paper #{paper_id}" if paper_id else "it"


def conflicts(new_entries, merged, *, current, curated, label):
    """(line, message) for each text of this file that disagrees with what the paper keeps.

    `current` holds the paper's text fields before this import ({} for a new paper); `curated` the
    text fields a curator edited, which no import changes.
    """
    found = []
    for entry in new_entries:
        for name in TEXT_FIELDS:
            value = getattr(entry, name)
            if not value:
                continue
            if name in curated:
                if value != current.get(name):
                    found.append(
                        (
                            entry.line,
                            f"{name} differs from the curator's edit of {label}; kept the curator's text",
                        )
                    )
                continue
            kept, had = merged.value(name), current.get(name)
            if had is not None and had != value and kept == value:
                found.append(
                    (
                        entry.line,
                        f"{name} differs from the text {label} had; replaced it with this file's text "
                        "(the earliest file by name wins)",
                    )
                )
            elif kept is not None and kept != value:
                found.append(
                    (
                        entry.line,
                        f"{name} differs from the text {label} already has; kept that text "
                        "(the earliest file by name wins)",
                    )
                )
    return found


class FutureDateError(ValueError):
    """The date in a file name is later than any digest can be dated (see latest_digest_date)."""


DATE_IN_NAME = re.compile(r"(20\d\d)[-_.]?([01]\d)[-_.]?([0-3]\d)")


def latest_digest_date(today):
    """The latest date a digest may have: tomorrow, for a digest dated where the day starts earlier.

    Lists and feeds put the newest digest first, so a typo such as 2062 would keep a digest's papers
    at the top of every list for decades.
    """
    return today + datetime.timedelta(days=1)


def digest_date(name, *, today):
    """The date in a file name (2026-11-23, 20261123), else today; FutureDateError if after tomorrow."""
    match = DATE_IN_NAME.search(name)
    if match:
        try:
            date = datetime.date(*map(int, match.groups()))
        except ValueError:
            pass
        else:
            if date > latest_digest_date(today):
                raise FutureDateError(
                    f"{name}: the date in the file name, {date.isoformat()}, is more than a day after "
                    f"today ({today.isoformat()}); rename the file with the digest's real "
                    "date, since digests are listed by it"
                )
            return date
    return today

