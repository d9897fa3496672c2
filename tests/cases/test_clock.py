"""The worker's clock thread and the ``tongxin cases-tick`` command."""

from __future__ import annotations

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from tongxin.cases import clock
from tongxin.core.management.commands import worker

from .helpers import report


def test_clock_ticks_until_stopped_and_survives_errors(monkeypatch):
    calls = []

    def fake_tick():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database away")
        if len(calls) >= 3:
            stop.set()
        return {"reminded": 0}

    monkeypatch.setattr(clock, "tick", fake_tick)
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker.connection, "close", lambda: None)
    stop = threading.Event()
    thread = threading.Thread(target=worker.clock, args=(stop, 0.01), daemon=True)
    thread.start()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(calls) == 3


@pytest.mark.django_db
def test_cases_tick_command_escalates_overdue_cases(world):
    import time_machine

    from .helpers import at

    with time_machine.travel(at("2026-09-24 09:30"), tick=False):
        case = report(world)
    out = StringIO()
    with time_machine.travel(at("2026-09-25 10:00"), tick=False):
        call_command("cases_tick", stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["escalated_community"] == 1
    case.refresh_from_db()
    assert case.level == 1
