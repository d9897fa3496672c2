"""Loading the statistical division codes (``data/divisions_53.csv``, see data/README.md) into the tree."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

from django.db import transaction

from tongxin.org.models import Division

DATA_FILE = Path(__file__).resolve().parent / "data" / "divisions_53.csv"
SOURCE = "国家统计局统计用区划代码 2023"


def read_divisions(path: Path = DATA_FILE) -> list[dict[str, str]]:
    """All rows of a divisions CSV (code,name,level,parent_code)."""
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def select(rows: list[dict[str, str]], codes: Iterable[str]) -> list[dict[str, str]]:
    """The rows needed for the given codes: each code's subtree plus its ancestors, parents first."""
    codes = [c.strip() for c in codes if c.strip()]
    by_code = {r["code"]: r for r in rows}
    wanted: dict[str, dict[str, str]] = {}
    for code in codes:
        if code not in by_code:
            raise KeyError(code)
        node = by_code[code]
        while node is not None:  # ancestors
            wanted[node["code"]] = node
            node = by_code.get(node["parent_code"]) if node["parent_code"] else None
    children: dict[str, list[dict[str, str]]] = {}
    for r in rows:
        children.setdefault(r["parent_code"], []).append(r)
    stack = list(codes)
    while stack:  # subtree
        for child in children.get(stack.pop(), []):
            wanted[child["code"]] = child
            stack.append(child["code"])
    order = {lvl: i for i, lvl in enumerate(Division.LEVEL_ORDER)}
    return sorted(wanted.values(), key=lambda r: (order[r["level"]], r["code"]))


def load(rows: list[dict[str, str]], source: str = SOURCE) -> dict[str, int]:
    """Create or update divisions (parents before children). Idempotent: unchanged rows are not saved."""
    existing = {d.code: d for d in Division.objects.filter(code__in=[r["code"] for r in rows])}
    created = updated = 0
    with transaction.atomic():
        for r in rows:
            parent = existing.get(r["parent_code"]) if r["parent_code"] else None
            if r["parent_code"] and parent is None:
                parent = Division.objects.filter(code=r["parent_code"]).first()
            d = existing.get(r["code"])
            if d is None:
                d = Division(code=r["code"], name=r["name"], level=r["level"], parent=parent, source=source)
                d.save()
                existing[d.code] = d
                created += 1
            elif (d.name, d.level, d.parent_id) != (r["name"], r["level"], parent.pk if parent else None):
                d.name, d.level, d.parent = r["name"], r["level"], parent
                d.save()
                updated += 1
    return {"rows": len(rows), "created": created, "updated": updated}
