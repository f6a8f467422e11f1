"""Keeping the index right: one row per paper, rebuilt from the database or added by the importer.

Hidden papers are indexed like the rest: every search goes through `Paper.objects.published()`, so
hiding or showing a paper needs no reindexing. The admin's saves reach here through papers.signals;
bulk writers (the importer, curation's list edits and merges) call these once per batch.
"""

from django.db import connection, transaction

from .. import bulk
from ..models import Affiliation, Author, Authorship, Institution, Paper, SearchEntry, split_short_names
from .text import BODY_FIELDS, TITLE_FIELDS, index_text, paper_columns

COLUMNS = ("rowid", "title", "people", "body")


def reindex_papers(paper_ids):
    """Recompute the index rows of these papers (a deleted paper's row just goes).

    A few queries per bulk.CHUNK papers, whatever their number of authors: the importer calls it
    once per file, the admin's save signals once per changed object.
    """
    ids = sorted({int(pk) for pk in paper_ids if pk is not None})
    if not ids:
        return
    with transaction.atomic():
        for chunk in bulk.chunks(ids):
            rows = _rows(chunk)
            bulk.delete_in(SearchEntry, "rowid", chunk)
            bulk.insert(SearchEntry, COLUMNS, rows)


def index_new_papers(rows):
    """Add the index rows of papers that have none yet: (paper id, title, people, body) tuples, the
    columns as text.paper_columns() makes them. The importer builds them from what it has just written."""
    bulk.insert(SearchEntry, COLUMNS, rows)


def unindex_papers(paper_ids):
    """Drop the index rows of deleted papers."""
    bulk.delete_in(SearchEntry, "rowid", {int(pk) for pk in paper_ids if pk is not None})


def reindex_entity(entity):
    """After an author or institution is renamed or merged: the papers listing it, or listing the
    row it was merged into (whose papers are also found by the alias's name)."""
    kept = entity.canonical() if entity.merged_into_id else entity
    link, fk = (Authorship, "author") if isinstance(entity, Author) else (Affiliation, "institution")
    reindex_papers(link.objects.filter(**{fk: kept}).values_list("paper_id", flat=True))


def reindex_all():
    """Rebuild the whole index (after a restore, or to change what is indexed)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(SearchEntry._meta.db_table)}")
        ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
        reindex_papers(ids)
    return len(ids)


def _rows(paper_ids):
    fields = (*TITLE_FIELDS, *BODY_FIELDS)
    people = _people(paper_ids)
    return [
        (
            pk,
            *paper_columns(
                {f: index_text(v) for f, v in zip(fields, values, strict=True) if v},
                [index_text(name) for name in people.get(pk, [])],
            ),
        )
        for pk, *values in Paper.objects.filter(pk__in=paper_ids).values_list("pk", *fields)
    ]


def _people(paper_ids):
    """Paper id → its authors' then its institutions' names, each followed by the names merged into
    it, so that "CMU" finds Carnegie Mellon's papers.

    Two queries per kind: the papers' link rows, then the names of the rows they point to, both
    by explicit ids, so each is an index lookup whatever the table sizes. (Looking aliases up by a
    subquery of entity ids let PostgreSQL pick a plan that read the whole author table on every
    import, when its statistics lagged behind a long import.)
    """
    people = {}
    for link, model, fk in ((Authorship, Author, "author_id"), (Affiliation, Institution, "institution_id")):
        rows = link.objects.filter(paper_id__in=paper_ids).order_by("paper_id", "position")
        rows = list(rows.values_list("paper_id", fk))
        names = names_with_aliases(model, {pk for _paper_id, pk in rows})
        for paper_id, pk in rows:
            people.setdefault(paper_id, []).extend(names[pk])
    return people


def names_with_aliases(model, ids):
    """Author or institution id → [its name, then the names merged into it, oldest first]: what a
    paper's people column lists for each of its authors and institutions. An institution's Chinese
    and short names follow its name, so `清华` and `THU` find Tsinghua University's papers."""
    table = connection.ops.quote_name(model._meta.db_table)
    details = ", entity.name_zh, entity.short_names" if model is Institution else ", '', ''"
    names = {}
    with connection.cursor() as cursor:
        for condition, params in bulk.is_one_of("entity.id", ids):
            cursor.execute(
                f"SELECT entity.id, entity.name{details}, alias.name FROM {table} entity "
                f"LEFT JOIN {table} alias ON alias.merged_into_id = entity.id "
                f"WHERE {condition} ORDER BY entity.id, alias.id",
                params,
            )
            for pk, name, name_zh, short_names, alias in cursor.fetchall():
                if pk not in names:
                    names[pk] = [name, *([name_zh] if name_zh else []), *split_short_names(short_names)]
                if alias is not None:
                    names[pk].append(alias)
    return names
