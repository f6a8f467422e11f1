"""Curators may correct a digest's date (change_digest), but not delete digests.

A typo in a file name's date (2062 for 2026) kept a digest's papers at the top of every list, and
only a superuser could do anything about it. The admin lets curators change a digest's date and
nothing else about it (every other field is read-only); deleting a digest stays a superuser's.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def curators(apps, schema_editor):
    alias = schema_editor.connection.alias
    # On a fresh database permissions are only created after all migrations ran (as in 0003).
    app_config = apps.get_app_config("papers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=alias)
    app_config.models_module = None
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name="Curators").first()
    permission = apps.get_model("auth", "Permission").objects.using(alias).get(
        content_type__app_label="papers", codename="change_digest"
    )
    return group, permission


def curators_correct_digest_dates(apps, schema_editor):
    group, change_digest = curators(apps, schema_editor)
    if group is not None:
        group.permissions.add(change_digest)


def curators_only_view_digests(apps, schema_editor):
    group, change_digest = curators(apps, schema_editor)
    if group is not None:
        group.permissions.remove(change_digest)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0007_area_codes_curators_view_areas"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(curators_correct_digest_dates, curators_only_view_digests)]
