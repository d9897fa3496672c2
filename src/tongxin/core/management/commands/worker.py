"""``tongxin worker``: run the background task worker (django-tasks database backend) and the clock."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections, connection
from django.utils.module_loading import import_string
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from tongxin.core import heartbeat, hooks
from tongxin.core.retention import purge_import_jobs

log = logging.getLogger(__name__)


def clock(stop: threading.Event, every: float = 60.0) -> None:
    """Every ``every`` seconds: run the periodic jobs that the modules declare (:mod:`tongxin.core.hooks`), each
    at most as often as it asks. A job's error is logged and never stops the clock or the other jobs."""
    last_run: dict[str, float] = {}
    while not stop.wait(every):
        close_old_connections()
        try:
            for job in hooks.periodic_jobs():
                started = time.monotonic()
                if job.every and started - last_run.get(job.func, -job.every) < job.every:
                    continue
                last_run[job.func] = started
                try:
                    counts = import_string(job.func)()
                    if counts and any(counts.values()):
                        log.info("clock: %s %s", job.name, counts)
                except Exception:
                    log.exception("clock: job %s failed", job.func)
        finally:
            connection.close()


def recover_imports(stop: threading.Event) -> None:
    """At the worker's start: fail the import jobs whose worker died (a killed worker's jobs are not taken up
    again: they are failed, to be restarted), and sweep again when the jobs that seem to run elsewhere would
    turn stale, rather than at the clock's next tick. A failure is logged; the clock sweeps again."""
    try:
        counts = heartbeat.fail_stale_imports()
        if counts["failed"]:
            log.warning("worker start: %s import job(s) of a stopped worker marked failed", counts["failed"])
        delay = heartbeat.seconds_to_next_stale()
    except Exception:
        log.exception("worker start: the sweep of stopped import jobs failed")
        return
    if delay is not None:

        def again() -> None:
            if not stop.wait(delay):
                try:
                    heartbeat.fail_stale_imports()
                except Exception:
                    log.exception("worker start: the second sweep of stopped import jobs failed")
                finally:
                    connection.close()

        threading.Thread(target=again, name="tongxin-import-recovery", daemon=True).start()


class Command(DBWorkerCommand):
    """The database-backed task worker (imports, reports, messages after commit) plus the clock thread that runs
    the modules' periodic jobs. On start it purges import files and problem rows past their retention period and
    fails the import jobs of a worker that died (:mod:`tongxin.core.heartbeat`)."""

    help = "Run the Tongxin background worker (imports, reports, reminders)."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--clock-seconds", type=float, default=60.0, help="interval of the clock (0: off)")

    def handle(self, *args, **options):
        purge_import_jobs()
        stop = threading.Event()
        recover_imports(stop)
        every = options.pop("clock_seconds", 60.0)
        if every > 0:
            threading.Thread(target=clock, args=(stop, every), name="tongxin-clock", daemon=True).start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
