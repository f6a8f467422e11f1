"""Drop the single-column foreign-key indexes that a named composite index already leads with.

Authorship and Affiliation (paper, author/institution), DigestEntry.digest and Paper.area were each
indexed twice. The extra indexes served no query and cost a write per row: about sixteen index
writes per imported paper.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0004_search'),
    ]

    operations = [
        migrations.AlterField(
            model_name='affiliation',
            name='institution',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='affiliations', to='papers.institution'),
        ),
        migrations.AlterField(
            model_name='affiliation',
            name='paper',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='affiliations', to='papers.paper'),
        ),
        migrations.AlterField(
            model_name='authorship',
            name='author',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='authorships', to='papers.author'),
        ),
        migrations.AlterField(
            model_name='authorship',
            name='paper',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='authorships', to='papers.paper'),
        ),
        migrations.AlterField(
            model_name='digestentry',
            name='digest',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='entries', to='papers.digest'),
        ),
        migrations.AlterField(
            model_name='paper',
            name='area',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='papers', to='papers.area'),
        ),
    ]
