"""Fast inserts of many new rows: PostgreSQL ``COPY`` (DESIGN rule 7), and one prepared ``executemany``
on SQLite, behind one interface with the same result as ``bulk_create``: every object gets its primary
key, defaults and ``auto_now`` values, encrypted fields are encrypted.

No signals are sent (as with ``bulk_create``): callers write their change-log entries themselves
(:func:`tongxin.core.audit.record_many`).
"""

from __future__ import annotations

import functools
import json
import operator
import queue
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any, BinaryIO

import orjson
from django.db import DatabaseError, connections, models, router
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
        if encoder is None:  # the change log's data: orjson is some ten times faster than json for these dicts
            return _json_text
        return lambda v: None if v is None else json.dumps(v, cls=encoder, ensure_ascii=False)
    if internal in ("DateField", "DateTimeField"):  # bulk rows share dates and the auto_now time: convert once
        return functools.lru_cache(maxsize=8192)(lambda v: field.get_db_prep_save(v, connection))
    return lambda v: field.get_db_prep_save(v, connection)


def _json_text(value: Any) -> str | None:
    """A JSON field's value as JSON text: what json.dumps writes for the plain values the change log holds."""
    return None if value is None else orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def _is_timestamp(field: models.Field) -> bool:
    """An ``auto_now`` / ``auto_now_add`` field: the bulk writers set it to the time of the write."""
    return bool(getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False))


def _connection(model: type[models.Model], writer: Writer | None) -> Any:
    """The connection the rows of ``model`` go to: the writer's, else the router's."""
    return writer.connection if writer is not None else connections[router.db_for_write(model)]


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


def insert(objs: Sequence[models.Model], *, batch_size: int = 5000, writer: Writer | None = None) -> None:
    """Insert new (unsaved) objects of one model; set their primary keys. With a ``writer``, written in its
    thread after what was submitted before (the values are taken when called)."""
    if not objs:
        return
    model = type(objs[0])
    connection = _connection(model, writer)
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        if writer is not None:
            writer.wait()
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        return
    fields = list(model._meta.concrete_fields)
    now = timezone.now()
    for f in fields:
        if _is_timestamp(f):
            for obj in objs:
                setattr(obj, f.attname, now)
    ids = writer.ids(model, len(objs)) if writer is not None else _next_ids(connection, model, len(objs))
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    _send(writer, connection, model, fields, ([getattr(obj, f.attname) for f in fields] for obj in objs), batch_size)


def row_defaults(model: type[models.Model]) -> dict[str, Any]:
    """attname → default of a model's concrete fields other than the primary key and the timestamps that
    :func:`insert_dicts` sets (a callable default is called once per call: the same for a whole batch)."""
    return {
        f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key and not _is_timestamp(f)
    }


def insert_dicts(
    model: type[models.Model],
    rows: Sequence[dict[str, Any]],
    *,
    batch_size: int = 5000,
    writer: Writer | None = None,
) -> None:
    """Insert new rows given as attname → value (other columns take :func:`row_defaults`, ``auto_now`` and
    ``auto_now_add`` columns the time now) without building a model instance per row; each dict gets its
    primary key at once, unless they all come with one (reserved with :meth:`Writer.ids`). Values are Python
    values, as for a model field (encrypted fields are encrypted here). With a ``writer`` the rows are written
    in its background thread: do not change them afterwards."""
    if not rows:
        return
    connection = _connection(model, writer)
    fields = list(model._meta.concrete_fields)
    pk = model._meta.pk.attname
    now = timezone.now()
    defaults = row_defaults(model)
    defaults.update((f.attname, now) for f in fields if _is_timestamp(f))
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        if writer is not None:
            writer.wait()
        objs = [model(**{**defaults, **row}) for row in rows]
        model._default_manager.bulk_create(objs, batch_size=batch_size)
        for row, obj in zip(rows, objs, strict=True):
            row[pk] = obj.pk
        return
    if pk not in rows[0]:  # rows may come with keys reserved before (Writer.ids), all or none of them
        ids = writer.ids(model, len(rows)) if writer is not None else _next_ids(connection, model, len(rows))
        for row, new in zip(rows, ids, strict=True):
            row[pk] = new
    attnames = [f.attname for f in fields]
    pick = operator.itemgetter(*attnames) if len(attnames) > 1 else lambda row, a=attnames[0]: (row[a],)
    values = (pick({**defaults, **row}) for row in rows)
    _send(writer, connection, model, fields, values, batch_size)


def insert_values(
    model: type[models.Model],
    attnames: Sequence[str],
    values: Sequence[Sequence[Any]],
    *,
    batch_size: int = 5000,
    writer: Writer | None = None,
) -> None:
    """Insert rows given as value tuples (in ``attnames`` order) without building model instances; the
    database assigns the primary keys, other columns left out take their default. For append-only tables
    written in bulk (the change log). With a ``writer``, written in its background thread."""
    if not values:
        return
    connection = _connection(model, writer)
    fields = [model._meta.get_field(name) for name in attnames]
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        if writer is not None:
            writer.wait()
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
    _send(writer, connection, model, fields, values, batch_size)


# While a writer thread runs, the interpreter hands the GIL over every half millisecond instead of every five: the
# writer thread waits for the server at each block of COPY data, and each time it gets the GIL back only when the
# caller's thread (busy with Python) lets it go. With Python's default, an import's writer thread spends more time
# waiting for the GIL than the server spends writing; measured: the second pass of the register import 14 % faster.
SWITCH_INTERVAL = 0.0005
_switch_lock = threading.Lock()
_switch_state = {"writers": 0, "saved": 0.0}


def _switching(delta: int) -> None:
    """Count a writer thread in (+1) or out (-1): the first sets :data:`SWITCH_INTERVAL` (if shorter than the
    interpreter's), the last puts the interpreter's back."""
    with _switch_lock:
        if delta > 0 and _switch_state["writers"] == 0:
            _switch_state["saved"] = sys.getswitchinterval()
            sys.setswitchinterval(min(SWITCH_INTERVAL, _switch_state["saved"]))
        _switch_state["writers"] += delta
        if delta < 0 and _switch_state["writers"] == 0:
            sys.setswitchinterval(_switch_state["saved"])


class Writer:
    """Bulk writes of one transaction done in a background thread on PostgreSQL, in the order they are
    submitted, so that the server inserts (and maintains the indexes of) one chunk while Python prepares the
    next: psycopg lets the thread share the connection (each statement takes its lock) and waits for the
    server without the GIL. On other databases the writes are done at once, in the caller's thread.

    Use inside the transaction, as a context manager; call :meth:`wait` before reading what was submitted
    (a query of the caller's thread that comes between two submitted writes sees the first, not
    necessarily the second), or have the read done in the writer's turn with :meth:`call`. An error of the
    thread is raised by the next :meth:`submit`, :meth:`wait` or the block's end; the block always ends with
    the thread idle, so the transaction can roll back.
    """

    ID_BLOCK = 20_000  # primary keys reserved per query (the unused rest of a block is a gap, as sequences have)

    def __init__(self, using: str = "default"):
        self.connection = connections[using]
        self.threaded = self.connection.vendor == "postgresql"
        # bounded: the caller cannot run far ahead (memory: a job holds a chunk's rows, some MB at most); but far
        # enough that the server is not left idle while the caller prepares a heavier chunk than the last
        self._queue: queue.Queue = queue.Queue(maxsize=32)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._ids: dict[type[models.Model], list[int]] = {}
        self._next_block: dict[type[models.Model], Future] = {}
        self._last: dict[type[models.Model], int] = {}
        self._cancelled = False

    def __enter__(self) -> Writer:
        if self.threaded:
            self.connection.ensure_connection()
            self.connection.inc_thread_sharing()
            self._thread = threading.Thread(target=self._run, name="tongxin-bulk-writer", daemon=True)
            self._thread.start()
            _switching(+1)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:  # the transaction rolls back: what is still queued need not be written first
            self._cancelled = True
        if self._thread is not None:
            try:
                self._queue.join()
                self._queue.put(None)
                self._thread.join()
            finally:  # even when interrupted: the process's switch interval and the connection's sharing count
                self._thread = None
                self.connection.dec_thread_sharing()
                _switching(-1)
        if exc_type is None:
            self._raise()
        elif self._error is not None and (isinstance(exc, DatabaseError) or hasattr(exc, "sqlstate")):
            # a query of the caller's thread failed because a write of this thread had aborted the transaction
            # ("current transaction is aborted"): the write's error is the one to report (and to act on)
            error, self._error = self._error, None
            raise error from exc

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                # the ORM in this thread (reads queued with call()) uses the caller's connection and transaction
                connections[self.connection.alias] = self.connection
                if job is None:
                    return
                if getattr(job, "always", False) or (self._error is None and not self._cancelled):
                    job()  # after an error the transaction rolls back: writes are skipped
            except BaseException as error:
                self._error = error
            finally:
                self._queue.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def submit(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``func(*args, **kwargs)`` after the writes submitted before (at once when not threaded)."""
        self._raise()
        if self._thread is None:
            func(*args, **kwargs)
        else:
            self._queue.put(functools.partial(func, *args, **kwargs))

    def call(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Future:
        """Run ``func(*args, **kwargs)`` in the writer's turn, after the writes submitted before, and return the
        future of its result: a query that the caller needs later (the next chunk's lookups) waits in line on the
        server instead of the caller waiting for the writes before it. ``func`` runs in the writer's thread, where
        the ORM uses the transaction's connection; not threaded, at once. If an earlier write failed, the future
        holds that error; a database error of ``func`` also stops the writes after it. ``func`` only reads: it
        must not use this writer (a deadlock) or open a transaction or savepoint (shared with the caller)."""
        future: Future = Future()

        def job() -> None:
            if not future.set_running_or_notify_cancel():  # cancelled by the caller
                return
            if self._error is not None or self._cancelled:
                future.set_exception(self._error or RuntimeError("the bulk writer was cancelled"))
                return
            try:
                future.set_result(func(*args, **kwargs))
            except BaseException as error:  # the caller gets it from the future
                if isinstance(error, DatabaseError) and self._error is None:
                    # the server aborted the transaction: the writes after it are skipped, and the caller's next
                    # submit, wait or result raises this error, not the "transaction is aborted" of a later write
                    self._error = error
                future.set_exception(error)

        job.always = True  # type: ignore[attr-defined]  # run even after an error: the future must be resolved
        self._raise()
        if self._thread is None:
            job()
        else:
            self._queue.put(job)
        return future

    def wait(self) -> None:
        """Return when every submitted write is done."""
        if self._thread is not None:
            self._queue.join()
        self._raise()

    def ids(self, model: type[models.Model], n: int) -> list[int]:
        """``n`` new primary keys of ``model``: on PostgreSQL taken from blocks reserved from its sequence (a
        query only every :attr:`ID_BLOCK` rows, queued in the writer's turn before the pool runs out, so that the
        caller does not wait for the writes before it); elsewhere the next ``n`` after the highest used or handed
        out."""
        if not self.threaded:  # SQLite: after the highest used, and after the ones handed out but not yet written
            ids = _next_ids(self.connection, model, n)
            last = self._last.get(model, 0)
            if ids and ids[0] <= last:
                ids = list(range(last + 1, last + 1 + n))
            if ids:
                self._last[model] = ids[-1]
            return ids
        pool = self._ids.setdefault(model, [])
        if len(pool) < n and (block := self._next_block.pop(model, None)) is not None:
            pool.extend(block.result())
        if len(pool) < n:
            pool.extend(_next_ids(self.connection, model, max(n - len(pool), self.ID_BLOCK)))
        taken = pool[:n]
        del pool[:n]
        if len(pool) < self.ID_BLOCK // 2 and model not in self._next_block:  # the next block, in the writer's turn
            self._next_block[model] = self.call(_next_ids, self.connection, model, self.ID_BLOCK)
        return taken


def _converted(connection: Any, fields: list, rows: Any) -> Any:
    """The rows with each value as the driver takes it (encrypted, JSON-encoded, …). A generator: on
    PostgreSQL each row is converted as COPY sends it, so that the server inserts the first rows while Python
    converts the next ones."""
    converters = [(i, c) for i, f in enumerate(fields) if (c := _converter(f, connection)) is not None]
    if not converters:
        yield from rows
        return
    for row in rows:
        row = list(row)
        for i, c in converters:  # only the columns that need it (most are taken as they are)
            row[i] = c(row[i])
        yield row


def _copy_text(connection: Any, rows: Any) -> list[bytes] | None:
    """The rows as the data of a text-format ``COPY … FROM STDIN``, formatted in the calling thread by psycopg's own
    row formatter (its C implementation where installed), in blocks of some 32 KB; None where psycopg has no such
    formatter (another version's layout): the rows are then formatted as they are sent."""
    try:  # psycopg's internals (3.2, 3.3): the rows are formatted as by ``copy.write_row``, with the same dumpers
        from psycopg._copy_base import TextFormatter
        from psycopg.adapt import Transformer

        formatter = TextFormatter(Transformer(connection.connection))
    except (ImportError, TypeError):  # pragma: no cover - a psycopg whose internals differ
        return None
    blocks = [block for row in rows if (block := formatter.write_row(row))]
    blocks.append(formatter.end())
    return blocks


def _send(
    writer: Writer | None, connection: Any, model: type[models.Model], fields: list, values: Any, size: int
) -> None:
    """Write the rows now, or hand them to the writer thread converted (encrypted, JSON-encoded) and, on
    PostgreSQL, formatted as ``COPY`` data in this thread, so that the writer thread only streams them: the
    writer thread's turn (its writes, then the reads queued behind them) is what the caller waits for, while this
    thread has the time. (Handed to the writer on PostgreSQL, the rows go in one ``COPY``: ``size`` applies to
    the other paths.)"""
    if writer is None:
        _write(connection, model, fields, values, size)
        return
    rows = _converted(connection, fields, values)
    if connection.vendor == "postgresql" and (blocks := _copy_text(connection, rows)) is not None:
        writer.submit(_write_copy, connection, model._meta.db_table, fields, blocks)
    else:
        writer.submit(_write, connection, model, fields, list(rows), size, convert=False)


def _write_copy(connection: Any, table: str, fields: list, blocks: list[bytes]) -> None:
    """Stream ``COPY`` data formatted by :func:`_copy_text` into ``table`` (PostgreSQL)."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in fields)
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {qn(table)} ({columns}) FROM STDIN") as copy:
        for block in blocks:
            copy.write(block)


def _write(
    connection: Any,
    model: type[models.Model],
    fields: list,
    values: Any,
    batch_size: int,
    table: str | None = None,
    convert: bool = True,
) -> None:
    qn = connection.ops.quote_name
    table = qn(table or model._meta.db_table)
    columns = ", ".join(qn(f.column) for f in fields)
    batch: list = []
    with connection.cursor() as cursor:

        def flush():
            rows = _converted(connection, fields, batch) if convert else batch
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


_UPDATE_TABLE = "tongxin_bulk_update"


def _update(
    connection: Any, model: type[models.Model], fields: list, rows: list, batch_size: int, blocks: list | None = None
) -> None:
    """Write ``rows`` (primary key first, then the values of ``fields[1:]``, converted for the driver) over the
    existing rows; on PostgreSQL ``blocks``, the same rows already formatted by :func:`_copy_text`, if given."""
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    pk = qn(fields[0].column)
    columns = [qn(f.column) for f in fields]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            assignments = ", ".join(f"{c} = ?" for c in columns[1:])
            reordered = ([*row[1:], row[0]] for row in rows)
            cursor.cursor.executemany(f"UPDATE {table} SET {assignments} WHERE {pk} = ?", reordered)
            return
        temp = qn(_UPDATE_TABLE)
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} AS SELECT {', '.join(columns)} FROM {table} WITH NO DATA")
        if blocks is not None:
            _write_copy(connection, _UPDATE_TABLE, fields, blocks)
        else:
            _write(connection, model, fields, rows, batch_size, table=_UPDATE_TABLE, convert=False)
        cursor.execute(f"ANALYZE {temp}")  # its row count: the planner then probes the primary key per row
        assignments = ", ".join(f"{c} = s.{c}" for c in columns[1:])
        cursor.execute(f"UPDATE {table} AS t SET {assignments} FROM {temp} AS s WHERE t.{pk} = s.{pk}")
        cursor.execute(f"DROP TABLE {temp}")


def update(
    objs: Sequence[models.Model],
    fields: Sequence[str],
    *,
    batch_size: int = 5000,
    writer: Writer | None = None,
) -> None:
    """Write ``fields`` of existing objects of one model, and their ``auto_now`` fields set to the time now (as
    ``save()`` would; ``bulk_update`` leaves them as they were), without ``bulk_update``'s CASE per row and
    field: on PostgreSQL the values go with ``COPY`` into a temporary table and one ``UPDATE … FROM`` writes
    them; on SQLite one prepared ``executemany``. The values are taken when called; with a ``writer`` they
    are written in its thread."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    chosen: list[models.Field] = []
    for name in fields:
        f = meta.get_field(name)
        if f not in chosen and not f.primary_key:
            chosen.append(f)
    now = timezone.now()
    for f in meta.concrete_fields:
        if getattr(f, "auto_now", False):
            for obj in objs:
                setattr(obj, f.attname, now)
            if f not in chosen:
                chosen.append(f)
    connection = _connection(model, writer)
    if connection.vendor not in ("postgresql", "sqlite"):  # pragma: no cover - other databases
        if writer is not None:
            writer.wait()
        model._default_manager.bulk_update(objs, [f.name for f in chosen], batch_size=batch_size)
        return
    columns = [meta.pk, *chosen]
    rows = list(_converted(connection, columns, ([getattr(obj, f.attname) for f in columns] for obj in objs)))
    if writer is not None:  # formatted here, as for inserts (_send): the writer thread only streams them
        blocks = _copy_text(connection, rows) if connection.vendor == "postgresql" else None
        writer.submit(_update, connection, model, columns, rows, batch_size, blocks)
    else:
        _update(connection, model, columns, rows, batch_size)


_MATCH_TABLE = "tongxin_bulk_match"
MATCH_BATCH = 5000  # rows per executemany on SQLite


def matching(model: type[models.Model], column: str, pairs: BinaryIO, *, using: str | None = None) -> Iterator[int]:
    """The keys of ``pairs`` whose value some row of ``model`` holds in ``column`` (blank values never match), each
    once, in no particular order: one join for a whole file's values instead of a probe of ``column``'s index per
    value. ``pairs`` is a binary file of
    lines ``key<TAB>value``, the key an integer and the value plain text (no tab, backslash or line break): on
    PostgreSQL it is streamed as it is into a temporary table with ``COPY``; on SQLite inserted in batches. Run it in
    the caller's transaction (or, with a :class:`Writer`, in its turn with :meth:`Writer.call`); the temporary table
    is dropped when the keys have been read (or the generator is closed), so it can run again in the same
    transaction; after a database error it goes with the transaction (or with the next call's ``DROP``)."""
    connection = connections[using or router.db_for_read(model)]
    qn = connection.ops.quote_name
    temp, table, col = qn(_MATCH_TABLE), qn(model._meta.db_table), qn(model._meta.get_field(column).column)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {temp}")
        cursor.execute(f"CREATE TEMPORARY TABLE {temp} (k integer NOT NULL, v text NOT NULL)")
        done = False
        try:
            yield from _match(connection, cursor, temp, table, col, pairs)
            done = True
        finally:
            if done or sys.exc_info()[0] is GeneratorExit:  # not in a transaction a database error aborted
                cursor.execute(f"DROP TABLE {temp}")


def _match(connection: Any, cursor: Any, temp: str, table: str, col: str, pairs: BinaryIO) -> Iterator[int]:
    """Load ``pairs`` into the temporary table ``temp`` and yield the keys whose value ``table.col`` holds."""
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {temp} (k, v) FROM STDIN") as copy:
            while block := pairs.read(1 << 20):
                copy.write(block)
        cursor.execute(f"ANALYZE {temp}")  # its size: a join for many values, index probes for a few
    else:
        batch: list[tuple[int, str]] = []
        for line in pairs:
            key, _tab, value = line.rstrip(b"\n").partition(b"\t")
            batch.append((int(key), value.decode()))
            if len(batch) >= MATCH_BATCH:
                cursor.cursor.executemany(f"INSERT INTO {temp} (k, v) VALUES (?, ?)", batch)
                batch = []
        if batch:
            cursor.cursor.executemany(f"INSERT INTO {temp} (k, v) VALUES (?, ?)", batch)
    # "<> ''" spelled out: a partial index on the non-blank values (as unique keys have) then serves the probes
    cursor.execute(f"SELECT DISTINCT s.k FROM {temp} s JOIN {table} t ON t.{col} = s.v WHERE t.{col} <> ''")
    while rows := cursor.fetchmany(10_000):
        for (key,) in rows:
            yield key
