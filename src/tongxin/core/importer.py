"""The bulk import engine: CSV/XLSX/XLS → header aliases → per-row validation through the model's form
→ dry-run preview with every row's errors → commit (upsert by a natural key) → error workbook.

A domain app declares an importer::

    class GridImporter(ModelImporter):
        model = Grid
        form = GridForm
        key = ("community", "code")
        headers = {"community": ["社区", "所属社区", "社区代码"], "code": ["网格编号", "编号"], ...}

Later modules with very large files (the population register) reuse the reading, header mapping,
job and error-workbook parts and replace the per-row form with a faster validated path.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import io
import logging
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django import forms as dj_forms
from django.core.exceptions import FieldDoesNotExist
from django.db import DatabaseError, connections, models, router, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit, importfile, scoping
from tongxin.core.export import xlsx_row
from tongxin.core.importfile import ImportFileError, column_letter, formula_start, shorten
from tongxin.core.models import ImportJob, ObjectChange

logger = logging.getLogger(__name__)

HEADER_SCAN_ROWS = 10


def _clean_header(value: Any) -> str:
    text = "" if value is None else str(value)
    return re.sub(r"[\s\u3000*＊:：]+", "", text).strip()


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a trailing .0, dates as YYYY-MM-DD, whitespace trimmed."""
    if type(value) is str:  # most cells (every cell of a CSV)
        return value.replace("\u3000", " ").strip() if "\u3000" in value else value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d") if value.time() == datetime.time() else value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.strftime("%Y-%m-%d")
    return str(value).replace("\u3000", " ").strip()


def csv_encoding(path: Path) -> str:
    """The encoding a CSV is read with (see :func:`tongxin.core.importfile.text_encoding`)."""
    return importfile.text_encoding(Path(path))


# Above this many rows, or this many bytes of XML, a workbook is streamed by openpyxl: calamine holds the whole
# sheet in memory (about 1.8 KB per row of a 19-column register, so some 270 MB here), openpyxl one row.
CALAMINE_MAX_ROWS = 150_000
CALAMINE_MAX_BYTES = 256 * importfile.MB


def _read_xlsx(path: Path) -> Iterator[list[Any]]:
    """The first sheet's rows, read with calamine (Rust; about 13× faster than openpyxl on a 100,000-row
    register), from the sheet's first row (leading blank rows are kept, so row numbers match the sheet's). A
    workbook calamine cannot read, or one too large to hold in memory (:data:`CALAMINE_MAX_ROWS`), is read with
    openpyxl. The zip directory is checked first (a zip bomb is refused before either reader opens it), and
    calamine runs in a child process under a memory cap (see :func:`tongxin.core.importfile.calamine_rows`)."""
    size = importfile.check_workbook(path)
    if size <= CALAMINE_MAX_BYTES and estimate_rows(path) <= CALAMINE_MAX_ROWS:
        rows = importfile.calamine_rows(path, budget=512 * importfile.MB + 4 * size)
        if rows is not None:
            yield from rows
            return
    yield from _read_xlsx_openpyxl(path)


def _read_xlsx_openpyxl(path: Path) -> Iterator[list[Any]]:
    """The first sheet's rows streamed by openpyxl (read-only: one row in memory). A sheet whose recorded
    dimensions are out of all proportion (a few bytes can claim a million rows of 16,384 columns, which openpyxl
    would pad every row to) is read as its cells come instead."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ImportFileError(_("无法读取 Excel 文件：%(err)s") % {"err": exc}) from exc
    number = 0
    try:
        ws = wb.worksheets[0]
        bounds = importfile.limits()
        rows, columns = ws.max_row or 0, ws.max_column or 0
        if rows * columns > 25 * bounds.rows or columns > bounds.columns:
            ws.reset_dimensions()
        for row in ws.iter_rows(values_only=True):
            number += 1
            yield list(row)
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(
            _("无法读取 Excel 文件：第 %(row)s 行之后的内容有误（%(err)s）") % {"row": number, "err": exc}
        ) from exc
    finally:
        wb.close()


def _read_xls(path: Path) -> Iterator[list[Any]]:
    """The first sheet's rows of an Excel 97-2003 workbook (xlrd; rows as long as their cells, not padded to the
    sheet's widest row: a cell in column IV does not widen every row)."""
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), ragged_rows=True)
    except Exception as exc:
        raise ImportFileError(_("无法读取 Excel 97-2003 文件：%(err)s") % {"err": exc}) from exc
    sheet = book.sheet_by_index(0)
    for r in range(sheet.nrows):
        row = []
        for c in range(sheet.row_len(r)):
            cell = sheet.cell(r, c)
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    row.append(cell.value)
            else:
                row.append(cell.value)
        yield row


def read_rows(path: str | Path) -> Iterator[list[Any]]:
    """Every row of the first sheet (or the CSV) as a list of cell values, within the bounds of
    :mod:`tongxin.core.importfile`: a file that is not what its extension says, a workbook that would expand
    beyond them, a row, column or cell beyond them is refused with :class:`ImportFileError`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".xls"):
        raise ImportFileError(_("不支持的文件类型“%(suffix)s”") % {"suffix": suffix})
    importfile.check_file(path)
    if suffix == ".csv":
        rows = importfile.csv_rows(path)
    elif suffix == ".xlsx":
        rows = _read_xlsx(path)
    else:
        rows = _read_xls(path)
    return importfile.bounded(rows)


_XLSX_ROW = re.compile(rb"<row[ >]")
_XLSX_DIMENSION = re.compile(rb'<dimension ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_XLSX_FIRST_SHEET = re.compile(rb'<sheet\b[^>]*\br:id="([^"]+)"')


def _xlsx_rows(path: Path) -> int:
    """About how many rows the first sheet of a workbook holds, from the zip alone (openpyxl would load the
    shared strings first, seconds for a large register): the sheet's recorded dimension, or, for a sheet
    that records none (openpyxl's write-only mode, which Tongxin's own exports use, and other tools), the
    rows of its first megabyte scaled by its uncompressed size (exact for a sheet under a megabyte). Reads
    nothing larger than a megabyte (it runs before the file's bounds are checked)."""
    import zipfile

    def small(archive: zipfile.ZipFile, name: str) -> bytes:
        if archive.getinfo(name).file_size > importfile.MB:
            raise ImportFileError(name)
        return archive.read(name)

    importfile.check_workbook(path)  # (a directory of a million entries, a bomb: refused by read_rows)
    with zipfile.ZipFile(path) as archive:
        first = _XLSX_FIRST_SHEET.search(small(archive, "xl/workbook.xml"))
        rels = small(archive, "xl/_rels/workbook.xml.rels")
        target = re.search(rb'Id="' + re.escape(first.group(1)) + rb'"[^>]*Target="([^"]+)"', rels) or re.search(
            rb'Target="([^"]+)"[^>]*Id="' + re.escape(first.group(1)) + rb'"', rels
        )
        name = target.group(1).decode()
        member = name.lstrip("/") if name.startswith("/") else f"xl/{name}"
        size = archive.getinfo(member).file_size
        with archive.open(member) as source:
            head = source.read(1 << 20)
    dimension = _XLSX_DIMENSION.search(head)
    if dimension is not None and int(dimension.group(1)) > 1:
        return int(dimension.group(1))
    rows = len(_XLSX_ROW.findall(head))
    return rows if len(head) >= size else int(rows * size / len(head))


def estimate_rows(path: str | Path) -> int:
    """The number of rows of a file without reading it all (for the progress bar; may overcount blanks)."""
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with path.open("rb") as fh:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        if suffix == ".xlsx":
            return _xlsx_rows(path)
        if suffix == ".xls":
            import xlrd

            return xlrd.open_workbook(str(path), on_demand=True).sheet_by_index(0).nrows
    except Exception:
        return 0
    return 0


@dataclass
class HeaderMap:
    """Where each field's column is, which headers were not understood, and the header row's number."""

    columns: dict[str, int]
    headers: list[str]
    unknown: list[str]
    header_row: int


def map_headers(
    rows: Iterator[list[Any]], aliases: dict[str, list[str]]
) -> tuple[HeaderMap, Iterator[tuple[int, list]]]:
    """Find the header row (a title row may come first) and map headers to fields by their aliases.

    Returns the map and an iterator of (spreadsheet row number, cells) for the data rows.
    """
    lookup: dict[str, str] = {}
    for fname, names in aliases.items():
        for alias in [fname, *names]:
            lookup[_clean_header(alias)] = fname
    buffered: list[list[Any]] = []
    header_index = None
    for i, row in enumerate(rows):
        buffered.append(row)
        hits = sum(1 for v in row if _clean_header(v) in lookup)
        if hits >= min(2, len(aliases)):
            header_index = i
            break
        if i >= HEADER_SCAN_ROWS:
            break
    if header_index is None:
        known = "、".join(names[0] if names else f for f, names in list(aliases.items())[:6])
        raise ImportFileError(
            _("前 %(n)s 行中找不到表头，请确认表头包含如“%(known)s”等列名") % {"n": HEADER_SCAN_ROWS, "known": known}
        )
    header = [_clean_header(v) for v in buffered[header_index]]
    columns, unknown = _map_columns(header, lookup, header_index + 1)
    hmap = HeaderMap(columns=columns, headers=header, unknown=unknown, header_row=header_index + 1)

    def data() -> Iterator[tuple[int, list]]:
        number = header_index + 1
        for row in rows:
            number += 1
            if row is None or all(cell_text(v) == "" for v in row):
                continue
            yield number, list(row)

    return hmap, data()


def _map_columns(header: list[str], lookup: dict[str, str], row: int) -> tuple[dict[str, int], list[str]]:
    """Each field's column, and the headers not imported. The same header twice (two 姓名 columns) leaves no way
    to tell which column holds the field: the file is refused, naming both. A second, different header of a field
    (联系电话 and 手机号码) is not imported, and listed with the first it repeats."""
    columns: dict[str, int] = {}
    unknown: list[str] = []
    for idx, h in enumerate(header):
        if not h:
            continue
        fname = lookup.get(h)
        if fname is None:
            unknown.append(h)
        elif fname not in columns:
            columns[fname] = idx
        elif header[columns[fname]] == h:
            raise ImportFileError(
                _(
                    "表头（第 %(row)s 行）有两列“%(header)s”：%(first)s 列和 %(second)s 列，无法确定导入哪一列，"
                    "文件未导入；请删除或重命名其中一列"
                )
                % {
                    "row": row,
                    "header": h,
                    "first": column_letter(columns[fname]),
                    "second": column_letter(idx),
                }
            )
        else:
            unknown.append(_("%(header)s（与“%(first)s”重复）") % {"header": h, "first": header[columns[fname]]})
    return columns, unknown


#: a free-text cell a spreadsheet would read as a formula (see :func:`tongxin.core.importfile.formula_start`)
MSG_FORMULA = gettext_lazy(
    "%(field)s“%(value)s”以“%(char)s”开头，会被 Excel 等表格软件当作公式，不予导入；如确为文字，请去掉开头的“%(char)s”"
)


@functools.cache
def _text_fields(importer: type[ModelImporter]) -> frozenset[str]:
    """The importer's free-text fields (stored as they are), whose cells must not start like a formula."""
    names = set()
    for fname in importer.headers:
        try:
            field_obj = importer.model._meta.get_field(fname)
        except FieldDoesNotExist:
            continue
        if isinstance(field_obj, models.CharField | models.TextField) and not field_obj.choices:
            names.add(fname)
    return frozenset(names)


@dataclass
class RowResult:
    """The outcome of one data row."""

    row: int
    status: str  # created | updated | unchanged | rejected
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    values: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "status": self.status,
            "errors": self.errors,
            "warnings": self.warnings,
            # (header, value) pairs: a JSON object would lose the column order on PostgreSQL (jsonb)
            "values": [[h, v] for h, v in self.values.items()],
        }


class ModelImporter:
    """Per-row import through the model's form, with upsert by a natural key."""

    model: ClassVar[type[models.Model]]
    form: ClassVar[type[dj_forms.ModelForm]]
    key: ClassVar[tuple[str, ...]] = ()
    headers: ClassVar[dict[str, list[str]]] = {}
    required_headers: ClassVar[tuple[str, ...]] = ()
    example: ClassVar[dict[str, str]] = {}
    #: the upload asks which community the rows go into (the population register)
    needs_community: ClassVar[bool] = False
    #: the upload page's explanation ("" for the generic one)
    upload_help: ClassVar[Any] = ""

    def __init__(self, user: Any, community: Any = None):
        self.user = user
        self.community = community

    # The interface the upload pages and the API use; an importer of its own (the register) provides the same.

    @classmethod
    def template(cls) -> bytes:
        """The blank workbook users download."""
        return template_workbook(cls)

    @classmethod
    def header_help(cls) -> list[tuple[Any, list[str]]]:
        """(column, accepted headers) for the upload page; a column that is no model field (a name checked
        against the register) is called by its first header."""
        out = []
        for f, names in cls.headers.items():
            try:
                out.append((cls.model._meta.get_field(f).verbose_name, names))
            except FieldDoesNotExist:
                out.append((names[0] if names else f, names))
        return out

    # -- hooks -------------------------------------------------------------------------------

    def resolve(self, fname: str, text: str) -> Any:
        """Turn a cell into form data for ``fname``: relations by code/name/username, choices by label."""
        field_obj = self.model._meta.get_field(fname)
        if not text:
            return ""
        if field_obj.is_relation and field_obj.related_model is not None:
            related = field_obj.related_model
            if related._meta.label == "org.Division":
                qs = scoping.restrict(related.objects.all(), self.user, "view")
                obj = qs.filter(code=text).first() or qs.filter(name=text).first()
                return obj.pk if obj else f"!{text}"
            if related._meta.label == "core.User":
                values = [v for v in re.split(r"[,，、;；\s]+", text) if v]
                users = {u.username: u.pk for u in related.objects.filter(username__in=values)}
                missing = [v for v in values if v not in users]
                if missing:
                    return f"!{'、'.join(missing)}"
                return [users[v] for v in values] if field_obj.many_to_many else users[values[0]]
        if getattr(field_obj, "choices", None):
            for value, label in field_obj.choices:
                if text in (str(value), str(label)):
                    return value
        if isinstance(field_obj, models.BooleanField):
            return "on" if text in ("是", "1", "true", "True", "Y", "y", "√") else ""
        return text

    def resolve_row(self, values: dict[str, str]) -> tuple[dict[str, Any], list[str]]:
        """The row's cells as form data (relations and choices resolved), with a message per unknown value."""
        errors: list[str] = []
        data: dict[str, Any] = {}
        if self.community is not None and "community" in self.form.base_fields and "community" not in values:
            data["community"] = self.community.pk
        text_fields = _text_fields(type(self))
        for fname, text in values.items():
            if fname not in self.form.base_fields:
                continue
            char = formula_start(text) if fname in text_fields else ""
            if char:  # the row is rejected; the form still checks the value (its length, …)
                label = self.model._meta.get_field(fname).verbose_name
                errors.append(MSG_FORMULA % {"field": label, "value": shorten(text), "char": char})
            resolved = self.resolve(fname, text)
            if isinstance(resolved, str) and resolved.startswith("!"):
                label = self.model._meta.get_field(fname).verbose_name
                errors.append(_("%(field)s：找不到“%(value)s”") % {"field": label, "value": shorten(resolved[1:])})
                continue
            data[fname] = resolved
        return data, errors

    @staticmethod
    def current_data(instance: models.Model) -> dict[str, Any]:
        """An existing object's values as form data, so that columns the file leaves out keep their values."""
        data: dict[str, Any] = {}
        for name, value in dj_forms.models.model_to_dict(instance).items():
            if isinstance(value, list):
                data[name] = [getattr(v, "pk", v) for v in value]
            elif value is not None:
                data[name] = value
        return data

    def find_existing(self, data: dict[str, Any]) -> models.Model | None:
        """The existing object with the same natural key (scoped to what the user may change)."""
        if not self.key or any(not data.get(k) for k in self.key):
            return None
        lookup = {(f"{k}_id" if self.model._meta.get_field(k).is_relation else k): data[k] for k in self.key}
        return scoping.restrict(self.model._default_manager.all(), self.user, "change").filter(**lookup).first()

    # -- the run ------------------------------------------------------------------------------

    def process(self, path: str | Path, *, commit: bool, all_or_nothing: bool = False, progress=None) -> dict[str, Any]:
        """Validate (and with ``commit`` write) every row; return the summary with each problem row."""
        rows = read_rows(path)
        hmap, data_rows = map_headers(rows, self.headers)
        missing = [f for f in self.required_headers if f not in hmap.columns]
        if missing:
            names = "、".join(str(self.headers.get(f, [f])[0]) for f in missing)
            raise ImportFileError(_("缺少必需的列：%(names)s") % {"names": names})
        counts = {"rows": 0, "created": 0, "updated": 0, "unchanged": 0, "rejected": 0, "warnings": 0}
        batch = uuid.uuid4()
        problems: list[dict[str, Any]] = []
        with (
            audit.audit_context(user=self.user, source=ObjectChange.Source.IMPORT, request_id=batch),
            transaction.atomic(),
        ):
            for number, cells in data_rows:
                result = self.process_row(number, cells, hmap)
                counts["rows"] += 1
                counts[result.status] += 1
                if result.warnings:
                    counts["warnings"] += 1
                if result.errors or result.warnings:
                    problems.append(result.as_dict())
                if progress and counts["rows"] % 50 == 0:
                    progress(counts["rows"])
            if not commit or (all_or_nothing and counts["rejected"]):
                transaction.set_rollback(True)
        if commit and all_or_nothing and counts["rejected"]:
            counts["created"] = counts["updated"] = 0
            counts["rolled_back"] = True
        return {
            "summary": counts,
            "unknown_columns": hmap.unknown,
            "header_row": hmap.header_row,
            "problems": problems,
            "batch_id": str(batch),
        }

    def process_row(self, number: int, cells: list, hmap: HeaderMap) -> RowResult:
        """Validate one row through the form; save it inside a savepoint so one bad row loses nothing else."""
        values = {f: cell_text(cells[i]) if i < len(cells) else "" for f, i in hmap.columns.items()}
        shown = {hmap.headers[i]: values[f] for f, i in hmap.columns.items()}
        result = RowResult(row=number, status="rejected", values=shown)
        data, errors = self.resolve_row(values)
        instance = self.find_existing(data)
        if instance is not None:
            data = {**self.current_data(instance), **data}
            before = audit.serialize(instance)
            instance._prechange = before
        form = self.form(data, instance=instance, user=self.user)
        if errors or not form.is_valid():
            resolved_ok = not errors  # after a cell that could not be read, only the errors of the cells read
            for fname, errs in form.errors.items() if form.is_bound and not form.is_valid() else []:
                if not resolved_ok and fname not in data:
                    continue  # e.g. "required" for the very cell already named, or one derived from it
                label = form.fields[fname].label if fname in form.fields else ""
                shown_value = values.get(fname, "")
                for e in errs:
                    prefix = (
                        f"{label}“{shorten(shown_value)}”："
                        if label and shown_value
                        else (f"{label}：" if label else "")
                    )
                    errors.append(f"{prefix}{e}")
            result.errors = errors
            return result
        if instance is not None:
            obj = form.save(commit=False)
            after = {**audit.serialize(obj)}
            for m2m in self.model._meta.many_to_many:
                if m2m.name in form.cleaned_data:
                    after[m2m.name] = sorted(o.pk for o in form.cleaned_data[m2m.name])
            if after == before:
                result.status = "unchanged"
                return result
            result.status = "updated"
        else:
            result.status = "created"
        try:
            with transaction.atomic():
                form.save()
                action = "change" if instance is not None else "add"
                if not scoping.restrict(
                    self.model._default_manager.filter(pk=form.instance.pk), self.user, action
                ).exists():
                    raise PermissionError
        except PermissionError:
            result.status = "rejected"
            result.errors = [_("超出您的管辖范围")]
        return result


def error_workbook(job: ImportJob) -> bytes:
    """The rejected rows of a job with their reasons, as an XLSX workbook to correct and re-import."""
    return problems_workbook(job.problems)


def problems_workbook(problems: list[dict[str, Any]]) -> bytes:
    """The rejected rows among ``problems`` (as kept by an import) with their reasons, as XLSX."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = _("未导入的行")
    rejected = [p for p in problems if p.get("status") == "rejected"]
    headers: list[str] = []
    for p in rejected:
        for h, _v in p.get("values", []):
            if h not in headers:
                headers.append(h)
    ws.append([_("原行号"), *headers, _("错误原因")])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.cell(row=1, column=len(headers) + 2).fill = PatternFill("solid", fgColor="FFE0E0")
    for p in rejected:
        values = dict(p.get("values", []))
        ws.append(xlsx_row(ws, [p["row"], *[values.get(h, "") for h in headers], "；".join(p.get("errors", []))]))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_workbook(importer: type[ModelImporter]) -> bytes:
    """A blank workbook with the importer's headers, choice lists and an example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = str(importer.model._meta.verbose_name)[:31]
    names = list(importer.headers)
    ws.append([importer.headers[f][0] if importer.headers[f] else f for f in names])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    if importer.example:
        ws.append([importer.example.get(f, "") for f in names])
    for idx, fname in enumerate(names, start=1):
        try:
            field_obj = importer.model._meta.get_field(fname)
        except FieldDoesNotExist:
            field_obj = None
        choices = getattr(field_obj, "choices", None)
        if choices:
            letter = ws.cell(row=1, column=idx).column_letter
            options = ",".join(str(label) for _v, label in choices)
            if len(options) < 250:
                dv = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
                dv.error = _("请从下拉列表中选择")
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}10000")
        ws.column_dimensions[ws.cell(row=1, column=idx).column_letter].width = 18
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class _Progress:
    """Writes an import job's progress where the page that polls it can see it. An importer writes inside one
    transaction (the register import's second half), and an update of the job's row made there would only be
    seen when it commits: the progress bar would stop halfway and jump to the end. On PostgreSQL the updates made
    while the importer's transaction is open therefore go through a connection of their own (autocommit, a short
    lock timeout); SQLite allows one writer at a time, so there they stay in the transaction (a development
    database). Not when the job runs inside a caller's transaction (its row is then locked by the caller, or not
    yet visible to another connection), and never at the import's expense: a progress update that fails is
    logged and the side connection given up."""

    def __init__(self, job: ImportJob):
        self.job = job
        self.connection = connections[router.db_for_write(ImportJob)]
        self.usable = self.connection.vendor == "postgresql" and not self.connection.in_atomic_block
        self.side: Any = None

    def __call__(self, n: int, total: int | None = None) -> None:
        processed = min(n, total) if total else n
        if self.usable and self.connection.in_atomic_block:
            try:
                self._write_aside(processed, total)
                return
            except DatabaseError:
                logger.warning("import job %s: progress not written aside; it shows at the end", self.job.pk)
                self.usable = False
                self.close()
        if total:
            ImportJob.objects.filter(pk=self.job.pk).update(processed=processed, total=total)
        else:
            ImportJob.objects.filter(pk=self.job.pk).update(processed=processed)

    def _write_aside(self, processed: int, total: int | None) -> None:
        if self.side is None:
            self.side = connections.create_connection(self.connection.alias)
            with self.side.cursor() as cursor:
                cursor.execute("SET lock_timeout = '2s'")
        table = self.side.ops.quote_name(ImportJob._meta.db_table)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET processed = %s, total = COALESCE(%s, total) WHERE id = %s",
                [processed, total or None, self.job.pk],
            )

    def close(self) -> None:
        if self.side is not None:
            side, self.side = self.side, None
            with contextlib.suppress(DatabaseError):  # a connection that is already gone
                side.close()


def run_job(job: ImportJob, importer_cls: type[ModelImporter], *, commit: bool) -> ImportJob:
    """Run a job's preview (commit=False) or commit, updating its progress and outcome. A file the importer
    cannot read fails the job with the importer's message; any other error fails it too (the page stops waiting
    and says so) and is raised again for the worker's log."""
    job.status = ImportJob.Status.RUNNING if commit else ImportJob.Status.VALIDATING
    job.processed = 0
    job.save(update_fields=["status", "processed", "last_updated"])
    progress = _Progress(job)
    importer = importer_cls(job.user, job.community)
    try:
        outcome = importer.process(job.file.path, commit=commit, all_or_nothing=job.all_or_nothing, progress=progress)
    except ImportFileError as exc:
        job.status = ImportJob.Status.FAILED
        job.error = str(exc)
        job.save(update_fields=["status", "error", "last_updated"])
        return job
    except Exception as exc:
        job.status = ImportJob.Status.FAILED
        job.error = _("导入未完成：系统出错（%(e)s）。请稍后重试；如仍失败，请联系管理员。") % {"e": type(exc).__name__}
        try:
            job.save(update_fields=["status", "error", "last_updated"])
        except DatabaseError:  # the database itself is gone: the worker's log has both errors
            logger.exception("import job %s: could not be marked failed", job.pk)
        raise
    finally:
        progress.close()
    job.total = outcome["summary"]["rows"]
    job.processed = job.total
    job.summary = {
        **outcome["summary"],
        "unknown_columns": outcome["unknown_columns"],
        "header_row": outcome["header_row"],
        **{k: outcome[k] for k in ("groups_created", "branches_created", "possible_duplicates") if outcome.get(k)},
    }
    job.problems = outcome["problems"]
    if commit:
        job.batch_id = outcome["batch_id"]
    job.status = ImportJob.Status.DONE if commit else ImportJob.Status.PREVIEW
    job.save()
    return job
