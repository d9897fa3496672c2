"""The register import's first pass in parsing processes (large files): the same outcome, row for row, as
in the importing process alone."""

from __future__ import annotations

import os

import pytest

from tongxin.registry import register
from tongxin.registry.models import Person

from .helpers import HEADER, pid, run_import, write


def _rows() -> list[list[str]]:
    rows = [HEADER]
    for i in range(40):
        hh = f"{i // 3 + 1:04d}"
        relation = "户主" if i % 3 == 0 else "子"
        rows.append([hh, f"居民{i}", pid(f"19{50 + i}-01-02", 2 * i + 1), "男", "汉族", "", relation, "1组", "", ""])
    rows[5][1] = ""  # no name
    rows[9][2] = rows[9][2][:-1] + ("0" if rows[9][2][-1] != "0" else "1")  # check digit
    rows[14][4] = "火星族"  # unknown ethnicity
    rows[20][2] = rows[30][2]  # one ID number on two rows: both rejected
    rows[25][8] = "12345"  # unreadable phone: a warning
    return rows


@pytest.mark.parametrize("batch", [1, 7])
def test_parsing_processes_give_the_outcome_of_one_process(world, tmp_path, monkeypatch, batch):
    path = write(tmp_path, "r.csv", _rows())
    alone = run_import(path, "530103002001", "--dry-run")
    monkeypatch.setattr(register.common, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(register.common, "PARSE_BATCH", batch)
    assert register.common._parse_processes(41) == min(len(os.sched_getaffinity(0)), 4)
    parallel = run_import(path, "530103002001", "--dry-run")
    assert parallel.summary == alone.summary
    assert parallel.stderr == alone.stderr
    assert alone.summary["rejected"] == 5 and alone.summary["warnings"] == 1
    written = run_import(path, "530103002001")
    assert written.summary["created"] == 35
    assert Person.objects.filter(community=world.a).count() == 35
    assert register.common._PARSING is None
