"""Side effects after commit: notifications by e-mail or SMS and calls to outside systems.

A write never sends anything itself. It calls :func:`queue`, which adds an :class:`OutboxMessage` row in the
write's transaction and asks (``transaction.on_commit``) the task worker to deliver it once the write commits.
If the write rolls back, the row is gone and the request to deliver it is dropped with it: nothing is sent for
a write that did not happen. If the worker is down, or an outside system fails, the row stays pending and the
worker's periodic sweep (:func:`deliver_due`, a core periodic job) retries it with growing pauses.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from tongxin.core.models import OutboxMessage

log = logging.getLogger(__name__)

#: pauses before the 2nd, 3rd … attempt; the last one repeats until ``OUTBOX_MAX_ATTEMPTS``
BACKOFF = (datetime.timedelta(minutes=1), datetime.timedelta(minutes=5), datetime.timedelta(minutes=30))


def queue(handler: str, payloads: Iterable[dict[str, Any]], *, using: str | None = None) -> list[OutboxMessage]:
    """Queue ``handler(payload)`` for each payload, to run after the current transaction commits (at once when
    there is none). ``handler`` is a dotted path: the row must say what to run even after a restart."""
    rows = OutboxMessage.objects.using(using).bulk_create(
        [OutboxMessage(handler=handler, payload=payload) for payload in payloads]
    )
    if rows:
        pks = [row.pk for row in rows]
        transaction.on_commit(lambda: _enqueue(pks), using=using)
    return rows


def _enqueue(pks: list[int]) -> None:
    """Hand committed rows to the task worker; if the task queue is unreachable the sweep delivers them later."""
    from tongxin.core.tasks import deliver_outbox

    try:
        deliver_outbox.enqueue(pks)
    except Exception:
        log.exception("outbox: could not enqueue %s; the periodic sweep will deliver them", pks)


def deliver(pks: Iterable[int], now: datetime.datetime | None = None) -> dict[str, int]:
    """Deliver the given pending rows that are due; each row is locked while it is sent, so two workers never
    send the same message twice. Returns how many were sent and how many failed (to be retried or given up)."""
    counts = {"sent": 0, "failed": 0}
    for pk in pks:
        outcome = _deliver_one(pk, now or timezone.now())
        if outcome:
            counts[outcome] += 1
    return counts


#: how long a claimed message is left to its worker before the sweep may try it again (a worker that died)
LEASE = datetime.timedelta(minutes=10)


def _deliver_one(pk: int, now: datetime.datetime) -> str:
    """Claim the row in a short transaction (a lease: no other worker takes it meanwhile), send it with no
    transaction open (a slow gateway holds no lock: SQLite's single writer stays free), then record the result.
    A worker that dies while sending leaves the lease to expire and the sweep sends again (at least once)."""
    with transaction.atomic():
        row = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=pk, status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if row is None:  # sent already, being sent by another worker, or not due yet
            return ""
        row.attempts += 1
        row.next_attempt_at = now + LEASE
        row.save(update_fields=["attempts", "next_attempt_at"])
    try:
        import_string(row.handler)(row.payload)
    except Exception as exc:  # an outside system's failure: keep the row and try again later
        log.exception("outbox: %s #%s failed (attempt %s)", row.handler, row.pk, row.attempts)
        row.last_error = f"{type(exc).__name__}: {exc}"[:500]
        if row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            row.status = OutboxMessage.Status.FAILED
        else:
            row.next_attempt_at = now + BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
        row.save(update_fields=["last_error", "status", "next_attempt_at"])
        return "failed"
    row.status, row.sent_at = OutboxMessage.Status.SENT, now
    row.save(update_fields=["status", "sent_at"])
    return "sent"


def deliver_due(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic sweep: deliver every pending row that is due (missed by the task queue, or to be retried),
    and forget delivered rows after ``OUTBOX_RETENTION_DAYS``."""
    now = now or timezone.now()
    due = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING, next_attempt_at__lte=now)
    counts = deliver(list(due.values_list("pk", flat=True)[:1000]), now)
    cutoff = now - datetime.timedelta(days=settings.OUTBOX_RETENTION_DAYS)
    counts["purged"] = OutboxMessage.objects.filter(status=OutboxMessage.Status.SENT, sent_at__lt=cutoff).delete()[0]
    return counts
