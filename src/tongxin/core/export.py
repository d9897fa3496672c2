"""Export of a filtered, scoped queryset to CSV (streamed) and XLSX (write-only workbook).

Every cell a user typed is written so that a spreadsheet never runs it (issue 16): text beginning with ``=``,
``+``, ``-``, ``@``, a tab or a carriage return (``=HYPERLINK(…)`` in a name) is an XLSX text cell, and in CSV
gets the usual leading apostrophe; plain numbers (``-3``) stay numbers. Every workbook the platform writes goes
through :func:`xlsx_row` (or :func:`safe_text` for CSV).

Identifiers stay text and quantities stay numbers (issue 17, defect 9). In XLSX an ID number is a string cell and
an age an integer cell. A CSV file has no types: Excel reads a long digit string (an ID number without its ``X``,
a bank account, a 12-digit division code) as a number and shows it as ``1.10101E+17``, losing the last digits,
and drops the leading zero of ``0871…``. The usual cure, ``="110101…"``, is a formula, which our CSV escaping
refuses (a formula in an export is what issue 16 removed); a leading apostrophe is shown by Excel as a visible
``'`` when it opens a CSV file. So such a field gets a **leading tab** (:func:`csv_text`): Excel and WPS then
take the cell as text and show every digit, the tab is whitespace that our importer (and most CSV readers) strip,
and the field is no longer a plain number for anything that reads the file.

XLSX sheets have a bold, frozen header row, an autofilter over the written range and column widths estimated from
the header and the first rows (:func:`write_sheet`; a write-only sheet takes widths and panes before its rows).
"""

from __future__ import annotations

import csv
import decimal
import io
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from tongxin.core import privacy
from tongxin.core.tables import Column

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# what a spreadsheet takes for a formula (OWASP "CSV injection"), and the plain numbers that start the same way
_FORMULA = re.compile(r"[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
# digit strings a spreadsheet would mangle as a number: 12 digits or more (shown in scientific notation, precision
# lost from the 16th digit) or a leading zero (dropped)
_LONG_DIGITS = re.compile(r"\d{12,}|0\d+")
#: the rows looked at to size the columns of a sheet
WIDTH_SAMPLE = 200


def formula_like(value: Any) -> bool:
    """True for text a spreadsheet would evaluate (not a plain number such as ``-3``, nor ``\\t110101…``)."""
    # whitespace before a plain number (the tab of csv_text) is no formula either
    return isinstance(value, str) and bool(_FORMULA.match(value)) and not _NUMBER.fullmatch(value.lstrip("\t\r"))


def safe_text(value: Any) -> Any:
    """A CSV value: formula-like text behind an apostrophe, which spreadsheets show as text."""
    return f"'{value}" if formula_like(value) else value


def digits_as_text(value: Any) -> bool:
    """True for a digit string that a spreadsheet would turn into a wrong number (an ID number, ``0871…``)."""
    return isinstance(value, str) and bool(_LONG_DIGITS.fullmatch(value))


def csv_text(value: Any) -> Any:
    """A CSV field: formula-like text escaped (:func:`safe_text`), a long digit string behind a tab so that a
    spreadsheet keeps it as text (see the module's docstring for why a tab)."""
    return f"\t{value}" if digits_as_text(value) else safe_text(value)


def cell_value(column: Column, obj: Any) -> Any:
    """A column's export value for one row: a number (an age, a count) as a number, everything else as the text
    of :meth:`Column.text` (personal data masked unless revealed, so never a number)."""
    if not column.personal or column.kind == privacy.QUASI:
        value = column.value(obj)
        if isinstance(value, int | float | decimal.Decimal) and not isinstance(value, bool):
            return value
    return column.text(obj)


def _display_width(value: Any) -> int:
    """Width of a value in spreadsheet characters (a Chinese character counts as two)."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def write_sheet(ws: Any, header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> int:
    """Write a header and rows to a write-only sheet: bold, frozen header, autofilter, column widths from the
    header and the first :data:`WIDTH_SAMPLE` rows (clamped to 8..50). Returns the number of data rows."""
    rows = iter(rows)
    sample = list(itertools.islice(rows, WIDTH_SAMPLE))
    for idx, title in enumerate(header, start=1):
        widest = max([_display_width(title), *(_display_width(r[idx - 1]) for r in sample if len(r) >= idx)])
        ws.column_dimensions[get_column_letter(idx)].width = min(50, max(8, widest + 2))
    ws.freeze_panes = "A2"
    cells = []
    for title in header:
        cell = WriteOnlyCell(ws, value=str(title))
        cell.font = Font(bold=True)
        cells.append(cell)
    ws.append(cells)
    count = 0
    for row in itertools.chain(sample, rows):
        ws.append(xlsx_row(ws, row))
        count += 1
    if header:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{count + 1}"
    return count


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
    """CSV lines (UTF-8 with BOM so that Excel opens Chinese correctly; long digit strings kept as text)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(c.verbose_name) for c in columns])
    for obj in rows:
        yield writer.writerow([csv_text(cell_value(c, obj)) for c in columns])


def xlsx_write(out: Any, columns: list[Column], rows: Iterable, title: str = "Sheet1") -> None:
    """Write an XLSX workbook of the rows to ``out`` (a path or a binary file; constant memory in openpyxl's
    write-only mode)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Sheet1")
    write_sheet(ws, [c.verbose_name for c in columns], ([cell_value(c, obj) for c in columns] for obj in rows))
    wb.save(out)


def xlsx_bytes(columns: list[Column], rows: Iterable, title: str = "Sheet1") -> bytes:
    """An XLSX workbook of the rows as bytes."""
    buf = io.BytesIO()
    xlsx_write(buf, columns, rows, title)
    return buf.getvalue()


def export_response(fmt: str, columns: list[Column], queryset, basename: str) -> HttpResponse:
    """A download response of the queryset in ``fmt`` (csv or xlsx)."""
    from urllib.parse import quote

    filename = export_filename(basename, fmt)
    rows = queryset.iterator(chunk_size=2000)
    if fmt == "csv":
        response = StreamingHttpResponse(csv_stream(columns, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(xlsx_bytes(columns, rows, basename), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


def export_columns(model: type, user: Any, qs: Any, table: Any) -> tuple[list[Column], Any, list[str], bool]:
    """What an export of ``table`` by ``user`` writes: (its columns, the queryset — annotated with the rows the
    user may reveal when identity data goes out in clear —, the names of its personal columns, whether any
    column is revealed). Shared by the export in the request and the export in the worker."""
    from tongxin.core import scoping

    cols = [c for c in table.columns if c.export]
    personal = [c.name for c in cols if c.personal]
    # identity data in clear for a user who may reveal it; sensitive data is never exported in clear
    identity = [c for c in cols if c.kind in (privacy.IDENTITY, privacy.QUASI) or c.coarse is not None]
    reveal = bool(identity) and scoping.has_perm(user, model, "reveal")
    if reveal:
        # clear text only for the rows the user may reveal (their reveal scope can be narrower than export)
        qs = scoping.annotate_can(qs, user, "reveal")
    for c in cols:
        c.reveal = reveal and c.kind == privacy.IDENTITY
    return cols, qs, personal, reveal


def export_filename(basename: str, fmt: str) -> str:
    """``居民-20261207-2339.xlsx``: the list's name and the local time."""
    return f"{basename}-{timezone.localtime().strftime('%Y%m%d-%H%M')}.{fmt}"


def write_export(out: Any, fmt: str, columns: list[Column], rows: Iterable, title: str) -> None:
    """Write the rows to a binary file ``out`` in ``fmt`` (csv or xlsx): what the worker stores."""
    if fmt == "csv":
        for line in csv_stream(columns, rows):
            out.write(line.encode("utf-8"))
    else:
        xlsx_write(out, columns, rows, title)
