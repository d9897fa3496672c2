"""A worker that dies mid-import (issue 16, finding 8): its job is failed by the sweep (the worker's clock and its
start), says that its worker stopped and that nothing was written, shows on ``/healthz`` until then, and can be
started again; a job whose worker lives is left alone."""

from __future__ import annotations

import datetime
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string

from tests.core.test_rules_import import csv_bytes, good_rows, upload
from tongxin.core import heartbeat, hooks
from tongxin.core.models import ImportJob
from tongxin.core.tasks import run_import
from tongxin.org.importers import GridImporter
from tongxin.org.models import Grid

T0 = datetime.datetime(2026, 9, 24, 9, 30, tzinfo=datetime.UTC)
REPO = Path(__file__).resolve().parents[2]


def at(seconds: float) -> datetime.datetime:
    """``seconds`` after the frozen morning of these tests."""
    return T0 + datetime.timedelta(seconds=seconds)


def clock_sweep() -> dict:
    """What the worker's clock runs: core's declared periodic job that fails stale imports."""
    (job,) = [j for j in hooks.periodic_jobs() if j.func.endswith("fail_stale_imports")]
    assert job.func.startswith("tongxin.core.")
    return import_string(job.func)()


def previewed(client, world) -> ImportJob:
    """A grid file uploaded by the director and previewed: three new grids, nothing written yet."""
    client.force_login(world.users["director"])
    job = upload(client, "grids.csv", csv_bytes(good_rows(world)))
    assert job.status == ImportJob.Status.PREVIEW, job.error
    return job


def left_running(job: ImportJob, *, commit: bool, worker: str, key: str = "", beat: datetime.datetime) -> None:
    """The job as a worker leaves it when it dies in the middle: in progress, its last heartbeat at ``beat``."""
    status = ImportJob.Status.RUNNING if commit else ImportJob.Status.VALIDATING
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, worker=worker, worker_key=key, heartbeat_at=beat, last_updated=beat, processed=1
    )


def healthz(client) -> dict:
    """What the monitoring reads."""
    response = client.get("/healthz")
    assert response.status_code == 200
    return response.json()


def _restart_url(job: ImportJob) -> str:
    """The job page's “重新开始” button posts here."""
    return reverse("core:importjob_restart", kwargs={"pk": job.pk})


@pytest.fixture
def child():
    """A live process of this machine (its key as a job would record it), killed at the end."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    yield proc
    proc.kill()
    proc.wait()


# --- the sweep ---------------------------------------------------------------------------------------


def test_core_declares_the_sweep_as_a_periodic_job_of_the_worker_clock():
    assert "tongxin.core.heartbeat.fail_stale_imports" in [job.func for job in hooks.periodic_jobs()]


def test_a_commit_whose_worker_stopped_is_failed_says_nothing_was_written_and_shows_on_healthz(client, world):
    with time_machine.travel(T0, tick=False):
        job = previewed(client, world)
        grids = Grid.objects.count()
        left_running(job, commit=True, worker="worker-2:4242", beat=at(0))
    with time_machine.travel(at(30), tick=False):  # within the limit: still taken as running
        assert clock_sweep() == {"failed": 0}
        assert healthz(client)["stale_jobs"] == 0
    with time_machine.travel(at(61), tick=False):
        health = healthz(client)
        assert (health["stale_jobs"], health["worker"], health["status"]) == (1, "stalled", "degraded")
        assert clock_sweep() == {"failed": 1}
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "后台进程（worker-2:4242）已停止" in job.error and "最后心跳 2026-09-24" in job.error
    assert "没有写入任何数据" in job.error and "重新开始" in job.error
    assert job.batch_id is None and job.restartable
    assert Grid.objects.count() == grids
    health = healthz(client)
    assert (health["stale_jobs"], health["worker"], health["status"]) == (0, "ok", "ok")
    client.force_login(world.users["director"])  # the session of the frozen morning has expired
    page = client.get(job.get_absolute_url()).content.decode()
    assert "没有写入任何数据" in page and 'id="import-restart"' in page


def test_a_stopped_commit_is_restarted_from_its_page_and_completes(client, world):
    job = previewed(client, world)
    grids = Grid.objects.count()
    left_running(job, commit=True, worker="worker-2:4242", beat=timezone.now() - datetime.timedelta(minutes=5))
    assert clock_sweep() == {"failed": 1}
    response = client.post(_restart_url(job))
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE, job.error  # the commit again (the test's task runner is immediate)
    assert job.error == "" and job.summary["created"] == 3 and "interrupted" not in job.summary
    assert Grid.objects.count() == grids + 3
    assert client.post(_restart_url(job)).status_code == 302  # a done job is not started again
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Grid.objects.count() == grids + 3


def test_a_job_with_a_fresh_heartbeat_is_left_running(client, world):
    with time_machine.travel(T0, tick=False):
        job = previewed(client, world)
        left_running(job, commit=True, worker="worker-2:4242", beat=at(0))
    with time_machine.travel(at(50), tick=False):
        ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=at(50))  # its worker's thread beats
    with time_machine.travel(at(100), tick=False):
        assert clock_sweep() == {"failed": 0}
        assert healthz(client)["stale_jobs"] == 0
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING and job.error == ""


def test_a_long_import_of_a_live_process_on_this_machine_is_left_running_without_heartbeat(client, world, child):
    # SQLite: an import's write transaction holds the only write lock, so its heartbeat cannot be written meanwhile
    job = previewed(client, world)
    key = heartbeat.process_key(child.pid)
    assert key, "this test needs /proc"
    left_running(job, commit=True, worker="here:1", key=key, beat=timezone.now() - datetime.timedelta(hours=1))
    job.refresh_from_db()
    assert heartbeat.state(job) == heartbeat.ALIVE
    assert clock_sweep() == {"failed": 0}
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING


def test_a_job_whose_process_on_this_machine_is_gone_is_failed_at_once(client, world, child):
    job = previewed(client, world)
    key = heartbeat.process_key(child.pid)
    child.kill()
    child.wait()
    left_running(job, commit=False, worker=f"here:{child.pid}", key=key, beat=timezone.now())  # a fresh heartbeat
    assert healthz(client)["stale_jobs"] == 1
    assert clock_sweep() == {"failed": 1}
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error.startswith("校验未完成") and "预览）不写入任何数据" in job.error
    assert job.summary["interrupted"] == "preview"


def test_a_restarted_preview_runs_the_preview_again_through_the_api(client, world):
    job = previewed(client, world)
    left_running(job, commit=False, worker="worker-2:4242", beat=timezone.now() - datetime.timedelta(minutes=5))
    assert clock_sweep() == {"failed": 1}
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    response = client.post(f"/api/v1/core/imports/{job.pk}/restart/", headers=headers)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "preview" and response.json()["error"] == ""
    assert client.post(f"/api/v1/core/imports/{job.pk}/restart/", headers=headers).status_code == 409
    other = {"Authorization": f"Bearer {world.tokens['director_b']}"}
    assert client.post(f"/api/v1/core/imports/{job.pk}/restart/", headers=other).status_code == 404


def test_a_commit_that_committed_before_its_worker_died_names_its_batch_and_is_not_restarted(client, world, tmp_path):
    with time_machine.travel(T0, tick=False):
        job = previewed(client, world)
        left_running(job, commit=True, worker="worker-2:4242", beat=at(0))
    with time_machine.travel(at(5), tick=False):  # the commit's transaction commits; the worker dies before saying so
        path = tmp_path / "grids.csv"
        path.write_bytes(csv_bytes(good_rows(world)))
        outcome = GridImporter(world.users["director"], None).process(path, commit=True)
    with time_machine.travel(at(120), tick=False):
        assert clock_sweep() == {"failed": 1}
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and str(job.batch_id) == outcome["batch_id"]
    assert "数据已写入" in job.error and outcome["batch_id"] in job.error
    assert not job.restartable
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    assert client.post(f"/api/v1/core/imports/{job.pk}/restart/", headers=headers).status_code == 409


def test_a_run_cut_short_by_the_workers_shutdown_is_failed_at_once(client, world, monkeypatch):
    job = previewed(client, world)
    grids = Grid.objects.count()

    def shutdown(*args, **kwargs):
        raise SystemExit(1)  # the worker's second Ctrl-C: the task is cut short, run_job never records the end

    monkeypatch.setattr(GridImporter, "process", shutdown)
    with pytest.raises(SystemExit):
        run_import.call(job.pk, True)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "没有写入任何数据" in job.error
    assert Grid.objects.count() == grids and job.restartable


# --- the worker ----------------------------------------------------------------------------------------


@pytest.fixture
def db_worker(settings, transactional_db):
    """The database task queue that ``tongxin worker`` serves (see tests/core/test_outbox.py)."""
    from tongxin.org.roles import sync_default_roles

    sync_default_roles()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def run_worker() -> None:
    """A worker that starts, does what is queued and stops."""
    call_command("worker", "--batch", "--clock-seconds", "0", "--no-startup-delay", verbosity=0)


def test_a_starting_worker_fails_the_job_of_a_dead_worker_and_leaves_a_live_one_running(db_worker, world):
    dead, live = (
        ImportJob.objects.create(user=world.users["director"], target="org.Grid", file=f"imports/{n}.csv", file_name=n)
        for n in ("dead.csv", "live.csv")
    )
    with time_machine.travel(T0, tick=False):
        left_running(dead, commit=True, worker="worker-2:4242", beat=at(0))
        left_running(live, commit=True, worker="worker-3:77", beat=at(0))
    with time_machine.travel(at(61), tick=False):
        ImportJob.objects.filter(pk=live.pk).update(heartbeat_at=at(58))
        run_worker()
    dead.refresh_from_db()
    live.refresh_from_db()
    assert dead.status == ImportJob.Status.FAILED and "后台进程（worker-2:4242）已停止" in dead.error
    assert live.status == ImportJob.Status.RUNNING


def _database_url() -> str:
    """The test database as another process reaches it."""
    db = connection.settings_dict
    if connection.vendor == "postgresql":
        auth = quote(db["USER"] or "") + (f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else "")
        return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return f"sqlite:///{db['NAME']}"


HELD_WORKER = """
import sys, time
from pathlib import Path
import django
django.setup()
from tongxin.org.importers import GridImporter

def hold(self, path, **kwargs):  # the import is under way when the worker is killed
    Path(sys.argv[1]).write_text("importing")
    time.sleep(600)

GridImporter.process = hold
from django.core.management import call_command
call_command("worker", "--no-startup-delay", "--interval", "0.05", "--clock-seconds", "0", "--no-reload", verbosity=0)
"""


@pytest.mark.skipif(
    connection.vendor == "sqlite" and not django_settings.DATABASES["default"].get("TEST", {}).get("NAME"),
    reason="the worker runs in another process: it needs a database it can reach, not SQLite's in-memory test "
    "database (runs with PostgreSQL: make test-pg)",
)
def test_a_worker_killed_mid_import_leaves_a_job_that_the_next_worker_fails_and_that_restarts(
    db_worker, client, world, tmp_path
):
    headers = {"Authorization": f"Bearer {world.tokens['director']}"}
    grids = Grid.objects.count()
    file = SimpleUploadedFile("grids.csv", csv_bytes(good_rows(world)))
    response = client.post(
        "/api/v1/core/imports/", {"target": "org.Grid", "file": file, "commit": "true"}, headers=headers
    )
    assert response.status_code == 201 and response.json()["status"] == "pending"  # queued for the worker
    pk = response.json()["id"]
    gate = tmp_path / "importing"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": str(REPO),
        "TONGXIN_DATABASE_URL": _database_url(),
        "TONGXIN_MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
        "TONGXIN_TASK_BACKEND": "django_tasks_db.DatabaseBackend",
    }
    worker = subprocess.Popen([sys.executable, "-c", HELD_WORKER, str(gate)], env=env, cwd=REPO)
    try:
        deadline = time.monotonic() + 30
        while not gate.exists() and worker.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gate.exists(), "the worker did not start the import"
        job = ImportJob.objects.get(pk=pk)
        assert job.status == ImportJob.Status.RUNNING and job.worker.endswith(f":{worker.pid}")
        assert job.worker_key == heartbeat.process_key(worker.pid)
        worker.send_signal(signal.SIGKILL)
    finally:
        worker.kill()
        worker.wait()
    run_worker()  # the next worker starts
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED and "没有写入任何数据" in job.error
    assert Grid.objects.count() == grids
    response = client.post(f"/api/v1/core/imports/{pk}/restart/", headers=headers)
    assert response.status_code == 200 and response.json()["status"] == "pending"
    run_worker()
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE and Grid.objects.count() == grids + 3
