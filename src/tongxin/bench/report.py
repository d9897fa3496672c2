"""The benchmark report: the machine, then per database the side-by-side table, the re-imports and the
search latency, then the issue's targets with the measured value. Markdown, for docs/performance.md
(a block between ``<!-- bench:begin KEY -->`` and ``<!-- bench:end -->``, replaced on the next run with
the same rows, format and databases) and for stdout."""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from tongxin.bench.files import CHANGED_EVERY, QUERY_KIND_LABELS

TARGET_ROWS = 1_000_000
TARGET_CEILING_SHARE = 0.5
TARGET_VS_IEXPORT = 30
TARGET_MEMORY = 1_000_000_000  # bytes: "< 1 GB"
TARGET_P95_MS = 50.0
INSERT_MARKER = "<!-- bench:insert -->"
END_MARKER = "<!-- bench:end -->"
DB_LABELS = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


# --- the machine ----------------------------------------------------------------------------------------


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def machine() -> dict[str, Any]:
    """CPU, cores, RAM, operating system and the versions that matter."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:  # pragma: no cover - not Linux
        pass
    ram = 0
    try:
        import psutil

        ram = psutil.virtual_memory().total
    except ImportError:  # pragma: no cover - psutil is in the bench extra
        try:
            match = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
            ram = int(match.group(1)) * 1024 if match else 0
        except OSError:
            pass
    try:
        os_name = platform.freedesktop_os_release().get("PRETTY_NAME", "")
    except OSError:  # pragma: no cover
        os_name = ""
    return {
        "cpu": cpu,
        "cores": os.cpu_count() or 0,
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}" + (f" ({os_name})" if os_name else ""),
        "python": platform.python_version(),
        "django": _version("Django"),
        "import_export": _version("django-import-export"),
        "openpyxl": _version("openpyxl"),
        "calamine": _version("python-calamine"),
        "psycopg": _version("psycopg"),
    }


# --- formatting -----------------------------------------------------------------------------------------


def _n(value: float) -> str:
    return f"{value:,.0f}"


def _mb(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def _s(value: float) -> str:
    return f"{value:,.1f} s" if value < 600 else f"{value / 60:,.1f} min"


def _ms(value: float) -> str:
    return f"{value:,.1f} ms" if value < 100 else f"{value:,.0f} ms"


def _pct(value: float) -> str:
    return f"{value * 100:.0f} %" if value >= 0.1 else f"{value * 100:.1f} %"


def _x(value: float) -> str:
    return f"{value:,.0f}×" if value >= 10 else f"{value:,.1f}×"


def rate(result: dict[str, Any]) -> float:
    """Rows per second of a measured phase."""
    return result["rows"] / result["seconds"] if result["seconds"] > 0 else 0.0


def iexport_rates(res: dict[str, Any]) -> list[float]:
    """django-import-export's rates in a database's run: before Tongxin's import, and after it (runs saved before
    the second sample was taken have one)."""
    return [rate(res[key]) for key in ("iexport", "iexport_after") if key in res]


def iexport_rate(res: dict[str, Any]) -> float:
    """The rate Tongxin's import is compared with: the mean of django-import-export's samples."""
    rates = iexport_rates(res)
    return sum(rates) / len(rates) if rates else 0.0


# --- the report -----------------------------------------------------------------------------------------


def _memory(r: dict[str, Any]) -> str:
    """Peak RSS of a measurement: the process's, and its parsing processes' (each) when it had some."""
    processes = r.get("parse_processes", 1)
    if processes > 1 and r.get("children_peak_rss"):
        return f"{_mb(r['peak_rss'])} + {processes} × {_mb(r['children_peak_rss'])}"
    return _mb(r["peak_rss"])


def _total_memory(r: dict[str, Any]) -> int:
    """The most memory a measurement may have held at once: its peak plus each parsing process's peak (shared
    pages count in each, so this overstates it)."""
    processes = r.get("parse_processes", 1)
    return r["peak_rss"] + (processes * r.get("children_peak_rss", 0) if processes > 1 else 0)


def _measurement_row(title: str, r: dict[str, Any], top: float, rows: int | None = None) -> str:
    """One measurement's row of a database's table, its rate also as a share of the ceiling rate ``top``."""
    rr = rate(r)
    cpu = _s(r["cpu_seconds"]) if "cpu_seconds" in r else "–"
    load = f"{r['load_mean']:.1f}" if "load_mean" in r else "–"
    return (
        f"| {title} | {_n(rows if rows is not None else r['rows'])} | {_s(r['seconds'])} | {_n(rr)} "
        f"| {_pct(rr / top) if top else '–'} | {cpu} | {_memory(r)} | {load} |"
    )


def _measurement_table(kind: str, res: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """A database's side-by-side table: the ceiling, the write floor (when measured), Tongxin's imports and
    django-import-export's samples."""
    ceiling, iex = res["ceiling"], res["iexport"]
    top = rate(ceiling)
    copy = "`COPY`, psycopg `cursor.copy`" if kind == "postgres" else "`executemany`, one transaction"
    lines = [
        "| measurement | rows | time | rows/s | vs ceiling | Python CPU | peak RSS | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines.append(
        _measurement_row(f"ceiling: read the file + load the raw rows into a plain table ({copy})", ceiling, top)
    )
    floor = res.get("floor")
    if floor:
        lines.append(
            _measurement_row(
                "write floor: the import's own finished rows (persons, households, memberships, name readings, "
                f"change log: {_n(floor['changes'])} entries) `COPY`'d into the real, indexed tables, one transaction",
                floor,
                top,
            )
        )
    lines.append(
        _measurement_row(
            "**Tongxin import** (read + validate + upsert + households + memberships + audit)", res["import"], top
        )
    )
    lines.append(
        _measurement_row(
            f"django-import-export {run['machine']['import_export']}, default settings "
            f"(first {_n(iex['rows'])} rows; time of `import_data` only)",
            iex,
            top,
        )
    )
    if "iexport_after" in res:
        lines.append(
            _measurement_row(
                "django-import-export again, after Tongxin's import (a fresh empty copy, once the server settled"
                + (f": {res['settled_seconds']:,.0f} s" if "settled_seconds" in res else "")
                + ")",
                res["iexport_after"],
                top,
            )
        )
    lines.append(_measurement_row("Tongxin re-import of the unchanged file", res["unchanged"], top))
    lines.append(_measurement_row(f"Tongxin import of the {100 // CHANGED_EVERY} %-changed file", res["changed"], top))
    return lines


def _import_summary(res: dict[str, Any], run: dict[str, Any]) -> str:
    """The paragraph under a database's table: the import's rate against the ceiling, the write floor and
    django-import-export, and what each import did."""
    first, iex, floor = res["import"], res["iexport"], res.get("floor")
    top = rate(res["ceiling"])
    s1, s2, s3 = first["summary"], res["unchanged"]["summary"], res["changed"]["summary"]
    expected = run["rows"] // CHANGED_EVERY
    samples = iexport_rates(res)
    ratio = rate(first) / iexport_rate(res) if iexport_rate(res) else 0
    if len(samples) > 1 and min(samples):
        versus = (
            f"**{_x(ratio)} django-import-export's rate** (the mean of its two samples, "
            f"{' and '.join(_n(r) for r in samples)} rows/s; {_x(rate(first) / max(samples))}–"
            f"{_x(rate(first) / min(samples))} against either alone)"
        )
    else:
        versus = f"**{_x(ratio)} django-import-export's rate**"
    floor_share = f" and **{_pct(rate(first) / rate(floor))} of the write floor**" if floor else ""
    return (
        f"Tongxin's import runs at **{_pct(rate(first) / top)} of the ceiling**{floor_share}, {versus}. "
        f"First import: {_n(s1['created'])} persons created, "
        f"{_n(s1['households_created'])} households, {_n(s1['rejected'])} rows rejected, "
        f"{_n(s1['warnings'])} with warnings. Unchanged re-import: {_n(s2['unchanged'])} unchanged, "
        f"{_n(s2['updated'])} updated, {_n(s2['created'])} created. Changed file: {_n(s3['updated'])} persons "
        f"updated (expected {_n(expected)}), {_n(s3['unchanged'])} unchanged, {_n(s3['households_updated'])} "
        f"households updated. django-import-export: {_n(iex['totals'].get('new', 0))} new, "
        f"{_n(iex['totals'].get('error', 0))} errors; reading its {_n(iex['rows'])} rows into the `Dataset` "
        f"took a further {_s(iex.get('read_seconds', 0))} (not counted)."
    )


def _search_lines(res: dict[str, Any]) -> list[str]:
    """A database's search part: how the district was seeded (when it was), the latency over the query mix,
    and a table of it by query kind."""
    seed, search = res.get("seed"), res["search"]
    lines = []
    if seed and seed.get("seeded"):
        lines.append(
            f"Before the search, {_n(seed['seeded'])} further generated persons were added to "
            f"{seed['communities']} other communities of 华宁县 by bulk inserts (households, persons with "
            f"the lookup columns `Person.derive()` computes, name readings; no memberships or change log), "
            f"in {_s(seed['seconds'])}."
        )
        lines.append("")
    analyzed = "after `ANALYZE`" if search.get("analyzed") else "no `ANALYZE`: Django never runs it"
    lines.append(
        f"**Search** at district scope (a user with the `official` role at 华宁县 530424; "
        f"{_n(search['visible'])} of {_n(search['persons'])} persons visible; {analyzed}): "
        f"{search['queries']} queries, `list(search(restrict(…), q)[:50])`, the first 20 run once "
        f"before as warm-up: **p50 {_ms(search['p50_ms'])}, p95 {_ms(search['p95_ms'])}**, "
        f"max {_ms(search['max_ms'])}, mean {_ms(search['mean_ms'])}; "
        f"{search['queries'] - len(search['misses'])} of {search['queries']} queries found their row's person."
    )
    lines.append("")
    lines += ["| query kind | queries | p50 | p95 | max |", "| --- | ---: | ---: | ---: | ---: |"]
    for kind, label in QUERY_KIND_LABELS.items():
        k = search["by_kind"].get(kind)
        if k:
            lines.append(f"| {label} | {k['n']} | {_ms(k['p50_ms'])} | {_ms(k['p95_ms'])} | {_ms(k['max_ms'])} |")
    lines.append("")
    return lines


def _database_section(kind: str, res: dict[str, Any], run: dict[str, Any]) -> list[str]:
    """A database's part of the report: its table, the import summary, then the search."""
    label = DB_LABELS[kind]
    version = run["versions"].get(kind, "")
    lines = [f"#### {label} {version}", ""]
    lines += _measurement_table(kind, res, run)
    lines += ["", _import_summary(res, run), ""]
    lines += _search_lines(res)
    return lines


def targets(run: dict[str, Any]) -> list[dict[str, str]]:
    """The issue's targets against this run's figures (PostgreSQL when measured, else SQLite)."""
    kind = "postgres" if "postgres" in run["results"] else next(iter(run["results"]))
    res = run["results"][kind]
    first, top, iex = rate(res["import"]), rate(res["ceiling"]), iexport_rate(res)
    samples = iexport_rates(res)
    unchanged = rate(res["unchanged"])
    peak = max(_total_memory(res[key]) for key in ("import", "unchanged", "changed"))
    p95 = res["search"]["p95_ms"]
    share = first / top if top else 0
    times = first / iex if iex else 0
    out = []

    def add(target: str, measured: str, met: bool, miss: str) -> None:
        out.append({"target": target, "measured": measured, "met": "met" if met else f"**not met** ({miss})"})

    add(
        "import ≥ 50 % of the read+COPY ceiling rate",
        f"{_pct(share)} ({_n(first)} of {_n(top)} rows/s)",
        share >= TARGET_CEILING_SHARE,
        f"{(TARGET_CEILING_SHARE - share) * 100:.0f} points short",
    )
    if res.get("floor"):
        floor = rate(res["floor"])
        add(
            "(restated) import ≥ 50 % of the write floor (the import's own rows `COPY`'d into the indexed tables)",
            f"{_pct(first / floor)} ({_n(first)} of {_n(floor)} rows/s); the floor itself is "
            f"{_pct(floor / top)} of the ceiling",
            first / floor >= TARGET_CEILING_SHARE,
            f"{(TARGET_CEILING_SHARE - first / floor) * 100:.0f} points short",
        )
    add(
        "import ≥ 30× django-import-export (default settings)",
        f"{_x(times)} ({_n(first)} vs {_n(iex)} rows/s"
        + (f", the mean of {' and '.join(_n(r) for r in samples)}" if len(samples) > 1 else "")
        + ")",
        times >= TARGET_VS_IEXPORT,
        f"{_x(TARGET_VS_IEXPORT - times)} short",
    )
    add(
        "peak memory of the import < 1 GB",
        f"{_mb(peak)} (largest of the three imports, with its parsing processes)",
        peak < TARGET_MEMORY,
        f"{_mb(peak - TARGET_MEMORY)} over",
    )
    add(
        "unchanged re-import faster than the first import",
        f"{_n(unchanged)} vs {_n(first)} rows/s ({_x(unchanged / first if first else 0)})",
        unchanged > first,
        "slower",
    )
    add(
        "search p95 < 50 ms at district scope",
        f"{_ms(p95)} at {_n(res['search']['persons'])} persons",
        p95 < TARGET_P95_MS,
        f"{_ms(p95 - TARGET_P95_MS)} over",
    )
    for t in out:
        t["db"] = kind
    return out


def render(run: dict[str, Any]) -> str:
    """The report block (without the markers)."""
    m = run["machine"]
    dbs = " and ".join(DB_LABELS[k] for k in run["results"])
    lines = [f"### Measured: {_n(run['rows'])} rows ({run['format'].upper()}), {dbs}", ""]
    versions = run["versions"]
    stack = [f"Python {m['python']}", f"Django {m['django']}"]
    if "sqlite" in versions:
        stack.append(f"SQLite {versions['sqlite']}")
    if "postgres" in versions:
        stack.append(f"PostgreSQL {versions['postgres']} (same host, 127.0.0.1, stock configuration)")
    stack += [f"django-import-export {m['import_export']}", f"openpyxl {m['openpyxl']}"]
    if m.get("calamine"):  # runs before it was recorded lack it
        stack.append(f"python-calamine {m['calamine']}")
    stack.append(f"psycopg {m['psycopg']}")
    file = run["file"]
    generated = f", generated in {_s(file['generated_seconds'])}" if file.get("generated_seconds") else " (cached)"
    lines += [
        f"- **Date**: {run['date']} (machine clock); total bench time {_s(run['seconds'])}",
        f"- **Command**: `{run['command']}`",
        f"- **Machine**: {m['cpu']}, {m['cores']} cores, {m['ram'] / 1e9:.1f} GB RAM; {m['os']}",
        f"- **Software**: {'; '.join(stack)}",
        f"- **File**: `{file['name']}`, {_n(run['rows'])} rows × 19 columns, {file['size'] / 1e6:,.1f} MB"
        f"{generated}; the changed copy alters every {CHANGED_EVERY}th row (phone or current address)",
        "- **Columns**: *Python CPU* is the CPU time the measuring Python process spent in the timed part, with "
        "the parsing processes the import forks for a large file (the rest of the time is mostly waiting for the "
        "database server); *peak RSS* is that process's peak resident memory (`ru_maxrss`, one fresh process "
        "per measurement, Django loaded; the database server's memory is not included), and `+ N × M` the "
        "peak of each of its N parsing processes (pages shared with it count in both); *load* is the machine's "
        "mean 1-min load average during the measurement (the bench alone accounts for 1–2: the Python process "
        "and the database server).",
    ]
    code = run.get("code")
    if code:
        tree = "with uncommitted changes in `src/`" if code["dirty"] == "yes" else "clean"
        lines.append(f"- **Code**: commit `{code['commit']}` ({tree}); source digest `{code['digest']}`")
    busy = [
        (kind, name, r["load_mean"])
        for kind, res in run["results"].items()
        for name, r in res.items()
        if isinstance(r, dict) and r.get("load_mean", 0) > m["cores"]
    ]
    if busy:
        worst = max(busy, key=lambda b: b[2])
        lines.append(
            f"- **Warning**: other processes competed for the {m['cores']} cores during {len(busy)} "
            f"measurement(s) (mean load up to {worst[2]:.1f}, in {DB_LABELS[worst[0]]} {worst[1]}): "
            "those figures are pessimistic."
        )
    lines.append("")
    for kind, res in run["results"].items():
        lines += _database_section(kind, res, run)
    rows_note = (
        ""
        if run["rows"] >= TARGET_ROWS
        else f" The targets are stated for {_n(TARGET_ROWS)} rows; this run has {_n(run['rows'])}."
    )
    t = targets(run)
    lines += [
        f"#### Targets ({DB_LABELS[t[0]['db']]}, this run)",
        "",
        f"Measured on {DB_LABELS[t[0]['db']]}.{rows_note}",
        "",
        "| target | measured | |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {x['target']} | {x['measured']} | {x['met']} |" for x in t]
    lines.append("")
    return "\n".join(lines)


def key(run: dict[str, Any]) -> str:
    """What identifies a run's block in the document: rows, format, databases."""
    return f"rows={run['rows']} format={run['format']} db={','.join(run['results'])}"


def write_doc(path: Path, run: dict[str, Any], block: str) -> None:
    """Put the block into the document: replace the block of the same key, else insert it before the
    insert marker (or at the end); a missing document is created."""
    begin = f"<!-- bench:begin {key(run)} -->"
    wrapped = f"{begin}\n{block.rstrip()}\n{END_MARKER}\n"
    text = path.read_text(encoding="utf-8") if path.exists() else "# Performance\n\n"
    start = text.find(begin)
    if start >= 0:
        end = text.find(END_MARKER, start)
        end = len(text) if end < 0 else end + len(END_MARKER)
        if text[end : end + 1] == "\n":
            end += 1
        text = text[:start] + wrapped + text[end:]
    elif INSERT_MARKER in text:
        text = text.replace(INSERT_MARKER, f"{wrapped}\n{INSERT_MARKER}", 1)
    else:
        text = text.rstrip("\n") + "\n\n" + wrapped
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
