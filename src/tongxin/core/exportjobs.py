"""Exports in the background (issue 17, defect 9): an export of more than ``EXPORT_BACKGROUND_ROWS`` rows is an
:class:`~tongxin.core.models.ExportJob` that the worker writes with a progress count, like an import job.

The request checks the permission, writes the access-log entry (as an export in the request does) and records the
page's query string; the worker rebuilds the same scoped, filtered, ordered queryset for the job's user from it,
so the file holds exactly what the request would have exported then. A job whose worker stopped is failed by the
retention sweep (:func:`tongxin.core.retention.purge_export_jobs`).

A job is a list's own export (the list's columns, CSV or XLSX), or of a named **kind**: an export of its own
layout that a module declares with :func:`register_kind` in its ``AppConfig.ready`` (the registry's 花名册 is one).
Core knows a kind by its name and the dotted path of its writer only, so that it imports no module.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import IO, Any

from django.conf import settings
from django.core.files import File
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tongxin.core.models import ExportJob

#: how often (in rows) the worker writes the job's progress
PROGRESS_EVERY = 500

#: ``write(job, request, out, counted)`` of an export kind: write the file to the binary file ``out`` from the
#: rows of the queryset it rebuilds from ``request`` (the job's query string and user), passed through
#: ``counted`` (which writes the job's progress)
KindWriter = Callable[[ExportJob, HttpRequest, IO[bytes], Callable[[Iterable], Iterator]], None]

#: the declared export kinds: name → dotted path of its :data:`KindWriter`
_KINDS: dict[str, str] = {}


def register_kind(name: str, writer: str) -> None:
    """Declare an export kind ``name`` (e.g. ``"registry.register"``), written in the worker by the function at
    the dotted path ``writer`` (a :data:`KindWriter`, imported when a job runs). A module calls it from its
    ``AppConfig.ready``, so that the web process and the worker both know the kind."""
    if _KINDS.get(name, writer) != writer:
        raise ValueError(f"export kind {name!r} is already declared as {_KINDS[name]}")
    _KINDS[name] = writer


def kinds() -> dict[str, str]:
    """The declared export kinds (name → dotted path of the writer)."""
    return dict(_KINDS)


def wants_background(rows: QuerySet | int) -> int | None:
    """The row count of an export too large for the request (None: export it now); ``rows`` is the export's
    queryset, or its count when the caller has it already."""
    total = rows if isinstance(rows, int) else rows.count()
    return total if total > settings.EXPORT_BACKGROUND_ROWS else None


def start(user: Any, label: str, fmt: str, query: QueryDict, total: int, basename: str, kind: str = "") -> ExportJob:
    """Record the job and hand it to the worker: the export of the list of model ``label`` (``kind`` empty), or
    of the declared export ``kind``; the file is named ``basename-YYYYMMDD-HHMM.fmt``."""
    from tongxin.core.export import export_filename
    from tongxin.core.tasks import run_export

    if kind and kind not in _KINDS:
        raise ValueError(f"undeclared export kind {kind!r}")
    params = query.copy()
    for key in ("page", "per_page", "partial"):
        params.pop(key, None)
    job = ExportJob.objects.create(
        user=user,
        target=label,
        kind=kind,
        fmt=fmt,
        query=params.urlencode(),
        total=total,
        file_name=export_filename(basename, fmt),
    )
    run_export.enqueue(job.pk)
    return job


def _counted(job: ExportJob, rows: Iterable) -> Iterator:
    """The rows, writing the job's progress every :data:`PROGRESS_EVERY` rows (which is also its sign of life)."""
    n = 0
    for n, row in enumerate(rows, start=1):
        if n % PROGRESS_EVERY == 0:
            ExportJob.objects.filter(pk=job.pk).update(processed=n, last_updated=timezone.now())
        yield row
    job.processed = n


def job_request(job: ExportJob) -> HttpRequest:
    """The request of the page that started the job, as filters read it: its query string and its user."""
    request = HttpRequest()
    request.method, request.GET, request.user = "GET", QueryDict(job.query), job.user
    return request


def _write_list(job: ExportJob, request: HttpRequest, out: IO[bytes], counted: Callable[[Iterable], Iterator]) -> None:
    """The list export: the list's queryset, columns and order, in the job's format."""
    from tongxin.core.export import export_columns, write_export
    from tongxin.core.registry import registry
    from tongxin.core.views.generic import apply_order, filtered

    viewset = next(v for v in registry.all() if v.model._meta.label == job.target)
    _fs, qs = filtered(viewset, request, "export")
    qs, sort = apply_order(viewset, qs, request.GET.get("sort", ""))
    table = viewset.table(columns=request.GET.getlist("columns"), order=sort)
    cols, qs, _personal, _reveal = export_columns(viewset.model, job.user, qs, table)
    title = str(viewset.model._meta.verbose_name_plural)
    write_export(out, job.fmt, cols, counted(qs.iterator(chunk_size=2000)), title)


def run(job: ExportJob) -> None:
    """Write the job's file: the list's queryset (or the kind's) for the job's user, rebuilt from its query
    string."""
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)
    try:
        writer: KindWriter = import_string(_KINDS[job.kind]) if job.kind else _write_list
        with tempfile.TemporaryFile() as tmp:
            writer(job, job_request(job), tmp, partial(_counted, job))
            tmp.seek(0)
            job.file.save(job.file_name, File(tmp), save=False)
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=_("导出失败：%(error)s") % {"error": exc}
        )
        raise
    job.status = ExportJob.Status.DONE
    job.save(update_fields=["status", "processed", "file", "last_updated"])
