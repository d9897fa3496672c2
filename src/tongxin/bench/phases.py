"""The measurements, each run in a subprocess of its own (``python -m tongxin.bench --worker PHASE``),
so that every figure has its own peak memory and the database is whatever ``TONGXIN_DATABASE_URL``
names. Each phase returns a dict; the worker adds the process's peak RSS and writes it as JSON.

Only the measured operation is timed, never Django's start-up.
"""

from __future__ import annotations

import json
import math
import os
import resource
import sys
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any

COUNTY = "530424"  # 华宁县: the district of the search scope
COMMUNITY = "530424001002"  # 城关社区: where the register goes
GRIDS = [f"CG{i:02d}" for i in range(1, 7)]
BENCH_USER = "bench_official"
SEED_REGION = "530423"  # ID-number region of the seeded persons: never used by the register (no collisions)
SEED_SEED = 11
WARMUP_QUERIES = 20


def _rss_now() -> int:
    """Resident set size now, in bytes."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        return 0


def _cpu() -> float:
    """CPU seconds (user + system) of this process so far, with its finished child processes (the register
    import's parsing processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _peak_rss() -> int:
    """Peak resident set size of this process so far, in bytes (ru_maxrss is KiB on Linux)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def _community(code: str = COMMUNITY):
    from tongxin.org.models import Division

    return Division.objects.get(code=code)


# --- phases ---------------------------------------------------------------------------------------------


def setup(args: dict[str, Any]) -> dict[str, Any]:
    """A fresh database: migrations, the divisions of 华宁县, 城关社区's grids, a district official."""
    import io

    from django.core.management import call_command

    from tongxin.core.models import User
    from tongxin.org.models import Grid, Role, RoleAssignment

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("load_divisions", "--county", COUNTY, stdout=io.StringIO())
    community = _community()
    for i, code in enumerate(GRIDS, start=1):
        Grid.objects.get_or_create(community=community, code=code, defaults={"name": f"城关第{i}网格"})
    from tongxin.org.models import Division

    user = User.objects.create_user(username=BENCH_USER, password=None, name="华宁县干部（基准测试）")
    RoleAssignment.objects.create(
        user=user, role=Role.objects.get(codename="official"), division=Division.objects.get(code=COUNTY)
    )
    from django.db.models import Max

    return {"seconds": time.perf_counter() - t0, "max_division_id": Division.objects.aggregate(m=Max("pk"))["m"]}


# What the register import writes, in the order the floor loads it (the foreign keys are checked at commit).
FLOOR_TABLES = (
    ("org_division", "id > %(max_division_id)s"),  # the resident groups the import created
    ("registry_partybranch", "TRUE"),
    ("registry_household", "TRUE"),
    ("registry_person", "TRUE"),
    ("registry_membership", "TRUE"),
    ("registry_namekey", "TRUE"),
    ("core_objectchange", "source = 'import'"),
)


def dump(args: dict[str, Any]) -> dict[str, Any]:
    """PostgreSQL, after the first import: copy the rows it wrote out of its tables (``COPY … TO``, binary)
    into files, for :func:`floor`."""
    from django.db import connection

    directory = Path(args["dir"])
    connection.ensure_connection()
    raw = connection.connection
    counts = {}
    t0 = time.perf_counter()
    for table, where in FLOOR_TABLES:
        condition = where % {"max_division_id": int(args["max_division_id"] or 0)}
        n = 0
        with raw.cursor() as cur, (directory / f"{table}.copy").open("wb") as fh:
            with cur.copy(f"COPY (SELECT * FROM {table} WHERE {condition}) TO STDOUT (FORMAT BINARY)") as copy:
                for data in copy:
                    fh.write(data)
            cur.execute(f"SELECT COUNT(*) FROM {table} WHERE {condition}")
            n = cur.fetchone()[0]
        counts[table] = n
    return {"seconds": time.perf_counter() - t0, "counts": counts}


def floor(args: dict[str, Any]) -> dict[str, Any]:
    """The write floor: load the first import's own finished rows (persons, households, memberships, name
    readings, groups, change log; as :func:`dump` copied them) into the real, indexed tables of a database
    as it was before the import, with ``COPY … FROM`` in one transaction (foreign keys checked at commit). No
    reading, validation, hashing or encryption: what the database alone needs for what the import writes."""
    from django.db import connection

    directory = Path(args["dir"])
    connection.ensure_connection()
    raw = connection.connection
    t0, cpu0 = time.perf_counter(), _cpu()
    with raw.transaction(), raw.cursor() as cur:
        for table, _where in FLOOR_TABLES:
            with (
                cur.copy(f"COPY {table} FROM STDIN (FORMAT BINARY)") as copy,
                (directory / f"{table}.copy").open("rb") as fh,
            ):
                while data := fh.read(1 << 20):
                    copy.write(data)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM registry_person")
        persons = cur.fetchone()[0]
        cur.execute("SELECT COUNT(*) FROM core_objectchange WHERE source = 'import'")
        entries = cur.fetchone()[0]
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": persons, "changes": entries}


def ceiling(args: dict[str, Any]) -> dict[str, Any]:
    """Read the file with the import's own reader and load the raw text rows into a plain table:
    PostgreSQL ``COPY`` (psycopg ``cursor.copy``), SQLite ``executemany`` in one transaction."""
    from django.db import connection

    from tongxin.core.importer import read_rows

    path = Path(args["path"])
    rows = read_rows(path)
    width = len(next(rows))
    rows.close()
    columns = ", ".join(f"c{i:02d} text" for i in range(width))
    connection.ensure_connection()
    raw = connection.connection
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_ceiling")
        cur.execute(f"CREATE TABLE bench_ceiling ({columns})")

    def text_rows():
        rows = read_rows(path)
        next(rows)  # the header row
        for row in rows:
            if len(row) != width:
                row = (list(row) + [None] * width)[:width]
            yield [None if v is None else str(v) for v in row]

    n = 0
    t0, cpu0 = time.perf_counter(), _cpu()
    if connection.vendor == "postgresql":
        with raw.cursor() as cur, cur.copy("COPY bench_ceiling FROM STDIN") as copy:
            for row in text_rows():
                copy.write_row(row)
                n += 1
        if not raw.autocommit:  # pragma: no cover - Django runs psycopg in autocommit mode
            raw.commit()
    else:
        marks = ", ".join("?" * width)

        def counted():
            nonlocal n
            for row in text_rows():
                n += 1
                yield row

        raw.execute("BEGIN")
        raw.executemany(f"INSERT INTO bench_ceiling VALUES ({marks})", counted())
        raw.execute("COMMIT")
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM bench_ceiling")
        stored = cur.fetchone()[0]
        cur.execute("DROP TABLE bench_ceiling")
    if stored != n:
        raise RuntimeError(f"ceiling: {n} rows read but {stored} stored")
    return {"seconds": seconds, "cpu_seconds": cpu, "rows": n}


def tongxin_import(args: dict[str, Any]) -> dict[str, Any]:
    """Tongxin's full register import of the file (as ``tongxin import-register`` runs it)."""
    from tongxin.core.importer import estimate_rows
    from tongxin.registry.register import RegisterImporter
    from tongxin.registry.register.common import _parse_processes

    community = _community()
    t0, cpu0 = time.perf_counter(), _cpu()
    outcome = RegisterImporter(None, community).process(Path(args["path"]), commit=True)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    summary = outcome["summary"]
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "rows": summary["rows"],
        "summary": summary,
        "parse_processes": _parse_processes(estimate_rows(Path(args["path"]))),
        "problems": len(outcome["problems"]),
        "first_problems": [
            {"row": p["row"], "errors": [str(e) for e in p["errors"]], "warnings": [str(w) for w in p["warnings"]]}
            for p in outcome["problems"][:3]
        ],
    }


def iexport(args: dict[str, Any]) -> dict[str, Any]:
    """django-import-export (default settings) importing the first ``rows`` rows of the same file into
    ``Person``: the rows are read with the same reader into a ``tablib.Dataset`` (not timed: opening a
    large XLSX costs the same whatever the sample), then ``import_data`` (timed)."""
    import tablib

    from tongxin.bench.iexport import PersonResource
    from tongxin.core.importer import cell_text, read_rows

    community = _community()
    limit = int(args["rows"])
    t_read = time.perf_counter()
    rows = read_rows(Path(args["path"]))
    headers = [cell_text(h) for h in next(rows)]
    dataset = tablib.Dataset(headers=headers)
    width = len(headers)
    for row in islice(rows, limit):
        cells = [cell_text(v) for v in row]
        dataset.append((cells + [""] * width)[:width])
    rows.close()
    t0, cpu0 = time.perf_counter(), _cpu()
    result = PersonResource(community.pk).import_data(dataset, dry_run=False)
    seconds, cpu = time.perf_counter() - t0, _cpu() - cpu0
    totals = {k: int(v) for k, v in result.totals.items()}
    if result.has_errors() or result.has_validation_errors():
        errors = [str(e.error) for _n, errs in result.row_errors()[:3] for e in errs]
        invalid = [str(r.error) for r in result.invalid_rows[:3]]
        raise RuntimeError(f"django-import-export failed: totals {totals}, errors {errors}, invalid {invalid}")
    return {
        "seconds": seconds,
        "cpu_seconds": cpu,
        "read_seconds": t0 - t_read,
        "rows": len(dataset),
        "totals": totals,
    }


def _seed_chunk(community, rows: list[dict[str, str]], grids: dict[str, int]) -> int:
    """Households, persons (lookup columns by ``Person.derive()``) and further name readings of one
    chunk of generated rows, by bulk inserts; the number of persons."""
    from tongxin.core import codes, idnumber, normalize
    from tongxin.registry.models import Household, NameKey, Person

    def code(table: str, text: str) -> str:
        entry = codes.table(table).lookup(text) if text else None
        return entry.code if entry else ""

    households: dict[str, Household] = {}
    for row in rows:
        if row["户号"] not in households:
            households[row["户号"]] = Household(
                community=community,
                number=row["户号"],
                grid_id=grids.get(row["网格"]),
                address=row["现住址"],
                registration_status=code("registration_status", row["人口类型"]),
            )
    Household.objects.bulk_create(list(households.values()))
    persons, readings = [], []
    for row in rows:
        info = idnumber.parse(row["公民身份号码"])
        phones, _bad = normalize.phones(row["联系电话"])
        person = Person(
            community=community,
            household_id=households[row["户号"]].pk,
            relationship=code("relationship", row["与户主关系"]),
            grid_id=grids.get(row["网格"]),
            name=row["姓名"],
            id_number=info.number,
            sex=info.sex,
            birth_date=info.birth_date,
            ethnicity=code("ethnicity", row["民族"]),
            phone=phones[0] if phones else "",
            current_address=row["现住址"],
            hukou_address=row["户籍地址"],
            registration_status=code("registration_status", row["人口类型"]),
            political_status=code("political_status", row["政治面貌"]),
            education=code("education", row["文化程度"]),
            marital_status=code("marital_status", row["婚姻状况"]),
            employer=row["工作单位"],
            notes=row["备注"],
        )
        readings.append((person, person.derive()))
        persons.append(person)
    Person.objects.bulk_create(persons)
    NameKey.objects.bulk_create([NameKey(person=p, key=k) for p, keys in readings for k in keys])
    return len(persons)


def seed(args: dict[str, Any]) -> dict[str, Any]:
    """Bring the district to ``persons`` persons for the search: generated registers (ID region 530423,
    so no number repeats the register's) spread over the county's other communities, written by bulk
    inserts (households, persons with the lookup columns ``Person.derive()`` computes, name readings).
    Memberships and change-log rows, which the search never reads, are left out: seeding is not timed
    as an import."""
    import dataclasses

    from django.db import transaction

    from tongxin.org.models import Division, Grid
    from tongxin.registry import generate
    from tongxin.registry.models import Person

    target = int(args["persons"])
    have = Person.objects.count()
    extra = target - have
    if extra <= 0:
        return {"seconds": 0.0, "seeded": 0, "persons": have, "communities": 0}
    communities = list(
        Division.objects.filter(code__startswith=COUNTY, level=Division.Level.COMMUNITY)
        .exclude(code=COMMUNITY)
        .order_by("code")
    )
    per_community = max(1000, math.ceil(extra / len(communities)))
    profile = dataclasses.replace(generate.synthetic(extra, seed=SEED_SEED), region=SEED_REGION, floating_share=0.0)
    t0 = time.perf_counter()
    seeded = used = 0
    rows = generate.rows(profile)
    pending: dict[str, str] | None = next(rows, None)
    for community in communities:
        if pending is None:
            break
        grids = {}
        for i, grid_code in enumerate(GRIDS, start=1):
            grid, _created = Grid.objects.get_or_create(
                community=community, code=grid_code, defaults={"name": f"第{i}网格"}
            )
            grids[grid_code] = grid.pk
        count = 0
        with transaction.atomic():
            while pending is not None:
                chunk: list[dict[str, str]] = []
                while pending is not None:  # whole households, up to about 2,000 rows
                    row = pending
                    chunk.append(row)
                    pending = next(rows, None)
                    boundary = pending is not None and pending["户号"] != row["户号"]
                    if boundary and (count + len(chunk) >= per_community or len(chunk) >= 2000):
                        break
                count += _seed_chunk(community, chunk, grids)
                if count >= per_community:
                    break
        seeded += count
        used += 1
    return {
        "seconds": time.perf_counter() - t0,
        "seeded": seeded,
        "persons": Person.objects.count(),
        "communities": used,
    }


def _percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def search_latency(args: dict[str, Any]) -> dict[str, Any]:
    """Time ``list(search(restrict(Person, official, "view"), q)[:50])`` over the query mix for a user
    with the ``official`` role at the county (district scope), after a short warm-up."""
    from django.db import connection

    from tongxin.core import scoping
    from tongxin.core.models import User
    from tongxin.registry.models import Person
    from tongxin.registry.search import search

    queries = [tuple(q) for q in json.loads(Path(args["queries"]).read_text(encoding="utf-8"))]
    analyzed = False
    if connection.vendor == "postgresql":  # what autovacuum does shortly after a large import
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
        analyzed = True
    user = User.objects.get(username=BENCH_USER)
    persons = Person.objects.count()
    visible = scoping.restrict(Person.objects.all(), user, "view").count()

    def run(q: str) -> tuple[float, int]:
        t0 = time.perf_counter()
        found = list(search(scoping.restrict(Person.objects.all(), user, "view"), q)[:50])
        return (time.perf_counter() - t0) * 1000, len(found)

    for _kind, q in queries[:WARMUP_QUERIES]:
        run(q)
    times: list[float] = []
    by_kind: dict[str, list[float]] = {}
    misses: list[str] = []
    for kind, q in queries:
        ms, hits = run(q)
        times.append(ms)
        by_kind.setdefault(kind, []).append(ms)
        if not hits:
            misses.append(f"{kind}:{q}")
    return {
        "persons": persons,
        "visible": visible,
        "queries": len(queries),
        "p50_ms": _percentile(times, 0.50),
        "p95_ms": _percentile(times, 0.95),
        "max_ms": max(times),
        "mean_ms": sum(times) / len(times),
        "misses": misses,
        "analyzed": analyzed,
        "by_kind": {
            kind: {"n": len(v), "p50_ms": _percentile(v, 0.5), "p95_ms": _percentile(v, 0.95), "max_ms": max(v)}
            for kind, v in by_kind.items()
        },
    }


PHASES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "setup": setup,
    "ceiling": ceiling,
    "import": tongxin_import,
    "dump": dump,
    "floor": floor,
    "iexport": iexport,
    "seed": seed,
    "search": search_latency,
}


def worker(phase: str, args: dict[str, Any], result_path: Path) -> None:
    """Run one phase in this process and write its result (with the peak RSS) to ``result_path``."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tongxin.settings")
    import django

    django.setup()
    from django.db import connections

    base = _rss_now()
    before = _cpu()
    try:
        result = PHASES[phase](args)
    finally:
        connections.close_all()
    result.setdefault("cpu_seconds", _cpu() - before)
    result["peak_rss"] = _peak_rss()
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child (parsing process)
    result["children_peak_rss"] = children if sys.platform == "darwin" else children * 1024
    result["base_rss"] = base
    result_path.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
