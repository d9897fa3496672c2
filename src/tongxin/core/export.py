"""Export of a filtered, scoped queryset to CSV (streamed) and XLSX (write-only workbook).

Every cell a user typed is written so that a spreadsheet never runs it (issue 16): text beginning with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(…)`` in a name) is an XLSX text cell, and in CSV
gets the usual leading apostrophe; plain numbers (``-3``) stay numbers. Every workbook the platform writes goes
through :func:`xlsx_row` (or :func:`safe_text` for CSV).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from tongxin.core.tables import Column

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# what a spreadsheet takes for a formula (OWASP "CSV injection"), and the plain numbers that start the same way
_FORMULA = re.compile(r"[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would evaluate (not a plain number such as ``-3``)."""
    return isinstance(value, str) and bool(_FORMULA.match(value)) and not _NUMBER.fullmatch(value)


def safe_text(value: Any) -> Any:
    """A CSV value: formula-like text behind an apostrophe, which spreadsheets show as text."""
    return f"'{value}" if formula_like(value) else value


def xlsx_row(ws: Any, values: Iterable[Any]) -> list[Any]:
    """A row for ``ws.append``: formula-like text as explicit text cells (never a formula), the rest as is."""
    out = []
    for value in values:
        if formula_like(value):
            cell = WriteOnlyCell(ws, value=value)
            cell.data_type = "s"  # stored as a string: Excel and WPS show it, never run it
            value = cell
        out.append(value)
    return out


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(columns: list[Column], rows: Iterable) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM so that Excel opens Chinese correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(c.verbose_name) for c in columns])
    for obj in rows:
        yield writer.writerow([safe_text(c.text(obj)) for c in columns])


def xlsx_bytes(columns: list[Column], rows: Iterable, title: str = "Sheet1") -> bytes:
    """An XLSX workbook of the rows (constant memory in openpyxl's write-only mode)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Sheet1")

    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=str(c.verbose_name))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for obj in rows:
        ws.append(xlsx_row(ws, (c.text(obj) for c in columns)))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_response(fmt: str, columns: list[Column], queryset, basename: str) -> HttpResponse:
    """A download response of the queryset in ``fmt`` (csv or xlsx)."""
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    filename = f"{basename}-{stamp}.{fmt}"
    rows = queryset.iterator(chunk_size=2000)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_bytes(columns, rows, basename), content_type=XLSX_TYPE)
    from urllib.parse import quote

    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
