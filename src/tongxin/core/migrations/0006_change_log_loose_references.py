"""The change log refers to users, object types and divisions without database foreign-key checks: it is
append-only, Django still applies on_delete, and each checked reference cost a bulk import a trigger per row."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0005_trim_indexes"),
        ("org", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="objectchange",
            name="community",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="org.division",
                verbose_name="所属区划",
            ),
        ),
        migrations.AlterField(
            model_name="objectchange",
            name="content_type",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                to="contenttypes.contenttype",
                verbose_name="对象类型",
            ),
        ),
        migrations.AlterField(
            model_name="objectchange",
            name="user",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="changes",
                to=settings.AUTH_USER_MODEL,
                verbose_name="用户",
            ),
        ),
    ]
