"""Export of a filtered, scoped queryset to CSV (streamed) and XLSX (write-only workbook)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Font

from tongxin.core.tables import Column

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(columns: list[Column], rows: Iterable) -> Iterator[str]:
    """CSV lines (UTF-8 with BOM so that Excel opens Chinese correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([str(c.verbose_name) for c in columns])
    for obj in rows:
        yield writer.writerow([c.text(obj) for c in columns])


def xlsx_bytes(columns: list[Column], rows: Iterable, title: str = "Sheet1") -> bytes:
    """An XLSX workbook of the rows (constant memory in openpyxl's write-only mode)."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(title=title[:31] or "Sheet1")
    from openpyxl.cell import WriteOnlyCell

    header = []
    for c in columns:
        cell = WriteOnlyCell(ws, value=str(c.verbose_name))
        cell.font = Font(bold=True)
        header.append(cell)
    ws.append(header)
    for obj in rows:
        ws.append([c.text(obj) for c in columns])
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
