"""What curators change: edits, visibility, ordered lists, merges, renames and imports from the admin.

The admin only collects input and calls these; every bulk change is written to the admin history
(LogEntry) when a user is given, and bumps the papers' updated_at so feeds notice.
"""

from dataclasses import dataclass

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from . import links as link_rules
from . import search
from .duplicates import ACRONYM, WORD_ORDER, as_acronym, likely_duplicates
from .importing import import_digest, latest_digest_date, newest_appearance
from .models import (
    TEXT_FIELDS,
    Affiliation,
    Authorship,
    Digest,
    DigestEntry,
    Institution,
    Paper,
    PaperLink,
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


@transaction.atomic
def set_paper_links(*, paper, links):
    """Replace a paper's links (url, kind pairs, in order) with a curator's; imports no longer touch
    them. A link the paper had keeps its source; the others are the curator's."""
    had = {link_rules.link_key(url): source for url, source in paper.links.values_list("url", "source")}
    wanted = {}
    for url, kind in links:
        url = link_rules.clean(url) or url  # (the admin refuses what does not clean)
        wanted.setdefault(link_rules.link_key(url), (url, kind))  # one row per link, as imports fold them
    PaperLink.objects.filter(paper=paper).delete()
    PaperLink.objects.bulk_create(
        PaperLink(paper=paper, url=url, kind=kind, source=had.get(key, Source.CURATOR), position=i)
        for i, (key, (url, kind)) in enumerate(wanted.items(), 1)
    )
    paper.links_source = Source.CURATOR
    paper.updated_at = timezone.now()
    Paper.objects.filter(pk=paper.pk).update(links_source=Source.CURATOR, updated_at=paper.updated_at)


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
        # Merges flatten chains: every alias points straight at a canonical row (merged into nothing).
        # Only canonical rows are merged (above) and their aliases move with them here; a rename's
        # alias points at the renamed row, itself canonical (rename_entity). SQL that follows an alias
        # one step (feeds.kept_id_query) relies on this; models.kept_id(), the rule in Python, does not.
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


@dataclass
class MergeSuggestion:
    """Two canonical institutions that are likely one (papers.duplicates says why); `keep` is the one
    a merge keeps unless the curator picks the other: the full name of an acronym, else the one with
    more papers."""

    keep: Institution
    other: Institution
    reason: str

    @property
    def papers(self):
        return self.keep.paper_count + self.other.paper_count


def suggest_institution_merges(*, known_spellings=()):
    """Likely duplicates among canonical institutions, most papers first (word order alone last);
    nothing is merged here.

    Two queries whatever the number of institutions: the names (the rules index them in dicts, O(n)),
    then the paper counts of the institutions in a pair only (affiliation_institution_idx), since
    counting every institution's papers grows with the whole affiliation table.
    `known_spellings` is passed to papers.duplicates.likely_duplicates (a reference table's spellings).
    """
    names = dict(Institution.objects.canonical().order_by("pk").values_list("pk", "name"))
    pairs = likely_duplicates(names, known_spellings=known_spellings)
    paired = {pk for pair in pairs for pk in (pair.first, pair.second)}
    rows = {
        row.pk: row
        for row in Institution.objects.filter(pk__in=paired)
        .annotate(paper_count=Count("affiliations"))
        .only("pk", "name", "slug")
    }
    suggestions = []
    for pair in pairs:
        a, b = rows.get(pair.first), rows.get(pair.second)
        if a is None or b is None:
            continue  # deleted between the two queries
        if pair.reason == ACRONYM:
            keep, other = (b, a) if as_acronym(a.name) else (a, b)
        else:
            keep, other = sorted([a, b], key=lambda row: (-row.paper_count, row.pk))
        suggestions.append(MergeSuggestion(keep=keep, other=other, reason=pair.reason))
    # Word order alone is the weakest rule (University of Washington is not Washington University):
    # its pairs come after the others, each group most papers first.
    suggestions.sort(key=lambda s: (s.reason == WORD_ORDER, -s.papers, s.keep.name, s.other.name))
    return suggestions


@transaction.atomic
def rename_entity(*, entity, name):
    """Rename an author or institution. A new spelling keeps the old one as an alias (with the old slug),
    so the next digest that still uses it, and old links, find this row."""
    model = type(entity)
    old = model.objects.select_for_update().get(pk=entity.pk)
    if old.merged_into_id:
        # Its new alias would point at an alias: a chain (see _merge). The admin never offers it.
        raise ValueError("an alias is not renamed; rename the row it was merged into")
    entity.name = name
    if normalize_name(name) == old.normalized_name:
        entity.save()
        return None
    entity.slug = unique_slug(model, name, fallback=model.__name__.lower())
    entity.save()
    return model.objects.create(name=old.name, slug=old.slug, merged_into=entity)


def set_digest_date(*, digest, published_on, user=None):
    """Correct a digest's date (a typo in its file name); returns how many papers were re-listed.

    Lists and feeds order papers by the digest they are listed at, so each of the digest's papers is
    re-listed at its newest appearance, as an import would list it, and its updated_at moves (feeds
    key their ETag on it). A date more than a day ahead is refused, as the importer refuses it.
    """
    if published_on > latest_digest_date(timezone.localdate()):
        raise ValueError(
            f"a digest cannot be dated {published_on.isoformat()}, more than a day after today; "
            "it would stay at the top of every list until then"
        )
    with transaction.atomic():
        old = Digest.objects.select_for_update().get(pk=digest.pk).published_on
        digest.published_on = published_on
        if old == published_on:
            return 0
        Digest.objects.filter(pk=digest.pk).update(published_on=published_on)
        paper_ids = _paper_ids([digest.pk])
        _relist(paper_ids)
        message = f"Date corrected from {old} to {published_on}; {len(paper_ids)} papers re-listed"
        _log(user, [digest], CHANGE, message)
    return len(paper_ids)


@dataclass
class DeleteResult:
    digests: int
    relisted: int
    deleted: int


def papers_only_in(digests):
    """The papers that appeared in these digests and nowhere else: deleting the digests deletes them."""
    ids = [d.pk for d in digests]
    elsewhere = DigestEntry.objects.exclude(digest_id__in=ids).values("paper_id")
    return Paper.objects.filter(entries__digest_id__in=ids).exclude(pk__in=elsewhere).distinct()


def delete_digests(*, digests, user=None):
    """Delete digests (a superuser's action: curators may not) and what only they brought.

    The digests' papers are re-listed at their remaining appearances; a paper left with none came
    only from these digests and is deleted too (and leaves the search index, through the paper's
    delete signal). Every deletion is written to the admin history when a user is given.
    """
    with transaction.atomic():
        digests = list(Digest.objects.select_for_update().filter(pk__in=[d.pk for d in digests]))
        ids = [d.pk for d in digests]
        orphans = list(papers_only_in(digests).order_by("pk"))
        orphan_ids = {p.pk for p in orphans}
        relisted = [pk for pk in _paper_ids(ids) if pk not in orphan_ids]
        message = f"Deleted; {len(relisted)} papers re-listed at their other digests, {len(orphans)} deleted"
        _log(user, digests, DELETION, message)
        _log(user, orphans, DELETION, "Deleted with the only digest it appeared in")
        Digest.objects.filter(pk__in=ids).delete()  # and their entries
        for start in range(0, len(orphans), 500):
            Paper.objects.filter(pk__in=[p.pk for p in orphans[start : start + 500]]).delete()
        _relist(relisted)
    return DeleteResult(digests=len(digests), relisted=len(relisted), deleted=len(orphans))


def _paper_ids(digest_ids):
    entries = DigestEntry.objects.filter(digest_id__in=digest_ids).order_by("paper_id")
    return list(dict.fromkeys(entries.values_list("paper_id", flat=True)))


def _relist(paper_ids):
    """List papers at their newest stored appearance (importing.newest_appearance), bumping updated_at."""
    now = timezone.now()
    for start in range(0, len(paper_ids), 500):
        chunk = paper_ids[start : start + 500]
        appearances = {}
        entries = DigestEntry.objects.filter(paper_id__in=chunk).select_related("digest")
        for entry in entries.only("paper_id", "position", "digest__id", "digest__published_on"):
            appearances.setdefault(entry.paper_id, []).append(entry)
        papers = []
        for paper_id, paper_entries in appearances.items():
            newest = newest_appearance(paper_entries)
            papers.append(
                Paper(
                    pk=paper_id,
                    listed_digest_id=newest.digest_id,
                    listed_on=newest.digest.published_on,
                    listed_position=newest.position,
                    updated_at=now,
                )
            )
        Paper.objects.bulk_update(papers, ["listed_digest", "listed_on", "listed_position", "updated_at"])


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
