"""``make bench`` (``python -m tongxin.bench``): the register import measured against its alternatives.

For an N-person generated register (default 100,000; ``--rows 1000000``), on SQLite and/or PostgreSQL,
on the same file and a fresh database each:

* the **ceiling**: read the file with the import's own reader and load the raw rows into a plain table
  (PostgreSQL ``COPY``; SQLite ``executemany`` in one transaction);
* **Tongxin's import** (read + validate + upsert + households + memberships + change log), first into
  an empty community;
* **django-import-export** with default settings importing the same rows into ``Person``, on a sample
  (``--iexport-rows``, default min(N, 5000)) into a clone of the empty database, once before Tongxin's
  import and once after it (the ratio is taken against the mean of the two rates);
* the **re-import** of the unchanged file and of a copy with every 10th row changed;
* **search latency** (p50/p95) over a fixed query mix for a district-scope user, after seeding the
  district up to ``--search-persons`` persons.

``python -m tongxin.bench pages`` measures the pages instead (see ``bench/pages.py``).

Every measurement runs in a subprocess of its own (its own peak RSS); the files are generated once and
cached under ``var/bench/``. The report goes to stdout and into ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tongxin.bench import files, report

ROOT = Path(__file__).resolve().parents[3]  # the checkout (src/tongxin/bench/__init__.py)
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench"
DATA_KEY = "tongxin-bench-synthetic-data-only"  # the bench's data is generated, never real


def _log(message: str) -> None:
    print(f"[bench {datetime.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


# --- databases --------------------------------------------------------------------------------------------


class Sqlite:
    """SQLite database files under a directory, named like PostgreSQL databases."""

    kind = "sqlite"

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.sqlite3"

    def url(self, name: str) -> str:
        return f"sqlite:///{self.path(name)}"

    def create(self, name: str) -> None:
        self.drop(name)  # migrate creates the file

    def clone(self, source: str, target: str) -> None:
        self.drop(target)
        with sqlite3.connect(self.path(source)) as src, sqlite3.connect(self.path(target)) as dst:
            src.backup(dst)
        dst.close()
        src.close()

    def drop(self, name: str) -> None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path(name)}{suffix}").unlink(missing_ok=True)

    def version(self) -> str:
        return sqlite3.sqlite_version

    def settle(self) -> float:
        """Nothing runs in the background of SQLite: 0 seconds waited."""
        return 0.0

    def names(self) -> tuple[str, str]:
        return "tongxin_bench", "tongxin_bench_iex"


class Postgres:
    """Throwaway PostgreSQL databases on the server of ``url`` (whose database name must contain "bench")."""

    kind = "postgres"

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.parts = parts
        self.base = parts.path.lstrip("/") or "tongxin_bench"
        if "bench" not in self.base:
            raise SystemExit(f"refusing to use database {self.base!r}: the bench drops it; name it *bench*")

    def url(self, name: str) -> str:
        return urlunsplit(self.parts._replace(path=f"/{name}"))

    def _admin(self):
        import psycopg

        return psycopg.connect(self.url("postgres"), autocommit=True)

    def _execute(self, *statements) -> None:
        with self._admin() as conn:
            for statement in statements:
                conn.execute(statement)

    def create(self, name: str) -> None:
        from psycopg import sql

        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)),
            sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)),
        )

    def clone(self, source: str, target: str) -> None:
        from psycopg import sql

        self._execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target)),
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(target), sql.Identifier(source)),
        )

    def drop(self, name: str) -> None:
        from psycopg import sql

        self._execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))

    SETTLE_TIMEOUT = 600.0  # seconds to wait for the server's background work at most

    def settle(self) -> float:
        """Wait until the server's background work after a large write is done, so that the next phase is not
        measured against it: a checkpoint (the dirty buffers and the WAL a large import leaves behind), then no
        autovacuum worker running (a freshly filled table is vacuumed and analysed). The seconds waited."""
        import psycopg

        t0 = time.perf_counter()
        with self._admin() as conn:
            with contextlib.suppress(psycopg.Error):  # CHECKPOINT needs a superuser (or pg_checkpoint)
                conn.execute("CHECKPOINT")
            while time.perf_counter() - t0 < self.SETTLE_TIMEOUT:
                busy = conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'"
                ).fetchone()[0]
                if not busy:
                    break
                time.sleep(1)
        return time.perf_counter() - t0

    def version(self) -> str:
        import psycopg

        try:
            with self._admin() as conn:
                return conn.execute("SHOW server_version").fetchone()[0].split()[0]
        except psycopg.OperationalError as exc:
            raise SystemExit(f"bench: cannot reach PostgreSQL at {self.url('postgres')}: {exc}") from exc

    def names(self) -> tuple[str, str]:
        return self.base, f"{self.base}_iex"


# --- the run ----------------------------------------------------------------------------------------------


def code_version() -> dict[str, str]:
    """The code measured: the git commit, whether the tree has changes, and a digest of the Python
    sources (other than the bench) so that two runs of the same code can be recognised."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted((ROOT / "src" / "tongxin").rglob("*.py")):
        if "bench" not in path.relative_to(ROOT / "src" / "tongxin").parts:
            digest.update(path.read_bytes())

    def git(*args: str) -> str:
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30, check=False)
        except OSError:
            return ""
        return out.stdout.strip() if out.returncode == 0 else ""

    changes = git("status", "--porcelain", "--", "src")
    return {
        "commit": git("rev-parse", "--short=10", "HEAD") or "unknown",
        "dirty": "yes" if changes else "no",
        "digest": digest.hexdigest()[:12],
    }


def _warm(path: Path) -> None:
    """Read a file once so that every measurement starts with it in the page cache."""
    with path.open("rb") as fh:
        while fh.read(1 << 22):
            pass


class Bench:
    def __init__(self, opts: argparse.Namespace, command: str):
        self.opts = opts
        self.command = command
        self.cache = Path(opts.cache_dir).resolve()
        self.tmp = Path(tempfile.mkdtemp(prefix="tongxin-bench-"))

    def env(self, url: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="tongxin.settings",
            TONGXIN_DATABASE_URL=url,
            TONGXIN_DATA_DIR=str(self.cache / "data"),
            TONGXIN_DATA_KEY=DATA_KEY,
            TONGXIN_SECRET_KEY=DATA_KEY + "-secret",
            TONGXIN_LOG_LEVEL="WARNING",
            TONGXIN_DB_CONN_MAX_AGE="0",
        )
        return env

    def work(self, db, name: str, phase: str, args: dict[str, Any]) -> dict[str, Any]:
        """Run one phase in a fresh subprocess against database ``name``; its result."""
        result = self.tmp / f"{db.kind}-{phase}-{time.monotonic_ns()}.json"
        cmd = [
            sys.executable,
            "-m",
            "tongxin.bench",
            "--worker",
            phase,
            "--args",
            json.dumps(args),
            "--result",
            str(result),
        ]
        t0 = time.perf_counter()
        loads: list[float] = []
        with tempfile.TemporaryFile("w+") as log:
            proc = subprocess.Popen(cmd, env=self.env(db.url(name)), stdout=log, stderr=subprocess.STDOUT, text=True)
            while proc.poll() is None:  # the machine's load while the phase runs: other work skews the figures
                loads.append(os.getloadavg()[0])
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=2)
            if proc.returncode != 0 or not result.exists():
                log.seek(0)
                sys.stderr.write(log.read()[-12000:])
                raise SystemExit(f"bench: the {phase} phase failed on {db.kind} (exit {proc.returncode})")
        out = json.loads(result.read_text(encoding="utf-8"))
        result.unlink()
        wall = time.perf_counter() - t0
        out["load_mean"] = sum(loads) / len(loads) if loads else 0.0
        out["load_max"] = max(loads, default=0.0)
        shown = f"{out['rows'] / out['seconds']:,.0f} rows/s, " if out.get("rows") and out.get("seconds") else ""
        _log(f"{db.kind}: {phase} done in {wall:,.1f} s ({shown}peak RSS {out['peak_rss'] / 1e6:,.0f} MB)")
        return out

    def database(self, db, register: Path, changed: Path, queries: Path) -> dict[str, Any]:
        opts = self.opts
        main, iex = db.names()
        floor_db = f"{main}_floor"
        res: dict[str, Any] = {}
        try:
            _log(f"{db.kind}: creating a fresh database and migrating")
            db.create(main)
            res["setup"] = self.work(db, main, "setup", {})
            db.clone(main, iex)
            db.clone(main, f"{iex}2")  # django-import-export's second sample, after Tongxin's import
            if db.kind == "postgres":
                db.clone(main, floor_db)
            _warm(register)
            res["ceiling"] = self.work(db, main, "ceiling", {"path": str(register)})
            db.settle()  # each measured write starts on a quiet server (see below)
            res["iexport"] = self.work(db, iex, "iexport", {"path": str(register), "rows": opts.iexport_rows})
            db.drop(iex)
            _warm(register)
            db.settle()
            res["import"] = self.work(db, main, "import", {"path": str(register)})
            # django-import-export again, on a fresh copy of the empty database: its per-row rate follows the
            # machine's latency more than anything else measured here, so it is sampled before and after; not
            # while the server still writes out what the import left (its per-row commits would pay for it)
            res["settled_seconds"] = db.settle()
            _log(f"{db.kind}: the server settled in {res['settled_seconds']:,.1f} s")
            res["iexport_after"] = self.work(
                db, f"{iex}2", "iexport", {"path": str(register), "rows": opts.iexport_rows}
            )
            db.drop(f"{iex}2")
            if db.kind == "postgres":  # the write floor: the import's own rows loaded into the setup's copy
                dump_dir = Path(tempfile.mkdtemp(prefix="floor-", dir=self.tmp))
                args = {"dir": str(dump_dir), "max_division_id": res["setup"].get("max_division_id")}
                res["dump"] = self.work(db, main, "dump", args)
                res["floor"] = self.work(db, floor_db, "floor", args)
                db.drop(floor_db)
                shutil.rmtree(dump_dir, ignore_errors=True)
            res["unchanged"] = self.work(db, main, "import", {"path": str(register)})
            _warm(changed)
            res["changed"] = self.work(db, main, "import", {"path": str(changed)})
            if opts.search_persons > opts.rows:
                res["seed"] = self.work(db, main, "seed", {"persons": opts.search_persons})
            res["search"] = self.work(db, main, "search", {"queries": str(queries)})
        finally:
            if not opts.keep:
                db.drop(main)
                db.drop(iex)
                db.drop(f"{iex}2")
                if db.kind == "postgres":
                    db.drop(floor_db)
        for key in ("import", "unchanged", "changed"):
            if res[key]["summary"]["rejected"]:
                _log(f"{db.kind}: {key}: {res[key]['summary']['rejected']} rows rejected: {res[key]['first_problems']}")
        return res

    def run(self) -> dict[str, Any]:
        opts = self.opts
        started = time.perf_counter()
        date = datetime.datetime.now().astimezone()
        load_before = os.getloadavg()
        code = code_version()
        kinds = ["sqlite", "postgres"] if opts.db == "both" else [opts.db]
        dbs = {kind: Sqlite(self.cache / "sqlite") if kind == "sqlite" else Postgres(opts.pg_url) for kind in kinds}
        versions = {kind: db.version() for kind, db in dbs.items()}  # fails early when a server is unreachable
        _log(f"register of {opts.rows:,} rows as {opts.format.upper()} (cached under {self.cache})")
        register, generated = files.register_file(self.cache, opts.rows, opts.format)
        changed, _generated = files.register_file(self.cache, opts.rows, opts.format, changed=True)
        mix = files.query_mix(self.cache, opts.rows, opts.queries)
        queries = self.tmp / "queries.json"
        queries.write_text(json.dumps(mix, ensure_ascii=False), encoding="utf-8")
        results = {kind: self.database(db, register, changed, queries) for kind, db in dbs.items()}
        run = {
            "date": date.strftime("%Y-%m-%d %H:%M ") + (date.tzname() or date.strftime("UTC%z")),
            "command": self.command,
            "rows": opts.rows,
            "format": opts.format,
            "options": {k: v for k, v in vars(opts).items() if k not in ("worker", "args", "result")},
            "file": {
                "name": str(register.relative_to(ROOT)) if register.is_relative_to(ROOT) else register.name,
                "size": register.stat().st_size,
                "generated_seconds": generated,
            },
            "machine": report.machine(),
            "versions": versions,
            "results": results,
            "seconds": time.perf_counter() - started,
            "load": [load_before, os.getloadavg()],
            "code": code,
        }
        (self.cache / f"results-{opts.rows}-{opts.format}-{'-'.join(kinds)}.json").write_text(
            json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8"
        )
        return run


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tongxin.bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, help="persons in the register (default 100000; 300 with --quick)")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both", help="default: both")
    p.add_argument("--format", choices=["xlsx", "csv"], help="register file format (default xlsx; csv with --quick)")
    p.add_argument("--search-persons", type=int, help="persons in the district when searching (default: --rows)")
    p.add_argument("--iexport-rows", type=int, help="django-import-export sample size (default min(rows, 5000))")
    p.add_argument("--queries", type=int, help="search queries in the mix (default 200; 40 with --quick)")
    p.add_argument("--write", help="report file to update (default docs/performance.md; '-' for none)")
    p.add_argument("--cache-dir", default=str(ROOT / "var" / "bench"), help="generated files (default var/bench)")
    p.add_argument("--pg-url", default=os.environ.get("TONGXIN_BENCH_PG_URL", DEFAULT_PG_URL))
    p.add_argument("--keep", action="store_true", help="keep the benchmark databases afterwards")
    p.add_argument("--quick", action="store_true", help="a tiny run (smoke test): 300 rows, CSV, small samples")
    p.add_argument("--from-results", help="only render (and --write) the report of a saved results-*.json")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--args", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["pages"]:  # page and API latency at county scale (bench/pages.py)
        from tongxin.bench import pages

        return pages.main(argv[1:])
    opts = parser().parse_args(argv)
    if opts.worker:
        from tongxin.bench import phases

        phases.worker(opts.worker, json.loads(opts.args or "{}"), Path(opts.result))
        return 0
    if opts.from_results:
        run = json.loads(Path(opts.from_results).read_text(encoding="utf-8"))
        return _publish(run, opts)
    opts.rows = opts.rows or (300 if opts.quick else 100_000)
    opts.format = opts.format or ("csv" if opts.quick else "xlsx")
    opts.iexport_rows = min(opts.rows, opts.iexport_rows or (50 if opts.quick else 5000))
    opts.queries = opts.queries or (40 if opts.quick else 200)
    opts.search_persons = opts.search_persons or opts.rows
    command = shlex.join(["python", "-m", "tongxin.bench", *argv])
    bench = Bench(opts, command)
    try:
        run = bench.run()
    finally:
        shutil.rmtree(bench.tmp, ignore_errors=True)
    return _publish(run, opts)


def _publish(run: dict[str, Any], opts: argparse.Namespace) -> int:
    """Print the report and put it into the document."""
    block = report.render(run)
    print(block)
    if opts.write != "-":
        target = Path(opts.write) if opts.write else ROOT / "docs" / "performance.md"
        report.write_doc(target, run, block)
        _log(f"report written to {target}")
    return 0
