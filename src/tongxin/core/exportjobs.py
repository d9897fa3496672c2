"""Exports in the background (issue 17, defect 9): a list export of more than ``EXPORT_BACKGROUND_ROWS`` rows is
an :class:`~tongxin.core.models.ExportJob` that the worker writes with a progress count, like an import job.

The request checks the permission, writes the access-log entry (as an export in the request does) and records the
list's query string; the worker rebuilds the same scoped, filtered, ordered queryset for the job's user from it,
so the file holds exactly what the list would have exported then. A job whose worker stopped is failed by the
retention sweep (:func:`tongxin.core.retention.purge_export_jobs`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.core.files import File
from django.db.models import QuerySet
from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.models import ExportJob

#: how often (in rows) the worker writes the job's progress
PROGRESS_EVERY = 500


def wants_background(qs: QuerySet) -> int | None:
    """The row count of an export too large for the request (None: export it now)."""
    total = qs.count()
    return total if total > settings.EXPORT_BACKGROUND_ROWS else None


def start(user: Any, label: str, fmt: str, query: QueryDict, total: int, basename: str) -> ExportJob:
    """Record the job and hand it to the worker."""
    from tongxin.core.export import export_filename
    from tongxin.core.tasks import run_export

    params = query.copy()
    for key in ("page", "per_page", "partial"):
        params.pop(key, None)
    job = ExportJob.objects.create(
        user=user,
        target=label,
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


def run(job: ExportJob) -> None:
    """Write the job's file: the list's queryset for the job's user, rebuilt from its query string."""
    from tongxin.core.export import export_columns, write_export
    from tongxin.core.registry import registry
    from tongxin.core.views.generic import apply_order, filtered

    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING)
    try:
        viewset = next(v for v in registry.all() if v.model._meta.label == job.target)
        request = HttpRequest()  # the list's request as the filters read it: its query string and its user
        request.method, request.GET, request.user = "GET", QueryDict(job.query), job.user
        _fs, qs = filtered(viewset, request, "export")
        qs, sort = apply_order(viewset, qs, request.GET.get("sort", ""))
        table = viewset.table(columns=request.GET.getlist("columns"), order=sort)
        cols, qs, _personal, _reveal = export_columns(viewset.model, job.user, qs, table)
        title = str(viewset.model._meta.verbose_name_plural)
        with tempfile.TemporaryFile() as tmp:
            write_export(tmp, job.fmt, cols, _counted(job, qs.iterator(chunk_size=2000)), title)
            tmp.seek(0)
            job.file.save(job.file_name, File(tmp), save=False)
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=_("导出失败：%(error)s") % {"error": exc}
        )
        raise
    job.status = ExportJob.Status.DONE
    job.save(update_fields=["status", "processed", "file", "last_updated"])
