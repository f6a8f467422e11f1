from django.contrib.auth.management import create_permissions
from django.db import migrations

# Exactly what curation needs; no deleting papers, no user or group management.
PERMISSIONS = [
    "view_paper", "change_paper",
    "view_author", "change_author", "add_author",
    "view_institution", "change_institution", "add_institution",
    "view_area", "change_area",  # the importer asks curators to name new areas
    "view_digest", "add_digest",  # add_digest: import from the admin
    "view_digestentry",
    "view_authorship", "change_authorship", "add_authorship", "delete_authorship",
    "view_affiliation", "change_affiliation", "add_affiliation", "delete_affiliation",
]  # fmt: skip


def create_curators(apps, schema_editor):
    # On a fresh database permissions are only created after all migrations ran; create them now.
    app_config = apps.get_app_config("papers")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name="Curators")
    permissions = Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="papers", codename__in=PERMISSIONS
    )
    missing = set(PERMISSIONS) - set(permissions.values_list("codename", flat=True))
    if missing:
        raise RuntimeError(f"permissions not found: {sorted(missing)}")
    group.permissions.set(permissions)


def remove_curators(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(
        name="Curators"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("papers", "0002_seed_areas"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_curators, remove_curators)]
