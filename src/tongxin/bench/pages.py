"""``python -m tongxin.bench pages``: page and API latency at county scale, served as in production.

One county (隆阳区) with about 300 communities, 1,000,000 persons in households and twelve months of cases is
built once on PostgreSQL (``pagedata``: bulk inserts; reused while its size matches), then served by gunicorn
(2 sync workers, persistent connections: one per worker, so the pool can never be exhausted) with a Redis cache
of its own, and every page is loaded ``--loads`` times (after one untimed load) by a ``requests.Session``
logged in through the login page as the user who would open it: a community director, a street official, a
county official and a grid member. p50/p95 per page go to stdout and into ``docs/performance.md``.

The indicators API is measured cold (the Redis database flushed before each load, which also drops the cache's
version counters) and cached. Personal lookups (search by ID number or phone) are logged as always, but the
bench raises the per-user limit (``TONGXIN_LOOKUP_LIMIT``) so that its repeated searches are not refused.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import math
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tongxin.bench import DATA_KEY, ROOT, Postgres, _log, code_version, report

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tongxin_bench_pages"
BEGIN = "<!-- bench-pages:begin -->"
END = "<!-- bench-pages:end -->"
CONN_MAX_AGE = 600  # seconds; gunicorn's sync workers serve one request at a time: one connection per worker
TARGETS = {"page": 150.0, "search": 50.0, "cold": 1000.0, "cached": 100.0}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env(url: str, cache_dir: Path, redis_url: str = "") -> dict[str, str]:
    """The environment of the bench's Django processes (builder, planner, gunicorn)."""
    out = {k: v for k, v in os.environ.items() if not k.startswith("TONGXIN_")}
    out.update(
        DJANGO_SETTINGS_MODULE="tongxin.settings",
        TONGXIN_DATABASE_URL=url,
        TONGXIN_DATA_DIR=str(cache_dir / "pages-data"),
        TONGXIN_DATA_KEY=DATA_KEY,
        TONGXIN_SECRET_KEY=DATA_KEY + "-secret",
        TONGXIN_LOG_LEVEL="WARNING",
        TONGXIN_DB_CONN_MAX_AGE=str(CONN_MAX_AGE),
        TONGXIN_LOOKUP_LIMIT="1000000",
        TONGXIN_LOOKUP_IP_LIMIT="1000000",
    )
    if redis_url:
        out["TONGXIN_REDIS_URL"] = redis_url
    return out


def _django_worker(phase: str, args: dict[str, Any], environ: dict[str, str], tmp: Path) -> dict[str, Any]:
    """Run ``phase`` of this module in a Django subprocess; its JSON result."""
    result = tmp / f"{phase}.json"
    cmd = [sys.executable, "-m", "tongxin.bench", "pages", "--worker", phase, "--args", json.dumps(args)]
    proc = subprocess.run([*cmd, "--result", str(result)], env=environ, check=False)
    if proc.returncode != 0 or not result.exists():
        raise SystemExit(f"bench pages: the {phase} step failed (exit {proc.returncode})")
    return json.loads(result.read_text(encoding="utf-8"))


# --- inside Django ------------------------------------------------------------------------------------------


def plan(args: dict[str, Any]) -> dict[str, Any]:
    """The URLs to load, as each user: list pages, searches taken from real persons, a person, a case, the
    indicators of the county, the director's export."""
    from django.urls import reverse

    from tongxin.bench import pagedata
    from tongxin.cases.models import Case
    from tongxin.core.models import User
    from tongxin.org.models import Division
    from tongxin.registry.models import Person

    director = User.objects.get(username="bench_director")
    grant = director.role_assignments.select_related("division").get()
    community = grant.division
    street = community.parent
    persons = Person.objects.filter(community=community).order_by("pk")
    person = persons[len(persons) // 2] if persons.exists() else None
    with_phone = persons.exclude(phone_tail="").first()
    grid = community.grids.order_by("code").first()
    case = Case.objects.filter(community=community).order_by("-reported_at").first()
    persons_url = reverse("registry:person_list")
    cases_url = reverse("cases:case_list")
    in_street = Person.objects.filter(community__parent=street).count()
    in_county = Person.objects.count()
    per_page = 50
    county = Division.objects.get(code=pagedata.COUNTY)
    urls: list[dict[str, Any]] = []

    def add(name: str, user: str, url: str, kind: str = "page", **extra: Any) -> None:
        urls.append({"name": name, "user": user, "url": url, "kind": kind, **extra})

    add("home (director's dashboard)", "bench_director", "/")
    add("person list, page 1", "bench_director", persons_url)
    deep = max(1, math.ceil(persons.count() / per_page) - 1)
    add(f"person list, page {deep:,} of the community", "bench_director", f"{persons_url}?page={deep}")
    add(
        "person list, filtered (grid, sex, age band)",
        "bench_director",
        f"{persons_url}?grid={grid.pk}&sex=2&age_band=60-64",
    )
    if person is not None:
        add("person page", "bench_director", reverse("registry:person_detail", args=[person.pk]))
    add("case list", "bench_director", cases_url)
    if case is not None:
        add("case page", "bench_director", reverse("cases:case_detail", args=[case.pk]))
    add("export of the community (XLSX)", "bench_director", f"{persons_url}?export=xlsx", kind="export")
    add("home (street official's dashboard)", "bench_street", "/")
    add("person list, page 1 (street)", "bench_street", persons_url)
    deep = max(1, min(500, math.ceil(in_street / per_page) - 1))
    add(f"person list, page {deep:,} (street)", "bench_street", f"{persons_url}?page={deep}")
    add("case list (street)", "bench_street", cases_url)
    add("person list, page 1 (county)", "bench_county", persons_url)
    deep = max(1, min(10000, math.ceil(in_county / per_page) // 2))
    add(f"person list, page {deep:,} (county)", "bench_county", f"{persons_url}?page={deep}")
    add(
        "person list, filtered (community, party members)",
        "bench_county",
        f"{persons_url}?community={community.pk}&party_member=true",
    )
    add("person list, page 1 (grid member)", "bench_grid", persons_url)
    add("case list (grid member)", "bench_grid", cases_url)
    if person is not None:
        full, tail = person.id_number, person.id_number[-6:]
        searches = {
            "name": person.name,
            "name initials": "".join(k for k in person.name_keys.values_list("key", flat=True)[:1]) or person.name,
            "ID number": full,
            "ID number, last 6": tail,
            "phone": (with_phone.phone if with_phone else ""),
            # from the community's name to the building or number (王官社区翠园小区5栋): what a worker types
            "address": person.current_address.partition(street.name)[2].split("单元")[0],
            "household number": person.household.number if person.household_id else "",
        }
        from urllib.parse import quote

        for kind, q in searches.items():
            if q:  # the list page, as people search, and the API (the same search without the page around it)
                add(f"search: {kind}", "bench_county", f"{persons_url}?q={quote(q)}", kind="search")
                add(f"search API: {kind}", "bench_county", f"/api/v1/registry/persons/?q={quote(q)}", kind="search")
    add("indicators API, county, cold", "bench_county", f"/api/v1/indicators/?division={county.code}", kind="cold")
    add("indicators API, county, cached", "bench_county", f"/api/v1/indicators/?division={county.code}", kind="cached")
    return {
        "urls": urls,
        "persons": in_county,
        "street_persons": in_street,
        "community_persons": persons.count(),
        "communities": Division.objects.filter(level=Division.Level.COMMUNITY).count(),
        "cases": Case.objects.count(),
    }


def migrate(args: dict[str, Any]) -> dict[str, Any]:
    """Bring a reused database up to the code's migrations (other modules add tables between runs)."""
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    return {"seconds": time.perf_counter() - t0}


PHASES = {"plan": plan, "migrate": migrate}


def worker(phase: str, args: dict[str, Any], result: Path) -> None:
    """Run one phase under Django and write its result."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
    import django

    django.setup()
    from tongxin.bench import pagedata

    run = pagedata.build if phase == "build" else PHASES[phase]
    result.write_text(json.dumps(run(args), ensure_ascii=False), encoding="utf-8")


# --- the servers ----------------------------------------------------------------------------------------------


class Servers:
    """A private Redis (when ``redis-server`` is installed) and gunicorn serving the bench database."""

    def __init__(self, url: str, cache_dir: Path, workers: int) -> None:
        self.url, self.cache_dir, self.workers = url, cache_dir, workers
        self.procs: list[subprocess.Popen] = []
        self.redis_url = ""
        self.base = ""

    def __enter__(self) -> Servers:
        redis = shutil.which("redis-server")
        if redis:
            port = _free_port()
            self.procs.append(
                subprocess.Popen(
                    [redis, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                    stdout=subprocess.DEVNULL,
                )
            )
            self.redis_url = f"redis://127.0.0.1:{port}/0"
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "tongxin.wsgi:application",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout",
            "300",
            "--max-requests",
            "0",
        ]
        self.log = (self.cache_dir / "gunicorn.log").open("w")
        environ = env(self.url, self.cache_dir, self.redis_url)
        self.procs.append(subprocess.Popen(cmd, env=environ, stdout=self.log, stderr=subprocess.STDOUT))
        import requests

        for _ in range(300):
            with contextlib.suppress(requests.RequestException):
                if requests.get(f"{self.base}/healthz", timeout=5).status_code < 500:
                    return self
            time.sleep(0.2)
        self.__exit__()
        raise SystemExit(f"bench pages: gunicorn did not start (see {self.cache_dir / 'gunicorn.log'})")

    def flush_cache(self) -> bool:
        """Empty the shared cache (the indicators' results and version counters); False without Redis."""
        if not self.redis_url:
            return False
        import redis

        redis.Redis.from_url(self.redis_url).flushdb()
        return True

    def __exit__(self, *exc: Any) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=20)
            if proc.poll() is None:
                proc.kill()
        self.procs.clear()


def login(base: str, username: str, password: str) -> Any:
    """A session logged in through the login page (its CSRF token)."""
    import requests

    session = requests.Session()
    page = session.get(f"{base}/login/", timeout=60)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    data = {"username": username, "password": password, "csrfmiddlewaretoken": token.group(1) if token else ""}
    done = session.post(f"{base}/login/", data=data, headers={"Referer": f"{base}/login/"}, timeout=60)
    if done.url.rstrip("/").endswith("/login") or "sessionid" not in session.cookies:
        raise SystemExit(f"bench pages: could not log in as {username} (HTTP {done.status_code})")
    return session


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def measure(servers: Servers, target: dict[str, Any], session: Any, loads: int, cold_loads: int) -> dict[str, Any]:
    """Load the target once untimed (cold kinds: not at all), then ``loads`` times (cold: ``cold_loads``, each
    after emptying the cache); its timings in ms."""
    url = servers.base + target["url"]
    cold = target["kind"] == "cold"
    if cold and not servers.flush_cache():
        return {**target, "skipped": "no shared cache to empty (redis-server not installed)"}
    if not cold:
        session.get(url, timeout=300)
    times, sizes, status = [], [], set()
    for _ in range(min(loads, cold_loads) if cold else loads):
        if cold:
            servers.flush_cache()
        t0 = time.perf_counter()
        response = session.get(url, timeout=300)
        times.append((time.perf_counter() - t0) * 1000)
        sizes.append(len(response.content))
        status.add(response.status_code)
    return {
        **target,
        "loads": len(times),
        "p50": percentile(times, 50),
        "p95": percentile(times, 95),
        "max": max(times),
        "bytes": max(sizes),
        "status": sorted(status),
    }


# --- the report -----------------------------------------------------------------------------------------------


def verdict(row: dict[str, Any]) -> str:
    """Pass or fail of one row against the issue's target for its kind."""
    if "p95" not in row:
        return "—"
    if row["kind"] == "export":
        return "none (a download)" if row["status"] == [200] else "**fail** (HTTP)"
    limit = TARGETS[row["kind"]] if row["kind"] in TARGETS else TARGETS["page"]
    ok = row["p95"] < limit and row["status"] == [200]
    return f"{'pass' if ok else '**fail**'} (< {limit:,.0f})"


def render(run: dict[str, Any]) -> str:
    """The Markdown block of a run."""
    m, code, data = run["machine"], run["code"], run["data"]
    lines = [
        BEGIN,
        f"### Measured: pages at {data['persons']:,} persons, {data['communities']} communities (PostgreSQL)",
        "",
        f"{run['date']} · {m.get('cpu', '?')}, {m.get('cores', '?')} cores, {m.get('ram', 0) / 2**30:,.0f} GB · "
        f"PostgreSQL {run['pg_version']} · commit `{code['commit']}`"
        f"{' (uncommitted changes)' if code['dirty'] == 'yes' else ''} · code digest `{code['digest']}`",
        "",
        f"Command: `{run['command']}`. gunicorn {run['gunicorn']}, {run['workers']} sync workers, "
        f"`CONN_MAX_AGE={CONN_MAX_AGE}`; cache: {'Redis' if run['redis'] else 'local memory (no cold figure)'}. "
        f"{run['loads']} timed loads per row after one untimed load (cold rows: {run.get('cold_loads', run['loads'])}, "
        "each after emptying the cache), from a `requests.Session` on the same host "
        f"(load average {run['load'][0]:.1f} before, {run['load'][1]:.1f} after). Data: {data['persons']:,} "
        f"persons ({data['street_persons']:,} in the street official's street, {data['community_persons']:,} in the "
        f"director's community), {data['cases']:,} cases; built in {run['build_seconds']:,.0f} s"
        f"{' (reused)' if run['reused'] else ''}.",
        "",
        "| page | as | p50 ms | p95 ms | max ms | KB | HTTP | target p95 ms |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for row in run["rows"]:
        who = row["user"].removeprefix("bench_")
        if "p95" not in row:
            lines.append(f"| {row['name']} | {who} | — | — | — | — | — | skipped: {row['skipped']} |")
            continue
        lines.append(
            f"| {row['name']} | {who} | {row['p50']:,.1f} | {row['p95']:,.1f} | {row['max']:,.1f} | "
            f"{row['bytes'] / 1024:,.0f} | {','.join(map(str, row['status']))} | {verdict(row)} |"
        )
    judged = [r for r in run["rows"] if "p95" in r and r["kind"] != "export"]
    met = [r for r in judged if verdict(r).startswith("pass")]
    lines += ["", f"{len(met)} of {len(judged)} rows with a target meet it.", END]
    return "\n".join(lines)


def write_doc(path: Path, block: str) -> None:
    """Replace the page bench's block in ``path`` (or insert it before "## Results")."""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n"
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1]
    elif "\n## Results\n" in text:
        head, tail = text.split("\n## Results\n", 1)
        text = f"{head}\n## Results\n\n{block}\n{tail}"
    else:
        text = f"{text.rstrip()}\n\n{block}\n"
    path.write_text(text, encoding="utf-8")


# --- the run --------------------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tongxin.bench pages", description=__doc__.split("\n\n")[0])
    p.add_argument("--persons", type=int, help="persons in the county (default 1000000; 3000 with --quick)")
    p.add_argument("--communities", type=int, help="communities (default 300; 6 with --quick; at most 352)")
    p.add_argument("--loads", type=int, help="timed loads per page (default 20; 3 with --quick)")
    p.add_argument("--cold-loads", type=int, default=5, help="timed cold loads of the indicators (default 5)")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    p.add_argument("--pg-url", default=os.environ.get("TONGXIN_BENCH_PAGES_URL", DEFAULT_URL))
    p.add_argument("--rebuild", action="store_true", help="build the database again even when its size matches")
    p.add_argument("--only", help="measure only the rows whose name contains this text")
    p.add_argument("--write", help="report file to update (default docs/performance.md; '-' for none)")
    p.add_argument("--cache-dir", default=str(ROOT / "var" / "bench"), help="server logs, results (var/bench)")
    p.add_argument("--quick", action="store_true", help="a tiny run (smoke test)")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--args", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    return p


def _database(db: Postgres, name: str, opts: argparse.Namespace, environ: dict, tmp: Path) -> tuple[bool, float]:
    """Reuse the bench database when it holds what was asked, else build it; (reused, seconds to build)."""
    import psycopg

    from tongxin.bench import pagedata

    with contextlib.suppress(psycopg.OperationalError), psycopg.connect(db.url(name)) as conn:
        have = pagedata.built(conn)
        wanted = {"persons": opts.persons, "communities": opts.communities, "version": pagedata.META_VERSION}
        if have == wanted and not opts.rebuild:
            _log(f"reusing {name} ({opts.persons:,} persons, {opts.communities} communities); migrating")
            _django_worker("migrate", {}, environ, tmp)
            return True, 0.0
    _log(f"building {name}: {opts.persons:,} persons in {opts.communities} communities")
    db.create(name)
    t0 = time.perf_counter()
    out = _django_worker("build", {"persons": opts.persons, "communities": opts.communities}, environ, tmp)
    _log(f"built in {time.perf_counter() - t0:,.0f} s: {json.dumps(out, ensure_ascii=False)}")
    db.settle()
    return False, time.perf_counter() - t0


def main(argv: list[str]) -> int:
    """``python -m tongxin.bench pages ARGS``: build or reuse the database, serve it, measure, report."""
    opts = parser().parse_args(argv)
    if opts.worker:
        worker(opts.worker, json.loads(opts.args or "{}"), Path(opts.result))
        return 0
    try:
        import gunicorn
        import requests  # noqa: F401
    except ImportError as exc:
        raise SystemExit(f"bench pages needs the bench extra: pip install -e '.[bench]' ({exc})") from exc
    opts.persons = opts.persons or (3000 if opts.quick else 1_000_000)
    opts.communities = min(352, opts.communities or (6 if opts.quick else 300))
    opts.loads = opts.loads or (3 if opts.quick else 20)
    cache_dir = Path(opts.cache_dir).resolve()
    cache_dir.mkdir(parents=True, exist_ok=True)
    db = Postgres(opts.pg_url)
    name = db.base
    pg_version = db.version()
    started_load = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="tongxin-bench-pages-"))
    try:
        reused, build_seconds = _database(db, name, opts, env(db.url(name), cache_dir), tmp)
        data = _django_worker("plan", {}, env(db.url(name), cache_dir), tmp)
        rows = []
        with Servers(db.url(name), cache_dir, opts.workers) as servers:
            sessions: dict[str, Any] = {}
            from tongxin.bench import pagedata

            for target in data["urls"]:
                if opts.only and opts.only not in target["name"]:
                    continue
                user = target["user"]
                if user not in sessions:
                    sessions[user] = login(servers.base, user, pagedata.PASSWORD)
                row = measure(servers, target, sessions[user], opts.loads, opts.cold_loads)
                shown = f"p50 {row['p50']:,.1f} ms, p95 {row['p95']:,.1f} ms" if "p95" in row else row["skipped"]
                _log(f"{target['name']} ({user}): {shown}")
                rows.append(row)
            redis = bool(servers.redis_url)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    run = {
        "date": datetime.date.today().isoformat(),
        "machine": report.machine(),
        "code": code_version(),
        "command": shlex.join(["python", "-m", "tongxin.bench", "pages", *argv]),
        "pg_version": pg_version,
        "gunicorn": gunicorn.__version__,
        "workers": opts.workers,
        "redis": redis,
        "loads": opts.loads,
        "cold_loads": min(opts.loads, opts.cold_loads),
        "load": [started_load, os.getloadavg()[0]],
        "data": {k: v for k, v in data.items() if k != "urls"},
        "reused": reused,
        "build_seconds": build_seconds,
        "rows": rows,
    }
    (cache_dir / f"pages-{opts.persons}-{opts.communities}.json").write_text(
        json.dumps(run, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    block = render(run)
    print(block)
    if opts.write != "-":
        target = Path(opts.write) if opts.write else ROOT / "docs" / "performance.md"
        write_doc(target, block)
        _log(f"report written to {target}")
    return 0
