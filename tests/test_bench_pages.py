"""`python -m tongxin.bench pages` (page latency at county scale, served by gunicorn): its report, and a tiny run
on PostgreSQL (3,000 persons, 6 communities) in the PostgreSQL pass of the suite."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from tongxin.bench import pages


def row(name: str, kind: str, p95: float, status: tuple[int, ...] = (200,)) -> dict:
    return {"name": name, "user": "bench_director", "kind": kind, "p50": p95 / 2, "p95": p95, "max": p95,
            "bytes": 2048, "status": list(status)}  # fmt: skip


def a_run(rows: list[dict]) -> dict:
    return {
        "date": "2026-12-08",
        "machine": {"cpu": "CPU", "cores": 2, "ram": 8 * 2**30},
        "code": {"commit": "abc", "dirty": "no", "digest": "d"},
        "command": "python -m tongxin.bench pages",
        "pg_version": "15",
        "gunicorn": "23",
        "workers": 2,
        "redis": True,
        "loads": 20,
        "load": [0.5, 1.0],
        "data": {"persons": 1000, "street_persons": 500, "community_persons": 100, "communities": 3, "cases": 9},
        "reused": True,
        "build_seconds": 0.0,
        "rows": rows,
    }


def test_each_row_is_judged_against_its_own_target():
    text = pages.render(
        a_run(
            [
                row("person list", "page", 149.0),
                row("search: name", "search", 60.0),
                row("indicators, cold", "cold", 900.0),
                row("indicators, cached", "cached", 100.0),
                row("case page", "page", 10.0, status=(500,)),
            ]
        )
    )
    verdicts = {line.split("|")[1].strip(): line.split("|")[-2].strip() for line in text.splitlines() if "|" in line}
    assert verdicts["person list"] == "pass (< 150)"
    assert verdicts["search: name"] == "**fail** (< 50)"
    assert verdicts["indicators, cold"] == "pass (< 1,000)"
    assert verdicts["indicators, cached"] == "**fail** (< 100)"
    assert verdicts["case page"] == "**fail** (< 150)"  # fast, but not a page
    assert "2 of 5 rows with a target meet it." in text


def test_the_block_is_replaced_and_the_import_blocks_kept(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nintro\n\n## Results\n\n<!-- bench:begin rows=1 -->\nimport\n", encoding="utf-8")
    pages.write_doc(doc, pages.render(a_run([row("first", "page", 1.0)])))
    pages.write_doc(doc, pages.render(a_run([row("second", "page", 1.0)])))
    text = doc.read_text(encoding="utf-8")
    assert text.count(pages.BEGIN) == 1 and "| first |" not in text and "| second |" in text
    assert text.index("## Results") < text.index(pages.BEGIN) < text.index("<!-- bench:begin rows=1 -->")


def test_percentiles_are_nearest_rank():
    values = [float(v) for v in range(1, 21)]
    assert pages.percentile(values, 50) == 10.0 and pages.percentile(values, 95) == 19.0


def test_the_bench_refuses_a_database_not_named_bench(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "tongxin.bench", "pages", "--pg-url", "postgres://x@127.0.0.1:1/tongxin", "--quick"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")},
    )
    assert proc.returncode != 0 and "refusing to use database 'tongxin'" in proc.stderr


def test_quick_pages_bench_on_postgres(tmp_path):
    """A tiny county served by gunicorn: every page answers 200 as its user and the report has every row."""
    pytest.importorskip("gunicorn")
    if not os.environ.get("TONGXIN_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the PostgreSQL pass of the suite runs it")
    report = tmp_path / "performance.md"
    url = "postgres://postgres@127.0.0.1:5432/tongxin_bench_pages_smoke"
    command = [sys.executable, "-m", "tongxin.bench", "pages", "--quick", "--pg-url", url, "--write", str(report)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    proc = subprocess.run(
        [*command, "--cache-dir", str(tmp_path)], env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = report.read_text(encoding="utf-8")
    assert "### Measured: pages at 3,000 persons, 6 communities (PostgreSQL)" in text
    rows = [line for line in text.splitlines() if re.match(r"\| (home|person|search|case|export|indicators)", line)]
    assert len(rows) >= 20
    assert all(line.split("|")[7].strip() == "200" for line in rows), rows
