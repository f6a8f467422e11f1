from django.db import migrations

# Chinese names as the digests' legend line writes them.
AREAS = [
    ("LG", "Machine Learning", "机器学习"),
    ("CV", "Computer Vision", "计算机视觉"),
    ("CL", "Computation and Language", "计算与语言"),
    ("AS", "Audio and Speech", "音频与语音"),
    ("RO", "Robotics", "机器人"),
]


def seed_areas(apps, schema_editor):
    Area = apps.get_model("papers", "Area")
    for code, name_en, name_zh in AREAS:
        Area.objects.update_or_create(code=code, defaults={"name_en": name_en, "name_zh": name_zh})


def unseed_areas(apps, schema_editor):
    apps.get_model("papers", "Area").objects.filter(code__in=[a[0] for a in AREAS], papers=None).delete()


class Migration(migrations.Migration):
    dependencies = [("papers", "0001_initial")]
    operations = [migrations.RunPython(seed_areas, unseed_areas)]
