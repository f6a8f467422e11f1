"""Ordered author and institution lists: names to rows (creating new ones, following aliases to the
kept row, mapping an institution's new spelling through the loaded reference table), slugs for new
rows, and the lists of the papers an import touches."""

import hashlib

from .. import bulk, search
from ..models import (
    Affiliation,
    Author,
    Authorship,
    Institution,
    ReferenceInstitution,
    ReferenceSpelling,
    kept_id,
    normalize_name,
    slug_base,
    unique_slug,
)
from . import rules


def write_people(slots, prepared):
    """(Re)write the ordered author and institution lists that are not curated.

    Sets each slot's `people` (ids of the kept rows, in list order) and `people_changed` (an
    existing paper whose list was rewritten). Returns, per kind, kept id → the names the search
    index lists for it (its own, then its aliases'), for the ids that new papers list.
    """
    name_keys = prepared.name_keys
    current = _current_lists([s.paper_id for s in slots if not s.is_new])
    labels = {}
    for kind, relation, model, link, source_field, fk in (
        ("authors", "authorships", Author, Authorship, "authors_source", "author_id"),
        ("institutions", "affiliations", Institution, Affiliation, "institutions_source", "institution_id"),
    ):
        names = {n for s in slots for n in getattr(s.merged, kind)}
        if model is Institution:
            adopt_known_spellings(names)
        ids_by_key, created = _resolve_entities(model, names, name_keys, prepared.slug_bases)
        id_of = {name: ids_by_key[_name_key(name, name_keys)] for name in names}
        rewrite, rows = [], []
        for slot in slots:
            if slot.curated(source_field):
                continue
            wanted = [id_of[n] for n in getattr(slot.merged, kind)]
            if kind == "institutions":
                wanted = rules.listed_once(wanted)
            slot.people[kind] = wanted
            if not slot.is_new and current[relation].get(slot.paper_id, []) == wanted:
                continue
            if not slot.is_new:
                rewrite.append(slot.paper_id)
                slot.people_changed = True
            rows.extend((slot.paper_id, pk, i) for i, pk in enumerate(wanted, 1))
        for chunk in bulk.chunks(rewrite):
            link.objects.filter(paper_id__in=chunk).delete()
        bulk.insert(link, ("paper_id", fk, "position"), rows)

        listed = {pk for s in slots if s.is_new for pk in s.people[kind]}
        labels[kind] = {pk: [name] for pk, name in created.items()}
        labels[kind].update(search.names_with_aliases(model, listed - created.keys()))
    return labels


def _name_key(name, name_keys):
    # Names of this file were normalized while it was prepared; older entries' names were not.
    return name_keys[name] if name in name_keys else normalize_name(name)


def _current_lists(paper_ids):
    current = {"authorships": {}, "affiliations": {}}
    for relation, model, fk in (
        ("authorships", Authorship, "author_id"),
        ("affiliations", Affiliation, "institution_id"),
    ):
        rows = sorted(bulk.select_in(model, ("paper_id", "position", fk), "paper_id", paper_ids))
        for paper_id, _position, pk in rows:
            current[relation].setdefault(paper_id, []).append(pk)
    return current


def _resolve_entities(model, names, name_keys, slug_bases):
    """Normalized name → id of the kept (unmerged) row, creating rows for names never seen.

    Also returns the rows it created, id → name.
    """
    wanted = {}
    for name in sorted(names):
        wanted.setdefault(_name_key(name, name_keys), " ".join(name.split()))
    found, merged_into = {}, {}
    for key, pk, target in bulk.select_in(
        model, ("normalized_name", "id", "merged_into_id"), "normalized_name", wanted
    ):
        found[key] = pk
        if target:
            merged_into[pk] = target
    missing = [key for key in wanted if key not in found]
    created = {}
    if missing:
        # Most authors of a day's papers are new names.
        slugs = _assign_slugs(model, {key: wanted[key] for key in missing}, slug_bases)
        rows = [(wanted[key], key, slugs[key]) for key in missing]
        new = dict(
            bulk.insert(model, ("name", "normalized_name", "slug"), rows, returning=("normalized_name", "id"))
        )
        found.update(new)
        created = {pk: wanted[key] for key, pk in new.items()}
    _follow_merges(model, merged_into)
    return {key: kept_id(pk, merged_into.get) for key, pk in found.items()}, created


def _follow_merges(model, merged_into):
    """Load the rest of each alias chain (an alias of an alias) so following it needs no query."""
    pending = set(merged_into.values()) - merged_into.keys()
    while pending:
        rows = model.objects.filter(pk__in=pending, merged_into__isnull=False).values_list(
            "pk", "merged_into_id"
        )
        new = dict(rows)
        merged_into.update(new)
        pending = set(new.values()) - merged_into.keys()


def _assign_slugs(model, names, slug_bases):
    """normalized name → a slug no row has yet, for names about to be created."""
    bases = {
        key: (slug_bases[name] if name in slug_bases else slug_base(name)) or model.__name__.lower()
        for key, name in names.items()
    }
    taken = _taken_slugs(model, set(bases.values()))
    taken |= _taken_slugs(
        model, {f"{base}-{_name_hash(key)}" for key, base in bases.items() if base in taken}
    )
    slugs = {}
    for key, base in bases.items():
        slug = base
        if slug in taken:
            # A short hash of the name keeps slugs unique without a query per row.
            slug = f"{base}-{_name_hash(key)}"
        n = 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs[key] = slug
    return slugs


def _taken_slugs(model, slugs):
    return {slug for (slug,) in bulk.select_in(model, ("slug",), "slug", slugs)}


def _name_hash(normalized_name):
    return hashlib.sha256(normalized_name.encode()).hexdigest()[:6]


def adopt_known_spellings(names):
    """For the names of an import that no stored row has yet but the loaded table knows: create the
    entry's institution if it has none, and each such name as its alias, so the import then finds
    them as stored spellings. Two queries when nothing is new, as on most days."""
    wanted = {normalize_name(n): " ".join(n.split()) for n in names}
    wanted.pop("", None)
    stored = {key for (key,) in bulk.select_in(Institution, ("normalized_name",), "normalized_name", wanted)}
    unknown = [key for key in wanted if key not in stored]
    if not unknown:
        return
    known = dict(
        bulk.select_in(ReferenceSpelling, ("normalized_name", "entry_id"), "normalized_name", unknown)
    )
    if not known:
        return
    entries = ReferenceInstitution.objects.in_bulk(set(known.values()))
    for entry_id, entry in sorted(entries.items()):
        spellings = [key for key, e in known.items() if e == entry_id]
        kept = _entry_row(entry)
        for key in spellings:
            if key != kept.normalized_name:
                Institution.objects.create(
                    name=wanted[key],
                    slug=unique_slug(Institution, wanted[key], fallback="institution"),
                    merged_into=kept,
                )


def _entry_row(entry):
    """The kept institution of a loaded entry: the one with its key, else with its name, else new."""
    row = Institution.objects.filter(reference_key=entry.key).first()
    if row is None:
        row = Institution.objects.filter(normalized_name=normalize_name(entry.name)).first()
    if row is not None:
        return row.canonical()
    return Institution.objects.create(
        name=entry.name,
        name_zh=entry.name_zh,
        short_names=entry.short_names,
        kind=entry.kind,
        country=entry.country,
        reference_key=entry.key,
    )
