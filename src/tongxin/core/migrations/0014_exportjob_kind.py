"""Export jobs name their kind: a module's export of its own layout (the registry's 花名册), or empty for a
list's export (every job before this one)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0013_importjob_problems_encrypted"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="kind",
            field=models.CharField(blank=True, max_length=50, verbose_name="导出类型"),
        ),
    ]
