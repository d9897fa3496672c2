"""Writing generated registers as XLSX or CSV, and planting the bad rows the importer must reject."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tongxin.core import idnumber
from tongxin.registry.generate.profiles import (
    HEADERS,
)

COLUMN_WIDTHS = {"户号": 11, "姓名": 9, "公民身份号码": 21, "出生日期": 13, "现住址": 46, "户籍地址": 40}


def write_xlsx(
    path: str | Path,
    rows_iter: Iterable[dict[str, str]],
    *,
    title: str | None = None,
    headers: Sequence[str] = HEADERS,
) -> int:
    """Write rows to an .xlsx file (openpyxl write-only, so memory stays flat) and return the number
    of data rows. ``title`` (e.g. "城关社区居民花名册") goes in a row above the header row, as
    community workers put it."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("花名册")
    for i, header in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(i)].width = COLUMN_WIDTHS.get(header, 10)
    if title:
        ws.append([title])
    ws.append(list(headers))
    count = 0
    append = ws.append
    for row in rows_iter:
        append([row.get(h, "") for h in headers])
        count += 1
    wb.save(path)
    return count


def write_csv(
    path: str | Path,
    rows_iter: Iterable[dict[str, str]],
    *,
    encoding: str = "utf-8-sig",
    headers: Sequence[str] = HEADERS,
) -> int:
    """Write rows to a CSV file (``utf-8-sig`` so Excel opens it, or ``gb18030`` as older tools write)
    and return the number of data rows."""
    count = 0
    with open(path, "w", encoding=encoding, newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(headers)
        for row in rows_iter:
            writer.writerow([row.get(h, "") for h in headers])
            count += 1
    return count


# --- planted errors ------------------------------------------------------------------------------------

ERROR_KINDS = (
    "bad_check_digit",
    "impossible_date",
    "missing_name",
    "unknown_ethnicity",
    "sex_mismatch",
    "duplicate_id",
)
UNKNOWN_ETHNICITIES = ("火星族", "金星族", "木星族")


@dataclass
class PlantedErrors:
    """An iterator over rows with bad rows planted, and the log of what was planted.

    Every ``every``-th row (0-based data rows ``every-1``, ``2*every-1``, ...) is spoilt, the kinds
    taken in turn from :data:`ERROR_KINDS`:

    * ``bad_check_digit``: the ID number's last character changed;
    * ``impossible_date``: the ID number's birth date set to 30 February, check digit recomputed;
    * ``missing_name``: 姓名 blank;
    * ``unknown_ethnicity``: 民族 set to a group that does not exist (火星族);
    * ``sex_mismatch``: 性别 flipped, so it disagrees with the ID number;
    * ``duplicate_id``: the previous row's ID number (and with it its 性别 and 出生日期) copied into this
      row. The importer must reject both rows, so the log holds both indexes for this kind. The
      previous row is never itself planted (``every`` is at least 2) and ID numbers are otherwise
      unique, so nothing is counted twice.

    ``log`` fills as rows pass: (0-based data row index, kind), in row order. The rows the importer must
    reject are :attr:`rejected` = ``{index for index, kind in log}``. ``planted`` lists only the rows
    that were changed (one entry per duplicate pair), so ``len(planted) == rows // every``.
    """

    source: Iterable[dict[str, str]]
    every: int = 997
    seed: int = 3
    log: list[tuple[int, str]] = field(default_factory=list)
    planted: list[tuple[int, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.every < 2:
            raise ValueError("every must be at least 2")
        self._rows = self._run()

    def __iter__(self) -> Iterator[dict[str, str]]:
        return self

    def __next__(self) -> dict[str, str]:
        return next(self._rows)

    @property
    def rejected(self) -> set[int]:
        """The data row indexes the importer must reject."""
        return {index for index, _kind in self.log}

    def counts(self) -> dict[str, int]:
        """Changed rows per kind (a duplicate pair counts once)."""
        counts: dict[str, int] = {}
        for _index, kind in self.planted:
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def _run(self) -> Iterator[dict[str, str]]:
        rng = random.Random(self.seed)
        every, log, planted = self.every, self.log, self.planted
        previous: dict[str, str] | None = None
        for index, row in enumerate(self.source):
            if (index + 1) % every == 0:
                kind = ERROR_KINDS[len(planted) % len(ERROR_KINDS)]
                planted.append((index, kind))
                row = dict(row)
                number = row.get("公民身份号码", "")
                if kind == "bad_check_digit":
                    choices = [c for c in idnumber.CHECK_CHARS if c != number[17:]]
                    row["公民身份号码"] = number[:17] + rng.choice(choices)
                elif kind == "impossible_date":
                    first17 = f"{number[:10]}0230{number[14:17]}"
                    row["公民身份号码"] = first17 + idnumber.check_digit(first17)
                elif kind == "missing_name":
                    row["姓名"] = ""
                elif kind == "unknown_ethnicity":
                    row["民族"] = rng.choice(UNKNOWN_ETHNICITIES)
                elif kind == "sex_mismatch":
                    row["性别"] = "女" if row.get("性别") == "男" else "男"
                elif kind == "duplicate_id" and previous is not None:
                    for column in ("公民身份号码", "性别", "出生日期"):
                        row[column] = previous.get(column, "")
                    log.append((index - 1, kind))
                log.append((index, kind))
            previous = row
            yield row


def plant_errors(rows_iter: Iterable[dict[str, str]], *, every: int = 997, seed: int = 3) -> PlantedErrors:
    """Pass rows through, spoiling every ``every``-th one; see :class:`PlantedErrors` for the kinds and
    the log (``planted.log``, ``planted.rejected``) a test compares the importer's result with."""
    return PlantedErrors(rows_iter, every=every, seed=seed)
