"""Institutions as bilingual entities with a kind and a country, and the loaded reference table
(papers.reference, papers.institutions)."""

import django.core.validators
import django.db.models.deletion
import papers.models
import re
from django.db import migrations, models

from papers import bulk

# SQLite rebuilds papers_institution to add its columns, which drops its site-version triggers
# (0012): they are made again; the reference countries are shown on pages, so they are watched too.
WATCHED = ["papers_institution", "papers_referencecountry"]


def watch(apps, schema_editor):
    bulk.watch_for_site_version(schema_editor, WATCHED)


def unwatch(apps, schema_editor):
    bulk.unwatch_for_site_version(schema_editor, ["papers_referencecountry"])


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0014_paper_counts"),
    ]

    operations = [
        migrations.CreateModel(
            name="ReferenceCountry",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(max_length=2, unique=True)),
                ("name_en", models.CharField(max_length=100)),
                ("name_zh", models.CharField(max_length=100)),
            ],
            options={
                "ordering": ["code"],
            },
        ),
        migrations.CreateModel(
            name="ReferenceInstitution",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=40, unique=True)),
                ("name", models.CharField(max_length=300)),
                ("name_zh", models.CharField(max_length=300)),
                ("short_names", models.CharField(blank=True, max_length=300)),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("university", "university"),
                            ("company", "company"),
                            ("lab", "research lab"),
                            ("nonprofit", "government or non-profit"),
                        ],
                        max_length=12,
                    ),
                ),
                ("country", models.CharField(max_length=2)),
            ],
            options={
                "ordering": ["key"],
            },
        ),
        migrations.CreateModel(
            name="ReferenceLoad",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("checksum", models.CharField(max_length=64)),
                ("loaded_at", models.DateTimeField(auto_now_add=True)),
                ("entries", models.PositiveIntegerField()),
                ("matched", models.PositiveIntegerField(help_text="Stored institutions it matched.")),
                (
                    "merged",
                    models.PositiveIntegerField(help_text="Stored rows it merged as spellings of one entry."),
                ),
            ],
            options={
                "ordering": ["-loaded_at", "-id"],
                "get_latest_by": "loaded_at",
            },
        ),
        migrations.CreateModel(
            name="ReferenceSpelling",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("normalized_name", models.CharField(max_length=300, unique=True)),
                ("spelling", models.CharField(max_length=300)),
            ],
        ),
        migrations.AddField(
            model_name="institution",
            name="country",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="ISO 3166 code, e.g. CN or US.",
                max_length=2,
                validators=[
                    django.core.validators.RegexValidator(
                        re.compile("\\A[A-Z]{2}\\Z"), "Two capital letters, as ISO 3166 writes them."
                    )
                ],
                verbose_name="country",
            ),
        ),
        migrations.AddField(
            model_name="institution",
            name="details_curated",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.AddField(
            model_name="institution",
            name="kind",
            field=models.CharField(
                blank=True,
                choices=[
                    ("university", "university"),
                    ("company", "company"),
                    ("lab", "research lab"),
                    ("nonprofit", "government or non-profit"),
                ],
                db_default="",
                default="",
                max_length=12,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="institution",
            name="name_zh",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                max_length=300,
                validators=[papers.models.no_control_characters],
                verbose_name="Chinese name",
            ),
        ),
        migrations.AddField(
            model_name="institution",
            name="reference_key",
            field=models.CharField(blank=True, db_default="", default="", editable=False, max_length=40),
        ),
        migrations.AddField(
            model_name="institution",
            name="short_names",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Separated by commas, e.g. “CMU”.",
                max_length=300,
                validators=[papers.models.no_control_characters],
                verbose_name="short names",
            ),
        ),
        migrations.AddIndex(
            model_name="institution",
            index=models.Index(fields=["country"], name="institution_country_idx"),
        ),
        migrations.AddConstraint(
            model_name="institution",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["university", "company", "lab", "nonprofit", ""])),
                name="institution_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="institution",
            constraint=models.UniqueConstraint(
                condition=models.Q(("reference_key", ""), _negated=True),
                fields=("reference_key",),
                name="institution_reference_key_unique",
            ),
        ),
        migrations.AddField(
            model_name="referencespelling",
            name="entry",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="spellings",
                to="papers.referenceinstitution",
            ),
        ),
        migrations.RunPython(watch, unwatch),
    ]
