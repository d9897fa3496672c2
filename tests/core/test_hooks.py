"""App hooks: menus, periodic jobs and home items come from what each module declares on its AppConfig."""

from __future__ import annotations

import threading

import pytest
from django.urls import reverse

from tongxin.core import hooks
from tongxin.core.management.commands import worker


def test_every_tongxin_app_is_a_module_and_the_menu_follows_their_declared_order():
    assert [m.label for m in hooks.modules()] == ["core", "org", "registry", "cases", "care", "sample"]
    assert [g.key for g in hooks.menu_groups()] == ["org", "registry", "cases", "care", "system"]


def test_the_worker_runs_the_jobs_the_modules_declare():
    funcs = [job.func for job in hooks.periodic_jobs()]
    assert "tongxin.core.outbox.deliver_due" in funcs
    assert "tongxin.cases.clock.tick" in funcs


CALLS: list[str] = []


def every_tick():
    CALLS.append("fast")
    return {"done": 1}


def hourly():
    CALLS.append("slow")
    return {}


def broken():
    CALLS.append("broken")
    raise RuntimeError("database away")


def test_the_clock_runs_each_job_as_often_as_it_asks_and_survives_a_failing_one(monkeypatch):
    CALLS.clear()
    jobs = [
        hooks.PeriodicJob(f"{__name__}.broken"),
        hooks.PeriodicJob(f"{__name__}.every_tick"),
        hooks.PeriodicJob(f"{__name__}.hourly", every=3600),
    ]
    monkeypatch.setattr(hooks, "periodic_jobs", lambda: jobs)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker.connection, "close", lambda: None)
    stop = threading.Event()
    original = every_tick

    def counting():
        if CALLS.count("fast") >= 2:
            stop.set()
        return original()

    monkeypatch.setattr(f"{__name__}.every_tick", counting)
    thread = threading.Thread(target=worker.clock, args=(stop, 0.01), daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive()
    assert CALLS.count("fast") == 3 and CALLS.count("broken") == 3  # a failing job never stops the others
    assert CALLS.count("slow") == 1  # hourly: once in these ticks


@pytest.mark.django_db
def test_the_home_page_shows_each_modules_items(client, world):
    from tongxin.org.models import Grid

    Grid.objects.create(community=world.a, code="A02", name="A二网格")  # no grid member yet
    client.force_login(world.users["director"])
    page = client.get(reverse("home")).content.decode()
    assert "个网格还没有网格员" in page  # org's item
    client.force_login(world.users["grid_member"])  # may not staff grids: org shows nothing
    assert "个网格还没有网格员" not in client.get(reverse("home")).content.decode()


def test_a_module_imports_another_only_as_its_declared_dependency():
    """``depends_on`` is the only way across modules (the import-linter contract keeps the layers; this keeps the
    modules of one layer apart unless one declares the other)."""
    import grimp

    graph = grimp.build_graph("tongxin")
    platform = {"core", "org"}
    modules = [m for m in hooks.modules() if m.name.startswith("tongxin.") and m.label not in platform]
    for module in modules:
        for other in modules:
            if other is module:
                continue
            imports = graph.chain_exists(importer=module.name, imported=other.name, as_packages=True)
            assert not imports or other.label in module.depends_on, (
                f"{module.label} imports {other.label} without declaring it in depends_on"
            )
    assert "registry" in dict((m.label, m.depends_on) for m in modules)["cases"]
