"""Background import jobs (``core.importer.run_job``): progress the polling page can see while the importer
writes in one transaction, and a job that fails on an unexpected error instead of running for ever."""

from __future__ import annotations

import pytest
from django.db import connection, connections, transaction

from tongxin.core.importer import run_job
from tongxin.core.models import ImportJob, User


def make_job(user: User) -> ImportJob:
    return ImportJob.objects.create(user=user, target="org.Grid", file="imports/x.csv", file_name="x.csv")


def outcome(rows: int) -> dict:
    summary = {"rows": rows, "created": rows, "updated": 0, "unchanged": 0, "rejected": 0, "warnings": 0}
    return {"summary": summary, "unknown_columns": [], "header_row": 1, "problems": [], "batch_id": None}


def seen_by_another_connection(job: ImportJob) -> tuple[int, int]:
    """(processed, total) of the job as a page's request (another connection) reads it."""
    other = connections.create_connection(connection.alias)
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT processed, total FROM core_importjob WHERE id = %s", [job.pk])
            return tuple(cursor.fetchone())
    finally:
        other.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer: progress stays in the import")
def test_progress_written_inside_the_import_transaction_is_seen_by_the_page():
    job = make_job(User.objects.create_user(username="worker_p", password=None))
    seen = []

    class Importer:
        def __init__(self, user, community):
            pass

        def process(self, path, *, commit, all_or_nothing, progress):
            progress(3, 10)  # the first pass: no transaction open
            seen.append(seen_by_another_connection(job))
            with transaction.atomic():  # the write: one transaction until the end
                progress(7, 10)
                seen.append(seen_by_another_connection(job))
            return outcome(10)

    run_job(job, Importer, commit=True)
    assert seen == [(3, 10), (7, 10)]
    job.refresh_from_db()
    assert (job.status, job.processed, job.total) == ("done", 10, 10)


def test_an_unexpected_error_fails_the_job_and_reaches_the_worker_log(world):
    job = make_job(world.users["worker"])

    class Importer:
        def __init__(self, user, community):
            pass

        def process(self, path, *, commit, all_or_nothing, progress):
            progress(1, 10)
            raise RuntimeError("the database went away")

    with pytest.raises(RuntimeError):
        run_job(job, Importer, commit=True)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "系统出错" in job.error and "RuntimeError" in job.error


class _Writing:
    """An importer that reports progress before and inside its own transaction."""

    def __init__(self, user, community):
        pass

    def process(self, path, *, commit, all_or_nothing, progress):
        progress(3, 10)
        with transaction.atomic():
            progress(7, 10)
        return outcome(10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the side connection is PostgreSQL's")
def test_a_job_run_inside_a_callers_transaction_keeps_its_progress_there():
    """The caller's transaction holds the job's row: a second connection would wait for it for ever."""
    job = make_job(User.objects.create_user(username="worker_t", password=None))
    with transaction.atomic():
        run_job(job, _Writing, commit=True)
    job.refresh_from_db()
    assert (job.status, job.processed) == ("done", 10)


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the side connection is PostgreSQL's")
def test_a_progress_update_that_fails_never_costs_the_import(monkeypatch):
    from django.db import OperationalError

    from tongxin.core import importer

    def refused(self, processed, total):
        raise OperationalError("too many connections")

    monkeypatch.setattr(importer._Progress, "_write_aside", refused)
    job = make_job(User.objects.create_user(username="worker_f", password=None))
    run_job(job, _Writing, commit=True)
    job.refresh_from_db()
    assert (job.status, job.processed) == ("done", 10)
