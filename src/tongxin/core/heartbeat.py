"""Import jobs whose worker died: a heartbeat while a job runs, a sweep that fails the jobs no one runs any more,
and the restart of a failed job.

A job in progress (``validating`` or ``running``) names the process that runs it (:func:`beating`): a label for
people (``host:pid``) and a key the sweep can check (boot id, pid namespace, pid and start time, from ``/proc``).
While the job runs, a thread of that process refreshes the job's ``heartbeat_at`` every quarter of
``IMPORT_STALE_SECONDS``. The sweep (:func:`fail_stale_imports`: a core periodic job of the worker's clock, and
at the worker's start) fails a job

* at once when its process is certainly gone: same machine and pid namespace, and no process with that pid and
  start time (a worker killed and started again under systemd, or a second worker beside it);
* else when its heartbeat is older than ``IMPORT_STALE_SECONDS`` (another machine or container: its process
  cannot be looked at, only its heartbeat) — unless its process is seen alive: on SQLite an import's write
  transaction holds the database's only write lock, so a long import cannot refresh its heartbeat meanwhile.

Nothing of a failed import is in the database: the engine (:meth:`tongxin.core.importer.ModelImporter.process`)
and the register import (``RegisterImporter._write``) write every row in one transaction, which a dead process
never commits (a preview always rolls back). The one exception is a process that died in the instant between
that commit and the job's own update: its rows are found by their change-log batch and the job says so.
"""

from __future__ import annotations

import datetime
import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connections, router
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import scoping
from tongxin.core.models import ImportJob, ObjectChange

log = logging.getLogger(__name__)

#: the statuses of a job that a worker is working on
ACTIVE = (ImportJob.Status.VALIDATING, ImportJob.Status.RUNNING)
ALIVE, DEAD, UNKNOWN = "alive", "dead", "unknown"

_running: set[int] = set()  # the jobs this process runs now
_running_lock = threading.Lock()


class NotRestartable(Exception):
    """The job is not a failed job that can be started again."""


# -- who runs a job --------------------------------------------------------------------------------


def _stat(pid: int) -> tuple[str, str]:
    """(state, start time in clock ticks since boot) of a process, from ``/proc/<pid>/stat``."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return fields[0], fields[19]  # the 3rd and 22nd fields of the line (the name, 2nd, may hold spaces)


def process_key(pid: int | None = None) -> str:
    """``boot id/pid namespace/pid/start time`` of a process of this machine (this one by default): the same
    key is never given to two processes; "" where ``/proc`` does not tell (not Linux)."""
    pid = pid or os.getpid()
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink("/proc/self/ns/pid")
        start = _stat(pid)[1]
    except (OSError, IndexError):
        return ""
    return f"{boot}/{namespace}/{pid}/{start}"


def worker_label() -> str:
    """This process as people read it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:200]


def _process_alive(pid: int, start: str) -> bool:
    """Whether the process with this pid and start time still runs on this machine (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process with that pid
        pass
    try:
        status, started = _stat(pid)
    except (OSError, IndexError):  # there, but not readable: take it as the one
        return True
    return started == start and status not in ("Z", "X")


def state(job: ImportJob) -> str:
    """Whether the process that runs ``job`` is :data:`ALIVE`, :data:`DEAD` or cannot be looked at
    (:data:`UNKNOWN`: another machine or container, or no ``/proc``)."""
    parts = job.worker_key.split("/")
    here = process_key().split("/")
    if len(parts) == 4 and len(here) == 4 and parts[:2] == here[:2] and parts[2].isdigit():
        pid, start = int(parts[2]), parts[3]
        if pid == os.getpid() and start == here[3]:
            with _running_lock:
                return ALIVE if job.pk in _running else DEAD
        return ALIVE if _process_alive(pid, start) else DEAD
    if not job.worker_key and job.worker:  # no /proc: a live process of this host with that pid may be it
        host, _sep, pid_text = job.worker.rpartition(":")
        if host == socket.gethostname() and pid_text.isdigit():
            try:
                os.kill(int(pid_text), 0)
            except ProcessLookupError:
                return UNKNOWN  # its heartbeat decides (the pid may be another container's)
            except PermissionError:  # another user's process with that pid
                pass
            return ALIVE
    return UNKNOWN


def _interval() -> float:
    """Seconds between two heartbeats: four in ``IMPORT_STALE_SECONDS``."""
    return max(1.0, settings.IMPORT_STALE_SECONDS / 4)


def _beat(pk: int, key: str, stop: threading.Event, main: Any) -> None:
    """The heartbeat thread of one job: refresh it until ``stop``; its own connection, closed at the end."""
    try:
        while not stop.wait(_interval()):
            if main.vendor == "sqlite" and main.in_atomic_block:
                continue  # the import holds SQLite's only write lock: the sweep sees the process alive instead
            try:
                ImportJob.objects.filter(pk=pk, worker_key=key, status__in=ACTIVE).update(heartbeat_at=timezone.now())
            except DatabaseError:
                log.warning("import job %s: heartbeat not written", pk, exc_info=True)
    finally:
        connections[main.alias].close()


@contextmanager
def beating(job: ImportJob, *, commit: bool) -> Iterator[None]:
    """Run a job's preview (``commit=False``) or commit inside this block: the job is marked as taken by this
    process, its heartbeat is refreshed by a thread while the block runs (not when the block runs inside a
    caller's transaction, where no other connection could see it), and a job that the block leaves in progress
    (the process is shutting down: a ``SystemExit`` went through the engine) is failed at once."""
    key, label, now = process_key(), worker_label(), timezone.now()
    status = ImportJob.Status.RUNNING if commit else ImportJob.Status.VALIDATING
    ImportJob.objects.filter(pk=job.pk).update(status=status, worker=label, worker_key=key, heartbeat_at=now)
    job.status, job.worker, job.worker_key, job.heartbeat_at = status, label, key, now
    with _running_lock:
        _running.add(job.pk)
    main = connections[router.db_for_write(ImportJob)]
    stop = threading.Event()
    thread = None
    if not main.in_atomic_block:
        thread = threading.Thread(
            target=_beat, args=(job.pk, key, stop, main), name=f"tongxin-heartbeat-{job.pk}", daemon=True
        )
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread is not None:
            thread.join(timeout=5)
        with _running_lock:
            _running.discard(job.pk)
        try:
            _settle(job.pk, key)
        except Exception:  # never hide the error that ended the job
            log.exception("import job %s: not settled after its run", job.pk)


def _settle(pk: int, key: str) -> None:
    """After a run: the job's last sign of life; a job still in progress is failed (its run was cut short)."""
    now = timezone.now()
    if not ImportJob.objects.filter(pk=pk, worker_key=key).exclude(status__in=ACTIVE).update(heartbeat_at=now):
        left = ImportJob.objects.filter(pk=pk, worker_key=key, status__in=ACTIVE).first()
        if left is not None:
            _fail(left, now)


# -- the sweep ---------------------------------------------------------------------------------------


def _cutoff(now: datetime.datetime) -> datetime.datetime:
    """A heartbeat older than this is stale."""
    return now - datetime.timedelta(seconds=settings.IMPORT_STALE_SECONDS)


def stale_jobs(now: datetime.datetime | None = None) -> list[ImportJob]:
    """The jobs in progress that no process runs any more (see the module's docstring); a job from before
    heartbeats is judged by its last update."""
    cutoff = _cutoff(now or timezone.now())
    stale = []
    for job in ImportJob.objects.filter(status__in=ACTIVE).defer("problems"):
        alive = state(job)
        if alive == DEAD or (alive == UNKNOWN and (job.heartbeat_at or job.last_updated) < cutoff):
            stale.append(job)
    return stale


def seconds_to_next_stale(now: datetime.datetime | None = None) -> float | None:
    """In how many seconds the first job in progress whose process cannot be looked at turns stale if its
    heartbeat stops now (None: there is none); the worker checks again then, not only at its clock's tick."""
    now = now or timezone.now()
    beats = [
        job.heartbeat_at or job.last_updated
        for job in ImportJob.objects.filter(status__in=ACTIVE).defer("problems")
        if state(job) == UNKNOWN
    ]
    if not beats:
        return None
    return max(1.0, (min(beats) - _cutoff(now)).total_seconds() + 1)


def fail_stale_imports(now: datetime.datetime | None = None) -> dict[str, int]:
    """The periodic sweep (and the worker's first act): fail every stale job, saying that its worker stopped
    and what was written. Returns ``{"failed": n}``."""
    now = now or timezone.now()
    return {"failed": sum(1 for job in stale_jobs(now) if _fail(job, now))}


def _written_batches(job: ImportJob) -> list[str]:
    """The change-log batches a dead commit wrote: the job's user's import entries since the commit started that
    no other job claims (found only when the process died between its transaction's commit and the job's
    update; an import's rows and their change-log entries commit together)."""
    claimed = ImportJob.objects.filter(user_id=job.user_id, batch_id__isnull=False).exclude(pk=job.pk)
    entries = ObjectChange.objects.filter(
        user_id=job.user_id, source=ObjectChange.Source.IMPORT, time__gte=job.last_updated
    ).exclude(request_id__in=claimed.values("batch_id"))
    return [str(b) for b in entries.values_list("request_id", flat=True).distinct()[:5]]


def _fail(job: ImportJob, now: datetime.datetime) -> bool:
    """Fail one job in progress whose process is gone, unless it changed meanwhile (its heartbeat came back)."""
    commit = job.status == ImportJob.Status.RUNNING
    written = _written_batches(job) if commit else []
    beat = job.heartbeat_at or job.last_updated
    params = {
        "worker": job.worker or _("未知"),
        "time": timezone.localtime(beat).strftime("%Y-%m-%d %H:%M:%S"),
        "batch": "、".join(written),
    }
    if written:
        error = _(
            "处理该任务的后台进程（%(worker)s）在数据提交之后、记录结果之前停止（最后心跳 %(time)s）："
            "数据已写入，变更记录批次为 %(batch)s，可在变更记录中按批次查看；本任务的统计数字未记录。"
        )
    elif commit:
        error = _(
            "导入未完成：处理该任务的后台进程（%(worker)s）已停止（最后心跳 %(time)s）。"
            "导入在一个事务中写入，进程停止时事务未提交，已全部撤销，没有写入任何数据。可点击“重新开始”再次导入。"
        )
    else:
        error = _(
            "校验未完成：处理该任务的后台进程（%(worker)s）已停止（最后心跳 %(time)s）。"
            "校验（预览）不写入任何数据。可点击“重新开始”再次校验。"
        )
    changes: dict[str, Any] = {
        "status": ImportJob.Status.FAILED,
        "error": error % params,
        "summary": {**job.summary, "interrupted": "commit" if commit else "preview"},
        "last_updated": now,
    }
    if written:
        changes["batch_id"] = written[0]
    same = ImportJob.objects.filter(
        pk=job.pk, status=job.status, worker_key=job.worker_key, heartbeat_at=job.heartbeat_at
    )
    failed = same.update(**changes) == 1
    if failed:
        log.warning("import job %s: its worker %s stopped; marked failed", job.pk, job.worker or "?")
    return failed


# -- starting a failed job again ------------------------------------------------------------------------


def restart(job: ImportJob, user: Any) -> ImportJob:
    """Start a failed job again (its uploader; permission to import checked again): the commit again when its
    worker died during the commit, else the preview. Nothing of the failed run is kept but its file; a job
    that wrote data (see :func:`_fail`), or whose file was purged, cannot be restarted."""
    from tongxin.core.views.imports import enqueue, importer_for

    if not job.restartable:
        raise NotRestartable(
            _("导入任务“%(name)s”当前状态为“%(status)s”，不能重新开始")
            % {"name": job.file_name, "status": job.get_status_display()}
        )
    if not scoping.has_perm(user, importer_for(job.target).model, "import"):
        raise PermissionDenied
    commit = job.summary.get("interrupted") == "commit"
    summary = {k: v for k, v in job.summary.items() if k != "interrupted"}
    again = ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.FAILED).update(
        status=ImportJob.Status.PENDING,
        processed=0,
        error="",
        summary=summary,
        worker="",
        worker_key="",
        heartbeat_at=None,
        last_updated=timezone.now(),
    )
    if not again:  # restarted by another request meanwhile
        raise NotRestartable(_("导入任务“%(name)s”已经重新开始") % {"name": job.file_name})
    enqueue(job, commit=commit)
    job.refresh_from_db()
    return job
