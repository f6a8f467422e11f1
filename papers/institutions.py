"""Institutions and the reference table (papers.reference): loading it, and mapping spellings through it.

Loading a table version (load_reference) stores its entries, then applies them to the stored
institutions: the rows whose name (or an alias's) is a spelling of one entry become one institution
(merged, through the curation merge service), which takes the entry's key, names, kind and country.
The importer then maps a spelling it has never stored through the loaded entries
(papers.importing.people), so the first paper from "THU" already lists Tsinghua University.

A curator's decision always wins, so loading never undoes one:
- it only merges, never splits: an alias a curator made stays where the curator put it, even when the
  table lists the two apart (the report says so);
- a row a curator edited in the admin (Institution.details_curated) keeps its name and details; the
  table still maps its spellings to it.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count

from . import curation
from .models import (
    Institution,
    ReferenceCountry,
    ReferenceInstitution,
    ReferenceLoad,
    ReferenceSpelling,
    kept_id,
    normalize_name,
)


@dataclass
class LoadReport:
    entries: int = 0
    stored: int = 0  # kept institutions after the load
    matched: int = 0  # of them, those the table names
    merged: int = 0  # rows merged as spellings of one entry
    updated: int = 0  # institutions whose name or details the table set
    unmatched: list = field(default_factory=list)  # (name, papers), most papers first
    conflicts: list = field(default_factory=list)  # what the table said that a curator had decided otherwise


def load_reference(table, *, log=None):
    """Store `table` (a papers.reference.Table) as the loaded version and apply it; one transaction."""
    log = log or (lambda message: None)
    with transaction.atomic():
        _store(table)
        log(f"Stored {len(table.entries)} reference institutions and {len(table.countries)} countries.")
        report = _apply(table, log)
        ReferenceLoad.objects.create(
            checksum=table.checksum,
            entries=len(table.entries),
            matched=report.matched,
            merged=report.merged,
        )
    return report


def spelling_groups():
    """The loaded table's spellings, one list per institution: papers.duplicates' known spellings."""
    groups = {}
    for entry_id, spelling in ReferenceSpelling.objects.order_by("pk").values_list("entry_id", "spelling"):
        groups.setdefault(entry_id, []).append(spelling)
    return list(groups.values())


def loaded_checksum():
    """The checksum of the table version loaded last, or None."""
    return ReferenceLoad.objects.order_by("-loaded_at", "-id").values_list("checksum", flat=True).first()


def _store(table):
    ReferenceSpelling.objects.all().delete()
    ReferenceInstitution.objects.all().delete()
    countries = {c.code: c for c in ReferenceCountry.objects.all()}
    for code, (en, zh) in table.countries.items():
        row = countries.pop(code, None)
        if row is None:
            ReferenceCountry.objects.create(code=code, name_en=en, name_zh=zh)
        elif (row.name_en, row.name_zh) != (en, zh):
            row.name_en, row.name_zh = en, zh
            row.save()
    if countries:
        ReferenceCountry.objects.filter(code__in=countries).delete()
    rows = ReferenceInstitution.objects.bulk_create(
        ReferenceInstitution(
            key=e.key,
            name=e.name,
            name_zh=e.name_zh,
            short_names=", ".join(e.short_names),
            kind=e.kind,
            country=e.country,
        )
        for e in table.entries
    )
    ReferenceSpelling.objects.bulk_create(
        ReferenceSpelling(normalized_name=key, spelling=spelling, entry=row)
        for row, entry in zip(rows, table.entries, strict=True)
        # One row per spelling once folded ("Google Inc" and "Google Inc." are one).
        for key, spelling in {normalize_name(s): s for s in reversed(entry.spellings)}.items()
        if key
    )


def _apply(table, log):
    report = LoadReport(entries=len(table.entries))
    entries = {e.key: e for e in table.entries}
    by_spelling = table.by_spelling()
    rows = {row.pk: row for row in Institution.objects.order_by("pk")}
    merged_into = {pk: row.merged_into_id for pk, row in rows.items() if row.merged_into_id}

    # Entry key → the kept rows its spellings (or an earlier load's key) lead to.
    claims = {}
    for row in rows.values():
        kept = kept_id(row.pk, merged_into.get)
        for entry in (by_spelling.get(row.normalized_name), entries.get(row.reference_key)):
            if entry is not None:
                claims.setdefault(kept, {})[entry.key] = None
    groups = {}
    for kept, keys in claims.items():
        key = _one_claim(rows[kept], list(keys), entries, report)
        if key is not None:
            groups.setdefault(key, []).append(rows[kept])

    papers = dict(
        Institution.objects.filter(pk__in=[r.pk for group in groups.values() for r in group])
        .annotate(n=Count("affiliations"))
        .values_list("pk", "n")
    )
    for key, group in groups.items():
        entry = entries[key]
        keep = _keeper(group, entry, papers)
        others = [row for row in group if row.pk != keep.pk]
        if others:
            curation.merge_institutions(keep=keep, others=others)
            report.merged += len(others)
            log(f"Merged {', '.join(f'“{o.name}”' for o in others)} into “{keep.name}” ({entry.key}).")
        keep = _named_row(keep, entry, report, log)
        if _take_entry(keep, entry):
            report.updated += 1
    # Keys of entries this version no longer has. (Each write here is made only when it changes a
    # row: on PostgreSQL the site version moves with every statement, and a load that changes
    # nothing must leave every page cached.)
    gone = Institution.objects.exclude(reference_key="").exclude(reference_key__in=entries)
    if gone.exists():
        gone.update(reference_key="")

    kept_rows = Institution.objects.canonical()
    report.stored = kept_rows.count()
    report.matched = kept_rows.exclude(reference_key="").count()
    report.unmatched = list(
        kept_rows.filter(reference_key="")
        .annotate(n=Count("affiliations"))
        .order_by("-n", "name")
        .values_list("name", "n")
    )
    return report


def _one_claim(row, keys, entries, report):
    """The one entry a kept row stands for, when the table's spellings lead it to several (a curator
    merged rows the table lists apart): the row's earlier key, else the entry its own name spells."""
    if len(keys) == 1:
        return keys[0]
    own = [k for k in keys if k == row.reference_key] or [
        k for k in keys if normalize_name(row.name) in {normalize_name(s) for s in entries[k].spellings}
    ]
    chosen = own[0] if own else None
    names = ", ".join(entries[k].name for k in keys)
    report.conflicts.append(
        f"“{row.name}” holds spellings of {names} (a curator's merge); left as merged"
        + (f", as {entries[chosen].name}" if chosen else ", matched to none of them")
    )
    return chosen


def _keeper(group, entry, papers):
    """The row a group of one entry's rows merges into: the one loaded before, else the one with the
    entry's English name, else a curator's, else the one with most papers."""
    name = normalize_name(entry.name)
    return min(
        group,
        key=lambda r: (
            r.reference_key != entry.key,
            r.normalized_name != name,
            not r.details_curated,
            -papers.get(r.pk, 0),
            r.pk,
        ),
    )


def _named_row(keep, entry, report, log):
    """The row that is to carry the entry's English name. When that name is already one of `keep`'s
    aliases (a digest said "CMU" first, "Carnegie Mellon University" later, and a merge made the
    second an alias), the alias becomes the kept row and `keep` its alias, through the merge service:
    the two stay one, as merged, under the table's name. A row a curator edited keeps its name."""
    name = normalize_name(entry.name)
    if keep.details_curated or keep.normalized_name == name:
        return keep
    named = Institution.objects.filter(normalized_name=name).first()
    if named is None:
        return keep
    if named.merged_into_id != keep.pk:
        report.conflicts.append(f"“{entry.name}” is another institution's name; “{keep.name}” keeps its name")
        return keep
    Institution.objects.filter(pk=named.pk).update(merged_into=None)
    named.refresh_from_db()
    curation.merge_institutions(keep=named, others=[keep])
    log(f"“{named.name}” is now the kept row of “{keep.name}” ({entry.key}).")
    return named


def _take_entry(row, entry):
    """Give a kept row the entry's key and, unless a curator edited it, its name and details.
    Saves only what changed (the save moves its papers' dates and search rows, papers.signals)."""
    row.refresh_from_db()
    changed = row.reference_key != entry.key
    if changed:
        # The key moves from a row that was merged into this one since the last load.
        holders = Institution.objects.filter(reference_key=entry.key).exclude(pk=row.pk)
        if holders.exists():
            holders.update(reference_key="")
    row.reference_key = entry.key
    if not row.details_curated:
        details = {
            "name_zh": entry.name_zh,
            "short_names": ", ".join(entry.short_names),
            "kind": entry.kind,
            "country": entry.country,
        }
        for name, value in details.items():
            if getattr(row, name) != value:
                setattr(row, name, value)
                changed = True
        if row.name != entry.name:
            if normalize_name(entry.name) != row.normalized_name:
                # The old spelling stays as an alias with the old slug: imports and links find it.
                curation.rename_entity(entity=row, name=entry.name)
                return True
            row.name, changed = entry.name, True
    if changed:
        row.save()
    return changed
