"""Matching: which paper each entry of a file describes. By arXiv id first, else by an abstract
identical to one a paper already has (an abstract-stream line repeating a daily digest's)."""

from dataclasses import dataclass, field

from .. import bulk
from ..models import TEXT_FIELDS, DigestEntry, Paper, Source
from .rules import MergedPaper


@dataclass(eq=False)
class Slot:
    """The paper one or more entries of this file belong to: an existing row or a new one."""

    paper: Paper | None = None  # the model instance of an existing paper; new papers are written as rows
    paper_id: int | None = None
    entries: list = field(default_factory=list)  # this file's new entries (NewEntry)
    merged: MergedPaper | None = None  # what rules.merge() chose from all the paper's entries
    # "authors" / "institutions" → ids of the kept rows, as written; and whether an existing
    # paper's list was rewritten.
    people: dict = field(default_factory=dict)
    people_changed: bool = False
    # The links the paper's texts give (papers.links), or None when a curator owns its list.
    links: list | None = None

    def __post_init__(self):
        if self.paper is not None:
            self.paper_id = self.paper.pk

    @property
    def is_new(self):
        return self.paper is None

    def curated(self, source_field):
        return self.paper is not None and getattr(self.paper, source_field) == Source.CURATOR


class NewEntry:
    """A digest entry being imported: a DigestEntry's attributes, without the model instance.

    The rules read these and stored DigestEntry rows alike; building a model instance per entry
    cost more than writing it.
    """

    __slots__ = (
        "digest", "position", "section", "number", "line", "arxiv_id", "area_code",
        *TEXT_FIELDS, "authors", "authors_truncated", "institutions", "machine_translated",
        "abstract_en_key", "abstract_zh_key", "index_text",
    )  # fmt: skip

    def __init__(self, parsed_entry, extras, digest, position):
        e = parsed_entry
        self.digest, self.position = digest, position
        self.section, self.number, self.line = e.section, e.number, e.line
        self.arxiv_id, self.area_code = e.arxiv_id, e.area
        self.title_en, self.title_zh, self.summary_zh = e.title_en, e.title_zh, e.summary_zh
        self.abstract_en, self.abstract_zh = e.abstract_en, e.abstract_zh
        self.authors, self.authors_truncated = list(e.authors), e.authors_truncated
        self.institutions = list(e.institutions)
        self.machine_translated = sorted(e.machine_translated)
        self.abstract_en_key, self.abstract_zh_key = extras.abstract_en_key, extras.abstract_zh_key
        self.index_text = extras.index_text


def match_papers(prepared, digest, report):
    """Attach each entry to the paper it describes: by arXiv id, else by an identical abstract."""
    entries = [
        NewEntry(parsed_entry, extras, digest, position)
        for position, (parsed_entry, extras) in enumerate(
            zip(prepared.parsed.entries, prepared.entry_extras, strict=True), start=1
        )
    ]
    ids = {e.arxiv_id for e in entries if e.arxiv_id}
    keys = {k for e in entries for k in (e.abstract_en_key, e.abstract_zh_key) if k}

    known = dict(bulk.select_in(Paper, ("id", "arxiv_id"), "arxiv_id", ids))
    paper_ids_by_key = {}
    for column in ("abstract_en_key", "abstract_zh_key"):
        for key, paper_id in bulk.select_in(DigestEntry, (column, "paper_id"), column, keys):
            paper_ids_by_key.setdefault(key, paper_id)
    # Most entries of a day are new papers: model instances are loaded only for the matched ones.
    slots_by_pk = {
        paper.pk: Slot(paper)
        for chunk in bulk.chunks(sorted(known.keys() | set(paper_ids_by_key.values())))
        for paper in Paper.objects.filter(pk__in=chunk).order_by()
    }
    by_id = {slots_by_pk[pk].paper.arxiv_id: slots_by_pk[pk] for pk in known}
    by_key = {key: slots_by_pk[pk] for key, pk in paper_ids_by_key.items()}

    slots = {}
    for entry in entries:
        entry_keys = [k for k in (entry.abstract_en_key, entry.abstract_zh_key) if k]
        slot = by_id.get(entry.arxiv_id) if entry.arxiv_id else None
        if slot is None:
            for key in entry_keys:
                candidate = by_key.get(key)
                if candidate is None:
                    continue
                other_id = _slot_arxiv_id(candidate)
                if entry.arxiv_id and other_id and other_id != entry.arxiv_id:
                    report.warn(
                        entry.line,
                        f"same abstract as arXiv {other_id} but the link says {entry.arxiv_id}; "
                        "kept as separate papers",
                    )
                    continue
                slot = candidate
                break
        if slot is None:
            slot = Slot()
        slot.entries.append(entry)
        if entry.arxiv_id:
            by_id.setdefault(entry.arxiv_id, slot)
        for key in entry_keys:
            by_key.setdefault(key, slot)
        slots[id(slot)] = slot
    return list(slots.values())


def _slot_arxiv_id(slot):
    if slot.paper is not None and slot.paper.arxiv_id:
        return slot.paper.arxiv_id
    return next((e.arxiv_id for e in slot.entries if e.arxiv_id), None)
