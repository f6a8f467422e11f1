"""Writing one file: its transaction, the checks made inside it, and the rows it writes.

One file is one transaction, taken after any other import has committed (bulk.one_writer_at_a_time),
so the "already imported?" checks and every insert see the same database. New papers are written
straight from their merged values as plain rows; existing papers get the rules' answer applied,
leaving a curator's fields alone.
"""

import json

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .. import bulk, links, search
from ..models import TEXT_FIELDS, Area, Digest, DigestEntry, Paper, PaperLink, Source
from . import rules
from .matching import match_papers
from .people import write_people
from .pipeline import prepare
from .report import ImportReport


def import_prepared(prepared, *, dry_run=False):
    """Import one prepared file; never raises for bad input, the report says what happened."""
    report = ImportReport(name=prepared.name, dry_run=dry_run)
    if prepared.error:
        report.fail(prepared.error)
        return report
    try:
        with transaction.atomic():
            # Every check below is made, and every row written, after any other import has committed:
            # two imports introducing the same author or paper at once would otherwise both insert it.
            bulk.one_writer_at_a_time()
            bulk.plan_for_hot_indexes()
            _check_and_write(prepared, report)
            if dry_run or report.status != "imported":
                transaction.set_rollback(True)
    except DatabaseError as err:
        report.fail(f"{prepared.name}: database refused the import: {err}")
        report.created = report.matched = report.updated = 0
    if dry_run:
        report.digest_id = None
    return report


def _check_and_write(prepared, report):
    name = prepared.name
    existing = Digest.objects.filter(checksum=prepared.checksum).first()
    if existing:
        report.status, report.digest_id = "unchanged", existing.pk
        return
    if prepared.unparsed is not None:
        # Its digest was removed since the file was read: parse it after all.
        prepared = prepare(prepared.unparsed, name=name, complete_entries_only=prepared.complete_entries_only)
        if prepared.error:
            report.fail(prepared.error)
            return
    if Digest.objects.filter(name=name).exists():
        report.fail(
            f"a different digest named {name!r} was imported before; "
            "rename the file if it is a new digest (a digest's name is its identity)"
        )
        return
    try:
        published_on = rules.digest_date(name, today=timezone.localdate())
    except rules.FutureDateError as err:
        report.fail(str(err))
        return
    for warning in prepared.parsed.warnings:
        report.warn(warning.line, warning.message)
    _write(prepared, report=report, published_on=published_on)


def _write(prepared, *, report, published_on):
    parsed = prepared.parsed
    digest = Digest.objects.create(
        name=parsed.name,
        format=parsed.format,
        checksum=prepared.checksum,
        published_on=published_on,
        reposted_from=parsed.reposted_from or "",
        summary_items=list(parsed.summary_items),
        legend=dict(parsed.legend),
        entry_count=len(parsed.entries),
    )
    report.digest_id = digest.pk
    report.entries = len(parsed.entries)
    areas = _resolve_areas(parsed, report)

    slots = match_papers(prepared, digest, report)
    old_entries = _existing_entries([s.paper_id for s in slots if not s.is_new])

    new_slots, changed = [], []
    for slot in slots:
        entries = old_entries.get(slot.paper_id, []) + slot.entries if not slot.is_new else slot.entries
        slot.merged = rules.merge(entries)
        _report_conflicts(slot, report)
        if slot.is_new:
            slot.links = links.paper_links({name: slot.merged.value(name) for name in TEXT_FIELDS})
            new_slots.append(slot)
        elif _apply(slot, areas):
            changed.append(slot.paper)

    now = timezone.now()
    _insert_papers(new_slots, areas=areas, now=now)
    bulk.insert(DigestEntry, _ENTRY_COLUMNS, [_entry_row(e, s.paper_id) for s in slots for e in s.entries])
    _write_links(slots)

    entities = write_people(slots, prepared)
    list_changed = [s.paper for s in slots if not s.is_new and s.people_changed]
    for paper in changed + [p for p in list_changed if p not in changed]:
        paper.updated_at = now
    to_update = {p.pk: p for p in changed + list_changed}.values()
    if to_update:
        Paper.objects.bulk_update(list(to_update), [*_PAPER_FIELDS, "updated_at"], batch_size=bulk.CHUNK)

    report.created = len(new_slots)
    report.matched = len(slots) - len(new_slots)
    report.updated = len(to_update)
    # Bulk writes send no signals: the search index is brought up to date here, in the same
    # transaction. New papers' rows come from what this import holds in memory; papers that
    # changed are read back, since a curator's text or list may be part of them.
    search.index_new_papers([_index_row(slot, entities) for slot in new_slots])
    search.reindex_papers([p.pk for p in to_update])


def _report_conflicts(slot, report):
    """Tell the importer when this file's text disagrees with what the paper keeps."""
    paper = slot.paper
    current = {f: getattr(paper, f) for f in TEXT_FIELDS} if paper is not None else {}
    curated = {f for f in TEXT_FIELDS if slot.curated(f"{f}_source")}
    label = rules.paper_label(slot.merged.arxiv_id, paper.pk if paper is not None else None)
    for line, message in rules.conflicts(
        slot.entries, slot.merged, current=current, curated=curated, label=label
    ):
        report.warn(line, message)


def _index_row(slot, entities):
    """A new paper's search index row, as search.reindex_papers() would read it back."""
    folded = {name: text.entry.index_text[name] for name, text in slot.merged.texts.items()}
    if slot.merged.arxiv_id:
        folded["arxiv_id"] = search.index_text(slot.merged.arxiv_id)
    people = [
        search.index_text(label)
        for kind in ("authors", "institutions")
        for pk in slot.people[kind]
        for label in entities[kind][pk]
    ]
    return (slot.paper_id, *search.paper_columns(folded, people))


_PAPER_FIELDS = [
    "arxiv_id", "area", "authors_truncated", "listed_digest", "listed_on", "listed_position",
    *TEXT_FIELDS, *(f"{f}_source" for f in TEXT_FIELDS), "authors_source", "institutions_source",
    "links_source",
]  # fmt: skip


def provenance(text):
    """The provenance of a value the rules chose (a rules.Text, or None when no digest has one)."""
    if text is None:
        return ""
    return Source.MACHINE_TRANSLATION if text.machine else Source.DIGEST


def _from_digests(merged):
    """What the digests give a paper, with provenance: one rule for new papers and existing ones."""
    values = {}
    for name in TEXT_FIELDS:
        text = merged.texts.get(name)
        values[name] = text.value if text else None
        values[f"{name}_source"] = provenance(text)
    values["authors_truncated"] = merged.authors_truncated
    values["authors_source"] = Source.DIGEST if merged.authors else ""
    values["institutions_source"] = Source.DIGEST if merged.institutions else ""
    return values


def _resolve_areas(parsed, report):
    codes = {e.area for e in parsed.entries if e.area}
    areas = {a.code: a for a in Area.objects.filter(code__in=codes)}
    for code in sorted(codes - areas.keys()):
        name_zh = parsed.legend.get(code, code)
        areas[code] = Area.objects.create(code=code, name_en=code, name_zh=name_zh)
        report.warn(
            None, f"new area {code} ({name_zh}) created; a superuser can give it an English name in the admin"
        )
    return areas


_ENTRY_COLUMNS = [
    "digest_id", "paper_id", "position", "section", "number", "line", "arxiv_id", "area_code",
    *TEXT_FIELDS, "authors", "authors_truncated", "institutions", "machine_translated",
    "abstract_en_key", "abstract_zh_key",
]  # fmt: skip


def _entry_row(e, paper_id):
    def as_json(value):
        return json.dumps(value, ensure_ascii=False)

    return (
        e.digest.pk, paper_id, e.position, e.section, e.number, e.line, e.arxiv_id, e.area_code,
        *(getattr(e, f) for f in TEXT_FIELDS),
        as_json(e.authors), e.authors_truncated, as_json(e.institutions), as_json(e.machine_translated),
        e.abstract_en_key, e.abstract_zh_key,
    )  # fmt: skip


def _existing_entries(paper_ids):
    entries = {}
    for chunk in bulk.chunks(paper_ids):
        for entry in DigestEntry.objects.filter(paper_id__in=chunk).select_related("digest"):
            entries.setdefault(entry.paper_id, []).append(entry)
    return entries


def _apply(slot, areas):
    """Set the digest-derived values on a paper, leaving curated fields alone. True if anything changed.

    Also sets the slot's links: those of the texts the paper now keeps (a curator's text included),
    or None when a curator owns the paper's list of links."""
    paper, merged = slot.paper, slot.merged
    before = {f: getattr(paper, f) for f in _PAPER_FIELDS if f != "area"} | {"area": paper.area_id}
    values = _from_digests(merged)
    for name in TEXT_FIELDS:
        if getattr(paper, f"{name}_source") != Source.CURATOR:
            setattr(paper, name, values[name])
            setattr(paper, f"{name}_source", values[f"{name}_source"])
    if merged.arxiv_id and not paper.arxiv_id:
        paper.arxiv_id = merged.arxiv_id
    if merged.area_code and not paper.area_id:
        # The code may be an older entry's, of an area since renamed: then nothing is guessed.
        paper.area = areas.get(merged.area_code) or Area.objects.filter(code=merged.area_code).first()
    if paper.authors_source != Source.CURATOR:
        paper.authors_truncated = values["authors_truncated"]
        paper.authors_source = values["authors_source"]
    if paper.institutions_source != Source.CURATOR:
        paper.institutions_source = values["institutions_source"]
    if paper.links_source != Source.CURATOR:
        slot.links = links.paper_links({name: getattr(paper, name) for name in TEXT_FIELDS})
        paper.links_source = Source.DIGEST if slot.links else ""
    digest, position = merged.listed.digest, merged.listed.position
    paper.listed_digest, paper.listed_on, paper.listed_position = digest, digest.published_on, position
    after = {f: getattr(paper, f) for f in _PAPER_FIELDS if f != "area"} | {"area": paper.area_id}
    if before["listed_digest"] is not None:
        before["listed_digest"] = before["listed_digest"].pk
    after["listed_digest"] = digest.pk
    return before != after


_LINK_COLUMNS = ("paper_id", "url", "kind", "source", "position")


def _write_links(slots):
    """Write the link lists the digests own: new papers', and existing papers' that differ from what
    their texts now give. A curator's list (slot.links is None) is left alone."""
    owned = [s for s in slots if s.links is not None]
    existing = [s.paper_id for s in owned if not s.is_new]
    current = {}
    rows = bulk.select_in(PaperLink, ("paper_id", "position", "url", "kind"), "paper_id", existing)
    for paper_id, _position, url, kind in sorted(rows):
        current.setdefault(paper_id, []).append((url, kind))
    rewrite = [
        s for s in owned if s.is_new or current.get(s.paper_id, []) != [(x.url, x.kind) for x in s.links]
    ]
    bulk.delete_in(PaperLink, "paper_id", [s.paper_id for s in rewrite if not s.is_new])
    bulk.insert(
        PaperLink,
        _LINK_COLUMNS,
        [(s.paper_id, x.url, x.kind, Source.DIGEST, i) for s in rewrite for i, x in enumerate(s.links, 1)],
    )


def _insert_papers(slots, *, areas, now):
    """Insert new papers straight from their merged values, and set the slots' paper ids.

    Every new paper is listed at its first entry in this file, so `listed_position` tells the
    returned ids apart without relying on the order of RETURNING rows.
    """
    if not slots:
        return
    fields = [f for f in Paper._meta.concrete_fields if not f.primary_key]
    # Every value is prepared for the database once per file, not once per paper: the rest are
    # strings, numbers, booleans and None, which go as they are.
    row = {f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields}
    row["created_at"] = row["updated_at"] = Paper._meta.get_field("created_at").get_db_prep_save(
        now, connection
    )
    digest = slots[0].merged.listed.digest
    row["listed_digest_id"] = digest.pk
    row["listed_on"] = Paper._meta.get_field("listed_on").get_db_prep_save(digest.published_on, connection)
    rows = []
    for slot in slots:
        merged = slot.merged
        assert merged.listed.digest is digest  # a new paper's newest entry is in this file
        row.update(_from_digests(merged))
        row["links_source"] = Source.DIGEST if slot.links else ""
        row["arxiv_id"] = merged.arxiv_id
        row["area_id"] = areas[merged.area_code].pk if merged.area_code else None
        row["listed_position"] = merged.listed.position
        rows.append(tuple(row[f.attname] for f in fields))
    by_position = {slot.merged.listed.position: slot for slot in slots}
    assert len(by_position) == len(slots)
    for pk, position in bulk.insert(
        Paper, [f.column for f in fields], rows, returning=("id", "listed_position")
    ):
        by_position[position].paper_id = pk
