"""The site version (papers.models.SiteVersion) and the triggers that move it with every write.

Triggers, not signals: the importer writes by COPY and multi-row INSERT, curation by QuerySet.update(),
and neither sends a signal; a trigger sees every write, in the writer's own transaction. The bump is
an upsert, so a table emptied by a test run's flush (TRUNCATE on PostgreSQL) gets its row back.
The SQL is papers.bulk.watch_for_site_version(), which later migrations call for their own tables.
"""

from django.db import migrations, models

from papers import bulk

# The tables pages, feeds and searches are made of (the search index only changes with papers).
WATCHED = [
    "papers_paper", "papers_author", "papers_institution", "papers_area", "papers_digest",
    "papers_digestentry", "papers_authorship", "papers_affiliation",
]  # fmt: skip


def create_triggers(apps, schema_editor):
    schema_editor.execute("INSERT INTO papers_siteversion (id, version) VALUES (1, 1)")
    bulk.watch_for_site_version(schema_editor, WATCHED)


def drop_triggers(apps, schema_editor):
    bulk.unwatch_for_site_version(schema_editor, WATCHED)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS papers_bump_site_version()")


class Migration(migrations.Migration):
    dependencies = [("papers", "0011_digest_reposted_from")]

    operations = [
        migrations.CreateModel(
            name="SiteVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("version", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
