"""What curators change: edits, visibility, ordered lists, merges, renames and imports from the admin.

The admin only collects input and calls these; every bulk change is written to the admin history
(LogEntry) when a user is given, and bumps the papers' updated_at so feeds notice.
"""

from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import transaction
from django.utils import timezone

from . import search
from .importing import import_digest
from .models import (
    TEXT_FIELDS,
    Affiliation,
    Authorship,
    Digest,
    Paper,
    Source,
    normalize_name,
    unique_slug,
)

CURATORS_GROUP = "Curators"


def save_paper_edit(*, paper, changed_fields):
    """Save a curator's edit; the text fields they changed become theirs, so imports leave them alone."""
    for name in changed_fields:
        if name in TEXT_FIELDS:
            setattr(paper, f"{name}_source", Source.CURATOR)
    if "authors_truncated" in changed_fields:
        paper.authors_source = Source.CURATOR
    paper.save()


def set_paper_authors(*, paper, authors):
    """Replace a paper's author list (in order) with a curator's; imports no longer touch it."""
    _replace_list(paper, authors, Authorship, "author", "authors_source")


def set_paper_institutions(*, paper, institutions):
    """Replace a paper's institution list (in order) with a curator's; imports no longer touch it."""
    _replace_list(paper, institutions, Affiliation, "institution", "institutions_source")


@transaction.atomic
def _replace_list(paper, entities, link, fk, source_field):
    wanted = _listed([entity.canonical().pk for entity in entities], link)
    # Rewritten whole and numbered 1..n, so reordering never collides with (paper, position).
    link.objects.filter(paper=paper).delete()
    link.objects.bulk_create(
        link(paper=paper, position=i, **{f"{fk}_id": pk}) for i, pk in enumerate(wanted, 1)
    )
    search.reindex_papers([paper.pk])  # bulk writes send no signals
    setattr(paper, source_field, Source.CURATOR)
    paper.updated_at = timezone.now()
    Paper.objects.filter(pk=paper.pk).update(**{source_field: Source.CURATOR, "updated_at": paper.updated_at})


def set_published(*, papers, published, user=None):
    """Publish or hide papers; returns how many changed. Hidden papers leave every public page."""
    return _set_flag(papers, "is_published", published, user, "Published" if published else "Hidden")


def set_featured(*, papers, featured, user=None):
    """Feature or unfeature papers; returns how many changed."""
    return _set_flag(papers, "is_featured", featured, user, "Featured" if featured else "Unfeatured")


def _set_flag(papers, field, value, user, message):
    with transaction.atomic():
        changing = list(papers.exclude(**{field: value}).order_by())
        ids = [p.pk for p in changing]
        # update() skips auto_now, and feeds date themselves by updated_at.
        now = timezone.now()
        for start in range(0, len(ids), 500):
            Paper.objects.filter(pk__in=ids[start : start + 500]).update(**{field: value, "updated_at": now})
        _log(user, changing, CHANGE, message)
    return len(changing)


def _listed(ids, link):
    # As the importer does: an institution is listed once, but two authors with one name are
    # usually two people, so an author list stays as written.
    return list(dict.fromkeys(ids)) if link is Affiliation else ids


@dataclass
class MergeResult:
    kept: object
    merged: list
    papers: int


def merge_institutions(*, keep, others, user=None):
    """Make `others` aliases of `keep`; their papers list `keep` instead, once, where the first was."""
    return _merge(keep, others, Affiliation, "institution", user)


def merge_authors(*, keep, others, user=None):
    """Make `others` aliases of `keep`; their papers list `keep` instead, in the same places."""
    return _merge(keep, others, Authorship, "author", user)


def _merge(keep, others, link, fk, user):
    model = type(keep)
    others = [o for o in others if o.pk != keep.pk]
    if keep.merged_into_id or any(o.merged_into_id for o in others):
        raise ValueError("only canonical rows can be merged; merge the row an alias points to instead")
    other_ids = {o.pk for o in others}
    with transaction.atomic():
        # Aliases of the merged rows move too, so every alias points straight at a canonical row.
        model.objects.filter(merged_into__in=other_ids).update(merged_into=keep)
        model.objects.filter(pk__in=other_ids).update(merged_into=keep)

        affected = link.objects.filter(**{f"{fk}__in": other_ids}).values("paper_id")
        lists = {}
        rows = link.objects.filter(paper_id__in=affected).order_by("paper_id", "position")
        for paper_id, entity_id in rows.values_list("paper_id", f"{fk}_id"):
            lists.setdefault(paper_id, []).append(keep.pk if entity_id in other_ids else entity_id)
        lists = {paper_id: _listed(ids, link) for paper_id, ids in lists.items()}
        # The lists' provenance stays as it was: still the digests' lists (or a curator's), canonicalised.
        Paper.objects.filter(pk__in=affected).update(updated_at=timezone.now())
        paper_ids = list(lists)
        for start in range(0, len(paper_ids), 500):
            link.objects.filter(paper_id__in=paper_ids[start : start + 500]).delete()
        link.objects.bulk_create(
            link(paper_id=paper_id, position=i, **{f"{fk}_id": pk})
            for paper_id, ordered in lists.items()
            for i, pk in enumerate(ordered, 1)
        )
        # Bulk writes send no signals. All of keep's papers: the merged names now find them too.
        search.reindex_entity(keep)
        for other in others:
            other.merged_into = keep
        names = ", ".join(f"“{o.name}”" for o in others)
        _log(user, [keep], CHANGE, f"Merged {names} into this one ({len(lists)} papers)")
        _log(user, others, CHANGE, f"Merged into “{keep.name}”")
    return MergeResult(kept=keep, merged=others, papers=len(lists))


@transaction.atomic
def rename_entity(*, entity, name):
    """Rename an author or institution. A new spelling keeps the old one as an alias (with the old slug),
    so the next digest that still uses it, and old links, find this row."""
    model = type(entity)
    old = model.objects.select_for_update().get(pk=entity.pk)
    entity.name = name
    if normalize_name(name) == old.normalized_name:
        entity.save()
        return None
    entity.slug = unique_slug(model, name, fallback=model.__name__.lower())
    entity.save()
    return model.objects.create(name=old.name, slug=old.slug, merged_into=entity)


def import_digests(*, files, user=None, dry_run=False):
    """Import (name, bytes) pairs with the same service as load_digests; one report per file."""
    reports = []
    for name, data in files:
        report = import_digest(data, name=name, dry_run=dry_run)
        if report.status == "imported" and not dry_run:
            _log(user, [Digest.objects.get(pk=report.digest_id)], ADDITION, report.summary())
        reports.append(report)
    return reports


def _log(user, objects, action_flag, message):
    if user is not None and objects:
        LogEntry.objects.log_actions(
            user_id=user.pk, queryset=objects, action_flag=action_flag, change_message=message
        )
