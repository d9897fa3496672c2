"""Best-effort queries: run a query within a time budget and give up (return None) when it runs over.

For optional work on a request path, such as the search probes that scan rows: at community scale they
answer in a few milliseconds, at district scale (a million persons) they would dominate the response.
PostgreSQL cancels the statement (``statement_timeout`` inside a savepoint); SQLite interrupts it from a
progress handler.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.db import DatabaseError, connection, transaction

T = TypeVar("T")


def within(ms: int, run: Callable[[], T]) -> T | None:
    """``run()`` if it finishes within ``ms`` milliseconds of database time, else None."""
    if connection.vendor == "postgresql":
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = %s", [int(ms)])
                result = run()
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout TO DEFAULT")
                return result
        except DatabaseError:  # QueryCanceled: the savepoint is rolled back, the setting with it
            return None
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        raw = connection.connection
        deadline = time.monotonic() + ms / 1000

        def over() -> int:
            return 1 if time.monotonic() > deadline else 0

        raw.set_progress_handler(over, 10_000)
        try:
            return run()
        except DatabaseError:  # "interrupted"
            return None
        finally:
            raw.set_progress_handler(None, 0)
    return run()  # pragma: no cover - other databases
