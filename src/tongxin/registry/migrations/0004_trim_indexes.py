"""One index per searched column of Person (the redundant plain and pattern twins go) and no single-column
indexes on the change log's foreign keys that its composite indexes already serve: each index costs every
imported row a random insert."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("org", "0001_initial"),
        ("registry", "0003_household_number_index"),
    ]

    operations = [
        # Django's AlterField would drop every index on id_hash, the unique constraint's partial index
        # included; only the plain (and, on PostgreSQL, pattern) index Django made for db_index goes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="person",
                    name="id_hash",
                    field=models.CharField(blank=True, editable=False, max_length=32),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "registry_person_id_hash_8e59f9b3"',
                    reverse_sql='CREATE INDEX "registry_person_id_hash_8e59f9b3" ON "registry_person" ("id_hash")',
                ),
                migrations.RunSQL('DROP INDEX IF EXISTS "registry_person_id_hash_8e59f9b3_like"', reverse_sql=""),
            ],
        ),
        migrations.AlterField(
            model_name="person",
            name="id_tail",
            field=models.CharField(blank=True, editable=False, max_length=16),
        ),
        migrations.AlterField(
            model_name="person",
            name="initials",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AlterField(
            model_name="person",
            name="name",
            field=models.CharField(max_length=64, verbose_name="姓名"),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone_hash",
            field=models.CharField(blank=True, editable=False, max_length=32),
        ),
        migrations.AlterField(
            model_name="person",
            name="phone_tail",
            field=models.CharField(blank=True, editable=False, max_length=16),
        ),
        migrations.AlterField(
            model_name="person",
            name="pinyin",
            field=models.CharField(blank=True, editable=False, max_length=128),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name"], name="registry_person_name", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["pinyin"], name="registry_person_pinyin", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["initials"], name="registry_person_initials", opclasses=["varchar_pattern_ops"]),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["id_tail"], name="registry_person_id_tail"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["phone_hash"], name="registry_person_phone_hash"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["phone_tail"], name="registry_person_phone_tail"),
        ),
    ]
