"""Code tables of the national standards (GB/T 3304, 4761, 2261.1, 2261.2, 4658, 4762, ...) as data.

The tables live as CSV files in ``core/data/codes/`` with their sources in the README there. This
module is the one lookup interface used by forms, filters, import and export::

    codes.table("ethnicity").lookup("彝")      # → Code("07", "彝族", ...)
    codes.choices("sex")                        # → [("1", "男"), ...]
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "codes"


@dataclass(frozen=True)
class Code:
    """One entry of a code table."""

    code: str
    name: str
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __str__(self) -> str:
        return self.name


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).strip().lower()


class CodeTable:
    """A loaded code table: ordered entries and a lookup by code, name, short name, romanization or alias."""

    def __init__(self, name: str, rows: list[dict[str, str]]):
        self.name = name
        self.entries: list[Code] = []
        self._index: dict[str, Code] = {}
        self._by_code: dict[str, Code] = {}
        for row in rows:
            code = row["code"].strip()
            entry = Code(code=code, name=row["name"].strip(), extra={k: (v or "").strip() for k, v in row.items()})
            self.entries.append(entry)
            self._by_code[code] = entry
        # Exact names and codes win over aliases, so index aliases first and overwrite with names/codes.
        for entry in self.entries:
            for alias in (entry.extra.get("aliases") or "").split("|"):
                if alias.strip():
                    self._index.setdefault(_norm(alias), entry)
        for entry in self.entries:
            for key in ("short_name", "romanization", "letter_code"):
                value = entry.extra.get(key)
                if value:
                    self._index[_norm(value)] = entry
        for entry in self.entries:
            self._index[_norm(entry.name)] = entry
            self._index[_norm(entry.code)] = entry
            if entry.code.isdigit():
                self._index[str(int(entry.code))] = entry

    def __iter__(self):
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, code: str) -> Code | None:
        """Entry by its exact code."""
        return self._by_code.get(str(code))

    def lookup(self, text: str | int | None) -> Code | None:
        """Entry by code, full name, short name, romanization, letter code or alias (None when unknown)."""
        if text is None:
            return None
        key = _norm(str(text))
        if not key:
            return None
        return self._index.get(key)

    def name_of(self, code: str | None) -> str:
        """Display name of a code ('' for blank, the code itself when unknown)."""
        if not code:
            return ""
        entry = self.get(code)
        return entry.name if entry else str(code)

    def choices(self) -> list[tuple[str, str]]:
        """(code, name) pairs for a form or model field."""
        return [(e.code, e.name) for e in self.entries]


@functools.cache
def table(name: str) -> CodeTable:
    """The code table ``name`` (file ``data/codes/NAME.csv``), loaded once."""
    path = DATA_DIR / f"{name}.csv"
    if not path.exists():
        raise KeyError(f"unknown code table {name!r}")
    with path.open(encoding="utf-8", newline="") as fh:
        return CodeTable(name, list(csv.DictReader(fh)))


def choices(name: str) -> list[tuple[str, str]]:
    """Choices of a table, for model and form fields."""
    return table(name).choices()


def names() -> list[str]:
    """The names of all shipped code tables."""
    return sorted(p.stem for p in DATA_DIR.glob("*.csv"))
