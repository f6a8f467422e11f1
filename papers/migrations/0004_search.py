"""The full-text index of papers (papers.search), one table per backend.

SQLite: an FTS5 virtual table; `porter unicode61` stems English and folds case and diacritics.
PostgreSQL: the same three text columns plus a stored, generated, weighted tsvector (English
stemming; title A, people B, body C) with a named GIN index.

There is deliberately no foreign key to papers_paper: TRUNCATE-based flushes (test databases) would
refuse it, and a row whose paper is gone is harmless (searches join to papers). The post_delete
signal in papers.signals removes it anyway.
"""

import re
import unicodedata

from django.db import migrations, models

# Frozen here as papers.search indexed text when this migration was written, so that the migration
# keeps its meaning whatever the search code becomes (rebuild_search_index refreshes the rows).
_CJK_RUN = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")


def _index_text(text):
    if not text or text.isascii():
        return text or ""
    text = "".join(" " if ord(c) > 127 and unicodedata.category(c)[0] in "PSZ" else c for c in unicodedata.normalize("NFKC", text))
    return _CJK_RUN.sub(lambda m: " " + " ".join(m.group()[i : i + 2] for i in range(max(1, len(m.group()) - 1))) + " ", text)


def index_row(*, title, people, body):
    return tuple(" \n ".join(_index_text(t) for t in texts if t) for texts in (title, people, body))

SQLITE_CREATE = """
CREATE VIRTUAL TABLE papers_search USING fts5(
    title, people, body, tokenize = 'porter unicode61 remove_diacritics 2'
)
"""

POSTGRES_CREATE = [
    """
    CREATE TABLE papers_search (
        rowid bigint PRIMARY KEY,
        title text NOT NULL,
        people text NOT NULL,
        body text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english'::regconfig, title), 'A')
            || setweight(to_tsvector('english'::regconfig, people), 'B')
            || setweight(to_tsvector('english'::regconfig, body), 'C')
        ) STORED
    )
    """,
    # Rows hold only pointers to their (compressed) texts and vector, so the few heap pages a GIN
    # search visits for visibility stay cached: 10 MB of heap at 100,000 papers instead of 160 MB.
    "ALTER TABLE papers_search SET (toast_tuple_target = 128)",
    # /search/ and ?q= on every paper list: `document @@ query`.
    "CREATE INDEX papers_search_document_gin ON papers_search USING gin (document)",
]


def create_index(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)
    elif vendor == "postgresql":
        for statement in POSTGRES_CREATE:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"full-text search is implemented for SQLite and PostgreSQL, not {vendor}")


def drop_index(apps, schema_editor):
    schema_editor.execute("DROP TABLE IF EXISTS papers_search")


def fill_index(apps, schema_editor):
    """Index the papers a database already has (papers.search.reindex_papers does it afterwards)."""
    Paper = apps.get_model("papers", "Paper")
    Authorship = apps.get_model("papers", "Authorship")
    Affiliation = apps.get_model("papers", "Affiliation")
    names = {}
    for link, fk in ((Authorship, "author"), (Affiliation, "institution")):
        for paper_id, name in link.objects.order_by("paper_id", "position").values_list(
            "paper_id", f"{fk}__name"
        ):
            names.setdefault(paper_id, []).append(name)
    rows = [
        (pk, *index_row(title=[t_en, t_zh], people=names.get(pk, []), body=[s_zh, a_en, a_zh, arxiv]))
        for pk, t_en, t_zh, s_zh, a_en, a_zh, arxiv in Paper.objects.values_list(
            "pk", "title_en", "title_zh", "summary_zh", "abstract_en", "abstract_zh", "arxiv_id"
        ).iterator()
    ]
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO papers_search (rowid, title, people, body) VALUES (%s, %s, %s, %s)", rows
        )


class Migration(migrations.Migration):
    dependencies = [("papers", "0003_curators_group")]

    operations = [
        migrations.CreateModel(
            name="SearchEntry",
            fields=[
                (
                    "paper",
                    models.OneToOneField(
                        db_column="rowid",
                        db_constraint=False,
                        on_delete=models.DO_NOTHING,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to="papers.paper",
                    ),
                ),
                ("title", models.TextField()),
                ("people", models.TextField()),
                ("body", models.TextField()),
            ],
            options={"db_table": "papers_search", "managed": False},
        ),
        migrations.AddIndex(
            model_name="paper",
            index=models.Index(
                fields=["id", "is_published", "listed_on", "listed_digest", "listed_position"],
                name="paper_search_join_idx",
            ),
        ),
        migrations.RunPython(create_index, drop_index),
        migrations.RunPython(fill_index, migrations.RunPython.noop),
    ]
