"""The benchmark's inputs, all generated deterministically and cached under the cache directory:
the N-person register (XLSX or CSV), its 10 %-changed copy and the search query mix.

Pure Python (no database, no Django settings): the orchestrating process builds them once, every
measuring subprocess reads the same files.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from tongxin.registry import generate

SEED = 7  # generate.synthetic's default: the register of every run with the same N is the same file
CHANGED_EVERY = 10  # every 10th row of the changed file differs (phone or current address)
QUERY_KINDS = ("name", "surname", "initials", "pinyin", "id", "id_tail6", "phone", "household")
QUERY_KIND_LABELS = {
    "name": "full name",
    "surname": "surname (prefix)",
    "initials": "pinyin initials",
    "pinyin": "full pinyin",
    "id": "full ID number",
    "id_tail6": "last 6 digits of ID",
    "phone": "phone number",
    "household": "household number",
}


def _write(path: Path, fmt: str, rows: Iterable[dict[str, str]]) -> int:
    """Write rows to ``path`` atomically (a partial file never looks cached); the number of rows."""
    tmp = path.with_name(f"{path.stem}.part-{os.getpid()}{path.suffix}")
    try:
        count = generate.write_xlsx(tmp, rows) if fmt == "xlsx" else generate.write_csv(tmp, rows)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return count


def register_rows(n: int) -> Iterator[dict[str, str]]:
    """The benchmark register: ``generate.synthetic(n)`` (城关社区 530424001002, grids CG01..CG06)."""
    return generate.rows(generate.synthetic(n, seed=SEED))


def changed_rows(rows: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    """The same register with every 10th row changed: alternately a new mobile number (a blank phone
    gets one) and a current address with "附1号" appended. Every changed row changes its person."""
    for i, row in enumerate(rows):
        if i % CHANGED_EVERY == CHANGED_EVERY - 1:
            row = dict(row)
            if (i // CHANGED_EVERY) % 2 == 0:
                row["联系电话"] = f"199{(i * 7919 + 13) % 100_000_000:08d}"
            else:
                row["现住址"] = f"{row['现住址']}附1号"
        yield row


def register_file(cache: Path, n: int, fmt: str, changed: bool = False) -> tuple[Path, float | None]:
    """The cached register file (generated on first use); (path, seconds spent generating or None)."""
    cache.mkdir(parents=True, exist_ok=True)
    name = f"register-{n}-seed{SEED}{'-changed10' if changed else ''}.{fmt}"
    path = cache / name
    if path.exists():
        return path, None
    t0 = time.perf_counter()
    rows = register_rows(n)
    _write(path, fmt, changed_rows(rows) if changed else rows)
    return path, time.perf_counter() - t0


def query_mix(cache: Path, n: int, count: int) -> list[tuple[str, str]]:
    """``count`` search queries (kind, text), the kinds of :data:`QUERY_KINDS` in equal shares, drawn
    from rows spread evenly over the register (a kind that needs a phone takes the next row with one).
    Cached as JSON."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"queries-{n}-seed{SEED}-{count}.json"
    if path.exists():
        return [tuple(q) for q in json.loads(path.read_text(encoding="utf-8"))]
    from tongxin.core import pinyin

    k = len(QUERY_KINDS)
    per_kind = max(1, count // k)
    positions = {
        kind: [(j * k + i) * n // (per_kind * k) for j in range(per_kind)] for i, kind in enumerate(QUERY_KINDS)
    }
    taken: dict[str, int] = dict.fromkeys(QUERY_KINDS, 0)
    found: list[tuple[int, str, str]] = []
    for index, row in enumerate(register_rows(n)):
        for kind in QUERY_KINDS:
            t = taken[kind]
            if t >= per_kind or index < positions[kind][t]:
                continue
            name = row["姓名"]
            if kind == "name":
                q = name
            elif kind == "surname":
                q = name[:2] if name[:2] in pinyin.COMPOUND_SURNAMES else name[:1]
            elif kind in ("initials", "pinyin"):
                full, initials = pinyin.keys(name)
                q = (initials if kind == "initials" else full)[0]
            elif kind == "id":
                q = row["公民身份号码"]
            elif kind == "id_tail6":
                q = row["公民身份号码"][-6:]
            elif kind == "phone":
                q = row["联系电话"].split(",")[0].strip()
            else:
                q = row["户号"]
            if not q:
                continue  # e.g. a child without a phone: the next row will do
            found.append((index, kind, q))
            taken[kind] = t + 1
        if all(v >= per_kind for v in taken.values()):
            break
    found.sort()
    queries = [(kind, q) for _i, kind, q in found]
    path.write_text(json.dumps(queries, ensure_ascii=False), encoding="utf-8")
    return queries
