"""Create the default case categories from cases/data/categories.json."""

from django.db import migrations


def seed(apps, schema_editor):
    from tongxin.cases.defaults import load_default_categories

    load_default_categories(apps.get_model("cases", "Category"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
