"""Import jobs' problem rows hold raw cells (ID numbers, phones): encrypt them at rest, so that a copy of the
database without the data key shows nothing of them (issue 16). The column becomes text; existing rows are
encrypted in place (an empty list becomes empty text)."""

import json

from django.db import migrations

import tongxin.core.fields


def encrypt_existing(apps, schema_editor):
    from tongxin.core import crypto

    connection = schema_editor.connection
    table = connection.ops.quote_name("core_importjob")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, problems FROM {table}")  # noqa: S608 - a fixed table name
        rows = cursor.fetchall()
        for pk, text in rows:
            if text is None or (isinstance(text, str) and text.startswith(crypto.PREFIX)):
                continue
            value = json.loads(text) if isinstance(text, str) else text
            stored = crypto.encrypt(json.dumps(value, ensure_ascii=False)) if value else ""
            cursor.execute(f"UPDATE {table} SET problems = %s WHERE id = %s", [stored, pk])  # noqa: S608


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0012_exportjob"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="problems",
            field=tongxin.core.fields.EncryptedJSONField(blank=True, default=list, verbose_name="问题行"),
        ),
        migrations.RunPython(encrypt_existing, migrations.RunPython.noop),
    ]
