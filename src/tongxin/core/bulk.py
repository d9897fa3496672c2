"""Fast inserts of many new rows: PostgreSQL ``COPY`` (DESIGN rule 7), and one prepared ``executemany``
on SQLite, behind one interface with the same result as ``bulk_create``: every object gets its primary
key, defaults and ``auto_now`` values, encrypted fields are encrypted.

No signals are sent (as with ``bulk_create``): callers write their change-log entries themselves
(:func:`tongxin.core.audit.record_many`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.db import connections, models, router
from django.utils import timezone

# Internal types whose Python value the database driver takes as it is.
_RAW = frozenset(
    {
        "AutoField",
        "BigAutoField",
        "SmallAutoField",
        "CharField",
        "SlugField",
        "TextField",
        "IntegerField",
        "BigIntegerField",
        "SmallIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "PositiveBigIntegerField",
        "BooleanField",
        "ForeignKey",
        "OneToOneField",
    }
)
_RAW_ON_POSTGRES = frozenset({"DateField", "DateTimeField", "UUIDField", "DecimalField"})


def _converter(field: models.Field, connection: Any) -> Callable[[Any], Any] | None:
    """How to turn the field's Python value into what the driver takes (None: as it is)."""
    from tongxin.core.fields import EncryptedTextField

    internal = field.get_internal_type()
    if isinstance(field, EncryptedTextField):
        return field.get_prep_value
    if internal in _RAW or (connection.vendor == "postgresql" and internal in _RAW_ON_POSTGRES):
        return None
    if internal == "JSONField":
        encoder = field.encoder
        return lambda v: None if v is None else json.dumps(v, cls=encoder, ensure_ascii=False)
    if internal in ("DateField", "DateTimeField"):  # bulk rows share dates and the auto_now time: convert once
        return functools.lru_cache(maxsize=8192)(lambda v: field.get_db_prep_save(v, connection))
    return lambda v: field.get_db_prep_save(v, connection)


def _next_ids(connection: Any, model: type[models.Model], n: int) -> list[int]:
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, n])
            return [row[0] for row in cursor.fetchall()]
        # SQLite (one writer at a time, inside the caller's transaction): continue after the highest id used,
        # as AUTOINCREMENT would (sqlite_sequence remembers ids of deleted rows too).
        qn = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({qn(pk)}), 0) FROM {qn(table)}")
        start = cursor.fetchone()[0]
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(start, row[0] if row else 0)
        return list(range(start + 1, start + n + 1))


def insert(objs: Sequence[models.Model], *, batch_size: int = 5000) -> None:
    """Insert new (unsaved) objects of one model; set their primary keys."""
    if not objs:
        return
    model = type(objs[0])
    connection = connections[router.db_for_write(model)]
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for obj in objs:
                setattr(obj, f.attname, now)
    ids = _next_ids(connection, model, len(objs))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    _write(connection, model, fields, ([getattr(obj, f.attname) for f in fields] for obj in objs), batch_size)


def row_defaults(model: type[models.Model]) -> dict[str, Any]:
    """attname → default of a model's concrete fields other than the primary key and the timestamps that
    :func:`insert_dicts` sets (a callable default is called once per call: the same for a whole batch)."""
    return {
        f.attname: f.get_default()
        for f in model._meta.concrete_fields
        if not f.primary_key and not (getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False))
    }


def insert_dicts(model: type[models.Model], rows: Sequence[dict[str, Any]], *, batch_size: int = 5000) -> None:
    """Insert new rows given as attname → value (other columns take :func:`row_defaults`, ``auto_now`` and
    ``auto_now_add`` columns the time now) without building a model instance per row; each dict gets its
    primary key. Values are Python values, as for a model field (encrypted fields are encrypted here)."""
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk.attname
    now = timezone.now()
    defaults = dict(row_defaults(model))
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        objs = [model(**{**defaults, **row}) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        for row, obj in zip(rows, objs, strict=True):
            row[pk] = obj.pk
        return
    for row, new in zip(rows, _next_ids(connection, model, len(rows)), strict=True):
        row[pk] = new
    attnames = [f.attname for f in fields]
    _write(
        connection,
        model,
        fields,
        ([row[a] if a in row else defaults[a] for a in attnames] for row in rows),
        batch_size,
    )


def insert_values(
    model: type[models.Model], attnames: Sequence[str], values: Sequence[Sequence[Any]], *, batch_size: int = 5000
) -> None:
    """Insert rows given as value tuples (in ``attnames`` order) without building model instances; the
    database assigns the primary keys, other columns left out take their default. For append-only tables
    written in bulk (the change log)."""
    if not values:
        return
    connection = connections[router.db_for_write(model)]
    fields = [model._meta.get_field(name) for name in attnames]
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        model._default_manager.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in values], batch_size=batch_size
        )
        return
    # columns not given take their field's default (the same for every row)
    given = set(attnames)
    missing = [f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in given]
    if missing:
        fields += missing
        defaults = tuple(f.get_default() for f in missing)
        values = [(*row, *defaults) for row in values]
    _write(connection, model, fields, values, batch_size)


def _write(connection: Any, model: type[models.Model], fields: list, values: Any, batch_size: int) -> None:
    converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f, connection)) is not None]
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)

    def converted(batch):
        if not converters:
            return [tuple(row) for row in batch]
        rows = []
        for row in batch:
            row = list(row)
            for i, c in converters:  # only the columns that need it (most are taken as they are)
                row[i] = c(row[i])
            rows.append(row)
        return rows

    batch: list = []
    with connection.cursor() as cursor:

        def flush():
            rows = converted(batch)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["?"] * len(fields))
                cursor.cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)

        for row in values:
            batch.append(row)
            if len(batch) >= batch_size:
                flush()
                batch = []
        if batch:
            flush()
