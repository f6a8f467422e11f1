"""Area codes follow the parser's rule (2 to 8 ASCII letters, upper-case); curators only view areas.

An area code is part of every area link (/areas/<CODE>/, its feeds, the OPML file). Curators could
change it (0003 gave them change_area), and a code with a slash made /feeds/, the OPML file, the
area's papers and searches answer 500. The field now validates codes, and the Curators group loses
change_area, as the README always said: curators view areas, a superuser edits them.

Codes already stored against the rule are repaired where that is unambiguous (upper-cased, or the
letters of the code kept, when no other area has the result); any other stops the migration with a
message naming the area, for a person to decide.
"""

import re

from django.db import migrations, models

import papers.models

RULE = re.compile(r"[A-Za-z]{2,8}")


def repair_area_codes(apps, schema_editor):
    Area = apps.get_model("papers", "Area")
    areas = Area.objects.using(schema_editor.connection.alias)
    for area in areas.order_by("pk"):
        if RULE.fullmatch(area.code) and area.code == area.code.upper():
            continue
        repaired = re.sub(r"[^A-Za-z]", "", area.code).upper()
        if not RULE.fullmatch(repaired) or areas.filter(code=repaired).exclude(pk=area.pk).exists():
            raise RuntimeError(
                f"area #{area.pk} has the code {area.code!r}, which is not 2 to 8 ASCII letters, and "
                f"{repaired!r} cannot replace it; give it a valid code in the database, then migrate again"
            )
        area.code = repaired
        area.save(update_fields=["code"])


def curators(apps, schema_editor):
    alias = schema_editor.connection.alias
    group = apps.get_model("auth", "Group").objects.using(alias).filter(name="Curators").first()
    permissions = apps.get_model("auth", "Permission").objects.using(alias).filter(
        content_type__app_label="papers", codename="change_area"
    )
    return group, permissions


def curators_only_view_areas(apps, schema_editor):
    group, change_area = curators(apps, schema_editor)
    if group is not None:
        group.permissions.remove(*change_area)


def curators_change_areas(apps, schema_editor):
    group, change_area = curators(apps, schema_editor)
    if group is not None:
        group.permissions.add(*change_area)


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0006_search_vectors_inline"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(repair_area_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="area",
            name="code",
            field=models.CharField(
                max_length=8, unique=True, validators=[papers.models.validate_area_code]
            ),
        ),
        migrations.RunPython(curators_only_view_areas, curators_change_areas),
    ]
