"""The site version (papers.models.SiteVersion) and the triggers that move it with every write.

Triggers, not signals: the importer writes by COPY and multi-row INSERT, curation by QuerySet.update(),
and neither sends a signal; a trigger sees every write, in the writer's own transaction. The bump is
an upsert, so a table emptied by a test run's flush (TRUNCATE on PostgreSQL) gets its row back.
PostgreSQL fires once per statement; SQLite only has row triggers, which cost about a microsecond each.
"""

from django.db import migrations, models

# The tables pages, feeds and searches are made of (the search index only changes with papers).
WATCHED = [
    "papers_paper", "papers_author", "papers_institution", "papers_area", "papers_digest",
    "papers_digestentry", "papers_authorship", "papers_affiliation",
]  # fmt: skip

BUMP = (
    "INSERT INTO papers_siteversion (id, version) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET version = papers_siteversion.version + 1"
)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    schema_editor.execute("INSERT INTO papers_siteversion (id, version) VALUES (1, 1)")
    if vendor == "postgresql":
        schema_editor.execute(
            "CREATE FUNCTION papers_bump_site_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_site_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION papers_bump_site_version()"
            )
    elif vendor == "sqlite":
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_site_version_{event.lower()} AFTER {event} ON {table} "
                    f"BEGIN {BUMP}; END"
                )
    else:
        raise NotImplementedError(f"the site version's triggers are written for SQLite and PostgreSQL, not {vendor}")


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for table in WATCHED:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_site_version ON {table}")
        schema_editor.execute("DROP FUNCTION IF EXISTS papers_bump_site_version()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_site_version_{event}")


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
