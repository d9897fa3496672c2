"""The default care programmes (``data/programmes.json``, sources in ``data/README.md``), loaded after migrate."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

PROGRAMMES_JSON = Path(__file__).resolve().parent / "data" / "programmes.json"


def default_programmes() -> list[dict[str, Any]]:
    """The shipped programmes, in display order."""
    return json.loads(PROGRAMMES_JSON.read_text(encoding="utf-8"))["programmes"]


def load_default_programmes(model: Any = None) -> int:
    """Create the default programmes whose code is missing (edited rows are kept); returns how many were made."""
    if model is None:
        from tongxin.care.models import Programme as model
    existing = set(model.objects.filter(community__isnull=True).values_list("code", flat=True))
    made = 0
    for sort, row in enumerate(default_programmes(), start=1):
        if row["code"] not in existing:
            model.objects.create(sort=sort * 10, **row)
            made += 1
    return made


def load_after_migrate(sender: Any, apps: Any = None, **kwargs: Any) -> None:
    """post_migrate: the programmes, once the table exists (with the historical model, as migrations see it)."""
    model = apps.get_model("care", "Programme") if apps is not None else None
    if model is not None:
        load_default_programmes(model)
