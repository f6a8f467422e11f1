"""Code, project, data and model links of papers (papers.models.PaperLink), with their provenance.

The links table is shown on cards and paper pages, so it moves the site version; adding
Paper.links_source rebuilds papers_paper on SQLite, which drops that table's triggers, so they are
made again. Papers imported before this migration get the links of their texts here, as an import
would have found them (a re-import of an unchanged file writes nothing, so would never add them).
Curators edit links as they edit author and institution lists.
"""

import django.db.models.deletion
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

import papers.models
from papers import bulk, links

BATCH = 500


def watch(apps, schema_editor):
    bulk.watch_for_site_version(schema_editor, ["papers_paper", "papers_paperlink"])


def unwatch(apps, schema_editor):
    bulk.unwatch_for_site_version(schema_editor, ["papers_paperlink"])


LINK_PERMISSIONS = ["view_paperlink", "add_paperlink", "change_paperlink", "delete_paperlink"]


def curator_link_permissions(apps, schema_editor):
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name="Curators").first()
    if group is None:
        return []
    # On a fresh database permissions are only created after all migrations ran (as in 0003).
    app_config = apps.get_app_config("papers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=alias)
    app_config.models_module = None
    permissions = apps.get_model("auth", "Permission").objects.using(alias).filter(
        content_type__app_label="papers", codename__in=LINK_PERMISSIONS
    )
    return group, list(permissions)


def curators_edit_links(apps, schema_editor):
    if found := curator_link_permissions(apps, schema_editor):
        group, permissions = found
        group.permissions.add(*permissions)


def curators_without_links(apps, schema_editor):
    if found := curator_link_permissions(apps, schema_editor):
        group, permissions = found
        group.permissions.remove(*permissions)


def rewatch_papers(apps, schema_editor):
    # Going back, removing links_source rebuilds papers_paper on SQLite again: its triggers return.
    bulk.watch_for_site_version(schema_editor, ["papers_paper"])


def find_links(apps, schema_editor):
    Paper = apps.get_model("papers", "Paper")
    PaperLink = apps.get_model("papers", "PaperLink")
    ids = list(Paper.objects.order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), BATCH):
        papers = Paper.objects.filter(pk__in=ids[start : start + BATCH]).values("pk", *links.SOURCE_FIELDS)
        rows, with_links = [], []
        for paper in papers:
            found = links.paper_links(paper)
            if found:
                with_links.append(paper["pk"])
            rows += [
                PaperLink(paper_id=paper["pk"], url=link.url, kind=link.kind, source="digest", position=i)
                for i, link in enumerate(found, 1)
            ]
        PaperLink.objects.bulk_create(rows)
        Paper.objects.filter(pk__in=with_links).update(links_source="digest")


class Migration(migrations.Migration):

    dependencies = [
        ("papers", "0012_site_version"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, rewatch_papers),
        migrations.CreateModel(
            name='PaperLink',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('url', models.CharField(max_length=500, validators=[papers.models.validate_link_url])),
                ('kind', models.CharField(choices=[('code', 'code'), ('project', 'project page'), ('data', 'data'), ('model', 'model')], max_length=10)),
                ('source', models.CharField(choices=[('digest', 'from the digest'), ('machine_translation', 'machine translation (Google)'), ('curator', 'edited by a curator')], default='curator', editable=False, max_length=20)),
                ('position', models.PositiveIntegerField(default=1)),
            ],
            options={
                'ordering': ['position'],
            },
        ),
        migrations.AddField(
            model_name='paper',
            name='links_source',
            field=models.CharField(blank=True, choices=[('digest', 'from the digest'), ('machine_translation', 'machine translation (Google)'), ('curator', 'edited by a curator')], max_length=20),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(('links_source__in', ['digest', 'machine_translation', 'curator', ''])), name='paper_links_source_valid'),
        ),
        migrations.AddField(
            model_name='paperlink',
            name='paper',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='links', to='papers.paper'),
        ),
        migrations.AddIndex(
            model_name='paperlink',
            index=models.Index(fields=['kind', 'paper'], name='paperlink_kind_idx'),
        ),
        migrations.AddConstraint(
            model_name='paperlink',
            constraint=models.UniqueConstraint(fields=('paper', 'url'), name='paperlink_unique_url'),
        ),
        migrations.AddConstraint(
            model_name='paperlink',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['code', 'project', 'data', 'model'])), name='paperlink_kind_valid'),
        ),
        migrations.AddConstraint(
            model_name='paperlink',
            constraint=models.CheckConstraint(condition=models.Q(('source__in', ['digest', 'machine_translation', 'curator'])), name='paperlink_source_valid'),
        ),
        migrations.RunPython(watch, unwatch),
        migrations.RunPython(find_links, migrations.RunPython.noop),
        migrations.RunPython(curators_edit_links, curators_without_links),
    ]
