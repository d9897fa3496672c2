"""``tongxin worker``: run the background task worker (django-tasks database backend) and the clock."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from tongxin.core.retention import purge_import_jobs

log = logging.getLogger(__name__)


def clock(stop: threading.Event, every: float = 60.0) -> None:
    """Every minute: remind and escalate cases (each module's periodic work). Errors are logged, never fatal."""
    from tongxin.cases.services import tick

    while not stop.wait(every):
        close_old_connections()
        try:
            counts = tick()
            if any(counts.values()):
                log.info("clock: %s", counts)
        except Exception:
            log.exception("clock tick failed")
        finally:
            connection.close()


class Command(DBWorkerCommand):
    """The database-backed task worker (imports, reports) plus the clock thread (case reminders and
    escalation). On start it purges import files and problem rows past their retention period."""

    help = "Run the Tongxin background worker (imports, reports, reminders)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--clock-seconds", type=float, default=60.0, help="interval of the clock (0: off)")

    def handle(self, *args, **options):
        purge_import_jobs()
        stop = threading.Event()
        every = options.pop("clock_seconds", 60.0)
        if every > 0:
            threading.Thread(target=clock, args=(stop, every), name="tongxin-clock", daemon=True).start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
