"""`make bench` keeps working: a tiny run (`--quick`, 300 rows, CSV) on SQLite, in subprocesses of its own
(databases and files under a temporary directory), with its report written to a temporary file."""

from __future__ import annotations

import os
import re
import subprocess
import sys


def _quick_bench(tmp_path, *args: str, timeout: int = 120) -> tuple[subprocess.CompletedProcess, str]:
    """Run ``python -m tongxin.bench --quick ARGS`` in a clean environment; (the process, its report)."""
    report = tmp_path / "performance.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    command = [sys.executable, "-m", "tongxin.bench", "--quick", *args, "--write", str(report)]
    proc = subprocess.run(
        [*command, "--cache-dir", str(tmp_path / "cache")],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc, report.read_text(encoding="utf-8")


def test_quick_bench_on_sqlite_writes_the_report(tmp_path):
    proc, text = _quick_bench(tmp_path, "--db", "sqlite", "--search-persons", "700")
    assert "<!-- bench:begin rows=300 format=csv db=sqlite -->" in text
    for heading in ("### Measured: 300 rows (CSV), SQLite", "#### SQLite", "#### Targets (SQLite, this run)"):
        assert heading in text
    assert text.strip() and proc.stdout.strip().startswith("### Measured")
    rates = {}
    titles = ("ceiling", "**Tongxin import**", "django-import-export", "Tongxin re-import", "Tongxin import of")
    for title in titles:
        line = next(line for line in text.splitlines() if line.startswith(f"| {title}"))
        rates[title] = float(line.split("|")[4].replace(",", ""))
    assert all(r > 0 for r in rates.values()), rates
    # django-import-export is sampled twice (before and after Tongxin's import); the ratio is against the mean
    again = next(line for line in text.splitlines() if line.startswith("| django-import-export again"))
    assert float(again.split("|")[4].replace(",", "")) > 0
    assert re.search(r"django-import-export's rate\*\* \(the mean of its two samples, [\d,]+ and [\d,]+ rows/s", text)
    assert "300 persons created" in text and "300 unchanged" in text
    assert "30 persons updated (expected 30)" in text
    assert "400 further generated persons were added" in text
    assert "700 of 700 persons visible" in text
    assert re.search(r"p50 [\d.]+ ms, p95 [\d.]+ ms", text)
    assert "40 of 40 queries found their row's person" in text


def test_report_block_is_replaced_not_repeated(tmp_path):
    from tongxin.bench.report import write_doc

    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nintro\n\n<!-- bench:insert -->\n\n## Targets\n", encoding="utf-8")
    run = {"rows": 300, "format": "csv", "results": {"sqlite": {}}}
    write_doc(doc, run, "## Measured: first\n")
    write_doc(doc, run, "## Measured: second\n")
    write_doc(doc, {**run, "rows": 600}, "## Measured: other\n")
    text = doc.read_text(encoding="utf-8")
    assert text.count("<!-- bench:begin rows=300 format=csv db=sqlite -->") == 1
    assert "first" not in text and "second" in text and "other" in text
    assert text.index("second") < text.index("other") < text.index("<!-- bench:insert -->") < text.index("## Targets")


def test_quick_bench_on_postgres_measures_the_write_floor(tmp_path):
    """On PostgreSQL the bench also loads the import's own rows into a copy of the setup database (the write
    floor). Run in the PostgreSQL pass of the suite only (it creates databases of its own)."""
    import pytest

    if not os.environ.get("TONGXIN_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("the PostgreSQL pass of the suite runs it")
    _proc, text = _quick_bench(
        tmp_path, "--db", "postgres", "--pg-url", "postgres://postgres@127.0.0.1:5432/tongxin_bench_smoke", timeout=180
    )
    line = next(line for line in text.splitlines() if line.startswith("| write floor"))
    assert float(line.split("|")[4].replace(",", "")) > 0
    assert "of the write floor**" in text and "(restated) import ≥ 50 % of the write floor" in text
