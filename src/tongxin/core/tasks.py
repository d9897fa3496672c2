"""Background tasks (django-tasks; the database backend with ``tongxin worker`` by default)."""

from __future__ import annotations

from django_tasks import task

from tongxin.core.models import ExportJob, ImportJob


@task()
def run_import(job_id: int, commit: bool) -> dict:
    """Validate (preview) or commit an import job in the background, its heartbeat beating meanwhile (a job whose
    worker dies is failed by the sweep of :mod:`tongxin.core.heartbeat`)."""
    from tongxin.core.heartbeat import beating
    from tongxin.core.importer import run_job
    from tongxin.core.views.imports import importer_for

    job = ImportJob.objects.select_related("user", "community").get(pk=job_id)
    importer_cls = importer_for(job.target)
    with beating(job, commit=commit):
        run_job(job, importer_cls, commit=commit)
    return {"status": job.status, "summary": job.summary}


@task()
def deliver_outbox(pks: list[int]) -> dict:
    """Deliver side effects that a committed write queued (:mod:`tongxin.core.outbox`)."""
    from tongxin.core.outbox import deliver

    return deliver(pks)


@task()
def run_export(job_id: int) -> dict:
    """Write a large export's file in the background (:mod:`tongxin.core.exportjobs`): a list's export, or that
    of the export kind the job names (declared by its module)."""
    from tongxin.core.exportjobs import run

    job = ExportJob.objects.select_related("user").get(pk=job_id)
    run(job)
    return {"status": job.status, "rows": job.processed}
