"""Retention of personal data that is only needed for a while: import files and their problem rows, the files of
background exports, and the failed logins behind the lockout."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.models import ExportJob, ImportJob, LoginFailure


def purge_import_jobs(days: int | None = None, now: datetime.datetime | None = None) -> int:
    """Delete the uploaded files and the problem rows (raw cells) of finished import jobs older than
    ``days`` (default ``TONGXIN_IMPORT_RETENTION_DAYS``); keep the jobs and their counts. Returns how many."""
    days = settings.IMPORT_RETENTION_DAYS if days is None else days
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    finished = (ImportJob.Status.DONE, ImportJob.Status.FAILED, ImportJob.Status.PREVIEW)
    purged = 0
    for job in ImportJob.objects.filter(last_updated__lt=cutoff, status__in=finished).exclude(file="", problems=[]):
        if job.file:
            job.file.delete(save=False)
        job.summary = {**job.summary, "purged": True}
        changes = {"file": "", "problems": [], "summary": job.summary}
        if job.status == ImportJob.Status.PREVIEW:  # never confirmed: it can no longer be committed
            changes.update(status=ImportJob.Status.FAILED, error=_("预览已过期，文件已按保留期限删除，请重新上传"))
        ImportJob.objects.filter(pk=job.pk).update(**changes)
        purged += 1
    return purged


def purge_login_failures(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete failed logins older than a day: the lockout windows are minutes long, and an account name that is
    never logged into would otherwise keep its rows (names and addresses) for ever. Run on the worker's clock."""
    keep = max(settings.LOGIN_LOCKOUT_MINUTES, getattr(settings, "LOGIN_IP_LOCKOUT_MINUTES", 0), 24 * 60)
    cutoff = (now or timezone.now()) - datetime.timedelta(minutes=keep)
    deleted, _rows = LoginFailure.objects.filter(at__lt=cutoff).delete()
    return {"login_failures": deleted}


def purge_export_jobs(now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete background exports (their files and their jobs) older than ``EXPORT_RETENTION_DAYS``, and fail the
    running ones whose worker has written no progress for ``IMPORT_STALE_SECONDS`` times ten (the worker writes
    its progress every few hundred rows, so such a worker stopped). A periodic job of the worker's clock."""
    now = now or timezone.now()
    stale = now - datetime.timedelta(seconds=10 * settings.IMPORT_STALE_SECONDS)
    failed = ExportJob.objects.filter(status=ExportJob.Status.RUNNING, last_updated__lt=stale).update(
        status=ExportJob.Status.FAILED, error=_("后台进程已停止，导出未完成，请重新导出")
    )
    cutoff = now - datetime.timedelta(days=settings.EXPORT_RETENTION_DAYS)
    deleted = 0
    for job in ExportJob.objects.filter(created__lt=cutoff):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        deleted += 1
    return {"export_jobs_deleted": deleted, "export_jobs_failed": failed}
