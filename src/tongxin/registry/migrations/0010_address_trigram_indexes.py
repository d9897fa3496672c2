"""Trigram (pg_trgm) GIN indexes for the search box's "part of" probes on PostgreSQL: a part of a name, of a
person's current or registered address, of a household's address (registry.search). SQLite has no such index:
it scans the scope's rows, which is instant at community scale."""

from django.db import migrations

INDEXES = (
    ("registry_person_name_trgm", "registry_person", "name"),
    ("registry_person_current_address_trgm", "registry_person", "current_address"),
    ("registry_person_hukou_address_trgm", "registry_person", "hukou_address"),
    ("registry_household_address_trgm", "registry_household", "address"),
)


def create(apps, schema_editor):
    """The extension (trusted since PostgreSQL 13: the database owner may create it) and the indexes."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ("{column}" gin_trgm_ops)')


def drop(apps, schema_editor):
    """The indexes (the extension stays: another schema may use it)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0009_key_collation"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
