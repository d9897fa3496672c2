"""Retention of personal data that is only needed for a while: import files and their problem rows, and the
failed logins behind the lockout."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core.models import ImportJob, LoginFailure


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
