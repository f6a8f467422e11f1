"""models.PaperCount: published papers per (institution, area), kept exact by triggers.

Triggers, as for the site version (0012): imports write by COPY and multi-row INSERT, curation by
QuerySet.update(), and only a trigger sees every write in the writer's own transaction. The SQL is
papers.bulk.count_published_papers(), which also fills the table from the papers there are.
"""

import django.db.models.deletion
from django.db import migrations, models

from papers import bulk


def create_triggers(apps, schema_editor):
    bulk.watch_for_site_version(schema_editor, ["papers_papercount"])
    bulk.count_published_papers(schema_editor)


def drop_triggers(apps, schema_editor):
    bulk.uncount_published_papers(schema_editor)
    bulk.unwatch_for_site_version(schema_editor, ["papers_papercount"])


class Migration(migrations.Migration):
    dependencies = [("papers", "0013_paper_links")]

    operations = [
        migrations.CreateModel(
            name="PaperCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("n", models.IntegerField(default=0)),
                (
                    "area",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="papers.area",
                    ),
                ),
                (
                    "institution",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="papers.institution",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("institution", "area"), name="papercount_unique_key")
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
