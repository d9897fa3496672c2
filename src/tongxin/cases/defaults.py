"""The default case categories (``data/categories.json``), loaded by a data migration (only missing codes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CATEGORIES_JSON = Path(__file__).resolve().parent / "data" / "categories.json"


def default_categories() -> list[dict[str, Any]]:
    """The rows of the default category file (parents before children)."""
    return json.loads(CATEGORIES_JSON.read_text(encoding="utf-8"))["categories"]


def load_default_categories(model: Any = None) -> int:
    """Create the default categories whose code is missing (edited rows are kept); returns how many were made."""
    if model is None:
        from tongxin.cases.models import Category as model
    existing = {c.code: c for c in model.objects.filter(community__isnull=True)}
    made = 0
    for sort, row in enumerate(default_categories(), start=1):
        if row["code"] in existing:
            continue
        fields = {k: v for k, v in row.items() if k != "parent"}
        parent = existing.get(row.get("parent", ""))
        existing[row["code"]] = model.objects.create(parent=parent, sort=sort * 10, **fields)
        made += 1
    return made
