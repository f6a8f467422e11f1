"""The portal's data contract: one JSON object per paper, as `export_papers` prints it."""

from django.db.models import Prefetch

from .models import TEXT_FIELDS, DigestEntry, Paper, Section, ordered_people

BATCH = 1000


def export_rows():
    """Every paper, in order of first appearance (file name, entry position): stable across import orders."""
    first_seen = {}
    for paper_id, name, position in DigestEntry.objects.values_list("paper_id", "digest__name", "position"):
        key = (name, position)
        if paper_id not in first_seen or key < first_seen[paper_id]:
            first_seen[paper_id] = key
    order = sorted(first_seen, key=lambda pk: (first_seen[pk], pk))
    # Papers a curator created by hand have no appearance; they go last, by id.
    order += sorted(set(Paper.objects.values_list("pk", flat=True)) - first_seen.keys())
    for start in range(0, len(order), BATCH):
        ids = order[start : start + BATCH]
        papers = (
            Paper.objects.filter(pk__in=ids)
            .select_related("area")
            .prefetch_related(
                *ordered_people(), Prefetch("entries", queryset=DigestEntry.objects.select_related("digest"))
            )
        )
        by_id = {p.pk: p for p in papers}
        for pk in ids:
            yield paper_row(by_id[pk])


def paper_row(paper):
    appearances = sorted(
        (
            {
                "file": entry.digest.name,
                "entry_index": entry.position,
                "section": None if entry.section == Section.STREAM else entry.section,
                "number": entry.number,
            }
            for entry in paper.entries.all()
        ),
        key=lambda a: (a["file"], a["entry_index"]),
    )
    return {
        "arxiv_id": paper.arxiv_id,
        "area": paper.area.code if paper.area else None,
        **{name: getattr(paper, name) or None for name in TEXT_FIELDS},
        "authors": [a.name for a in paper.ordered_authors()],
        "authors_truncated": paper.authors_truncated,
        "institutions": [i.name for i in paper.ordered_institutions()],
        "appearances": appearances,
        "provenance": paper.provenance(),
    }
