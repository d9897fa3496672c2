"""Drop indexes that another index already serves (each costs every imported row an insert): household
numbers and name readings kept one index each instead of a plain and a pattern twin; lookups of name readings
by person and of memberships by household use the leading column of a composite index."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("registry", "0004_trim_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="household",
            name="number",
            field=models.CharField(max_length=32, verbose_name="户号"),
        ),
        migrations.AlterField(
            model_name="membership",
            name="household",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="memberships",
                to="registry.household",
                verbose_name="户",
            ),
        ),
        migrations.AlterField(
            model_name="namekey",
            name="key",
            field=models.CharField(max_length=128),
        ),
        migrations.AlterField(
            model_name="namekey",
            name="person",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="name_keys",
                to="registry.person",
            ),
        ),
        migrations.AddIndex(
            model_name="household",
            index=models.Index(fields=["number"], name="registry_household_number"),
        ),
        migrations.AddIndex(
            model_name="namekey",
            index=models.Index(fields=["key"], name="registry_namekey_key", opclasses=["varchar_pattern_ops"]),
        ),
    ]
