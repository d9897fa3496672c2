"""Reading an import file that may be hostile, within bounds.

An uploaded spreadsheet is untrusted input: a 1 MB workbook can hold one 1 GiB shared string (a zip bomb), a
"CSV" can be a renamed binary, a UTF-16 text or one line of 200 MB, and a few bytes of XML can place a cell in
the last row and column of a sheet. Every importer (the generic one, the register, the command line, the web
upload and the worker) reads files through :mod:`tongxin.core.importer`, which uses this module to:

* **look before reading** (:func:`check_file`): the content must be what the name says (a ``.csv`` that is a
  workbook is refused with the right extension to use); a workbook's zip directory is checked for what it expands
  to — every member uncompressed (``IMPORT_MAX_UNCOMPRESSED_MB``), each part a reader loads whole, such as the
  shared strings (``IMPORT_MAX_SHARED_STRINGS_MB``), and each member's compression ratio
  (``IMPORT_MAX_COMPRESSION_RATIO``) — from the directory alone, so that a bomb is refused at once;
* **bound while reading** (:func:`bounded`): rows (``IMPORT_MAX_ROWS``), columns (:data:`MAX_COLUMNS`) and
  characters per cell (``IMPORT_MAX_CELL_CHARS``, Excel's own limit by default); a CSV is read line by line with a
  bounded line length and field size, its encoding checked (UTF-8, UTF-16 with a BOM, GBK/GB18030) first;
* **isolate calamine** (:func:`calamine_rows`): calamine (fast, Rust) holds a sheet as a dense grid from its first
  to its last cell, so one far cell makes it allocate hundreds of gigabytes and abort the process — the worker.
  It therefore runs in a forked child under a memory limit and streams the rows back; if the child cannot read
  the workbook the caller streams it with openpyxl instead.

Every refusal is an :class:`ImportFileError` with a Chinese message naming the row and column where there is one;
a refused file writes nothing (the importers read before they write, or inside their transaction).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime
import logging
import marshal
import os
import re
import select
import signal
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

MB = 1 << 20
#: columns a row may have (trailing blank cells aside): a register has some twenty
MAX_COLUMNS = 1024
#: members a workbook may have, and the size of its zip directory (both read before anything else)
MAX_MEMBERS = 10_000
MAX_DIRECTORY_BYTES = 16 * MB
#: members smaller than this are never a bomb, whatever their compression ratio
RATIO_MIN_BYTES = MB
#: the longest physical line of a CSV, in cells' worth of characters (a row of this many full cells)
LINE_CELLS = 64

_ZIP = b"PK\x03\x04"
_ZIP_EMPTY = b"PK\x05\x06"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 (.xls)
_EOCD = struct.Struct("<4s4H2LH")
_SHARED_STRINGS = re.compile(rb'PartName="/?([^"]+)"[^>]*ContentType="[^"]*sharedStrings')


class ImportFileError(Exception):
    """The file cannot be read at all (wrong type, no header row, wrong encoding, beyond the bounds)."""


@dataclass(frozen=True)
class Limits:
    """What a file may expand to (from the settings; tests override the settings)."""

    uncompressed: int
    shared_strings: int
    ratio: int
    rows: int
    cell_chars: int
    columns: int = MAX_COLUMNS


def limits() -> Limits:
    """The bounds in force (``IMPORT_MAX_*`` settings)."""
    return Limits(
        uncompressed=settings.IMPORT_MAX_UNCOMPRESSED_MB * MB,
        shared_strings=settings.IMPORT_MAX_SHARED_STRINGS_MB * MB,
        ratio=settings.IMPORT_MAX_COMPRESSION_RATIO,
        rows=settings.IMPORT_MAX_ROWS,
        cell_chars=settings.IMPORT_MAX_CELL_CHARS,
    )


def column_letter(index: int) -> str:
    """A 0-based column index as the spreadsheet's letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def shorten(value: str, length: int = 30) -> str:
    """A value as a message shows it: a long one cut, with its length (a 10,000-character cell is not repeated)."""
    if len(value) <= length:
        return value
    return _("%(head)s…（共 %(n)s 个字符）") % {"head": value[:length], "n": len(value)}


# -- what a cell may start with ----------------------------------------------------------------------------

_SIGNED_NUMBER = re.compile(r"[+-][\d\s().\-]*")
FORMULA_CHARS = "=@+-"


def formula_start(text: str) -> str:
    """The character that would make a spreadsheet read ``text`` as a formula, or "".

    The rule (cells are stripped first): a text starting with ``=`` or ``@`` is a formula; one starting with
    ``+`` or ``-`` is one unless the rest is only digits, spaces, dots, dashes and brackets — a negative number
    (``-3``, ``-2.5``), a phone number (``+86 139-1234-5678``) or a lone dash meaning "none" (``-``). So
    ``-2+3+cmd|' /C calc'!A0`` is refused, and ``=HYPERLINK(…)``, ``@SUM(…)``, ``+A1``. Only free-text fields
    are checked: numbers, dates, codes and relations are parsed, and such a cell fails their parsing anyway."""
    if not text or text[0] not in FORMULA_CHARS:
        return ""
    if text[0] in "=@" or not _SIGNED_NUMBER.fullmatch(text):
        return text[0]
    return ""


# -- looking before reading ----------------------------------------------------------------------------------


def sniff(head: bytes) -> str:
    """What the first bytes of a file say it is: "zip" (.xlsx), "ole" (.xls) or "" (anything else)."""
    if head.startswith((_ZIP, _ZIP_EMPTY)):
        return "zip"
    if head.startswith(_OLE):
        return "ole"
    return ""


def check_file(source: str | Path | IO[bytes], name: str | None = None) -> None:
    """Refuse a file whose content is not what its extension says, or a workbook that expands beyond the
    bounds, before any reader opens it. ``source`` is a path or a binary file (an upload: left at its start)."""
    if isinstance(source, str | Path):
        with Path(source).open("rb") as fh:
            check_file(fh, name or str(source))
        return
    suffix = Path(name or getattr(source, "name", "") or "").suffix.lower()
    source.seek(0)
    head = source.read(4096)
    source.seek(0)
    kind = sniff(head)
    if suffix == ".csv":
        if kind:
            real = ".xlsx" if kind == "zip" else ".xls"
            raise ImportFileError(
                _("文件内容是 Excel 工作簿而不是 CSV 文本，请把扩展名改为 %(suffix)s 后重新上传") % {"suffix": real}
            )
        if b"\x00" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise ImportFileError(_binary_message())
    elif suffix == ".xlsx":
        if kind == "ole":
            raise ImportFileError(
                _(
                    "文件内容是 Excel 97-2003 工作簿（.xls），或是设置了打开密码的工作簿：请取消密码，"
                    "另存为 .xlsx 后重新上传"
                )
            )
        if kind != "zip":
            raise ImportFileError(
                _(
                    "无法读取 Excel 文件：文件内容不是 .xlsx 工作簿（可能是其他类型的文件改了扩展名），"
                    "请在 Excel 中另存为 .xlsx 后重新上传"
                )
            )
        check_workbook(source)
        source.seek(0)
    elif suffix == ".xls":
        if kind == "zip":
            raise ImportFileError(_("文件内容是 .xlsx 工作簿，请把扩展名改为 .xlsx 后重新上传"))
        if kind != "ole":
            raise ImportFileError(
                _(
                    "无法读取 Excel 97-2003 文件：文件内容不是 .xls 工作簿（可能是网页或文本文件改了扩展名），"
                    "请用 Excel 打开后另存为 .xlsx 再上传"
                )
            )


def _binary_message() -> str:
    return _(
        "文件不是文本格式的 CSV（含有二进制内容，可能是其他类型的文件改了扩展名，或是不带 BOM 的 UTF-16 文本），"
        "请在 Excel 中另存为 .xlsx 或“CSV UTF-8”后重新上传"
    )


def _directory(fh: IO[bytes]) -> tuple[int, int]:
    """(members, size of the central directory) from a zip's end record: read before :class:`zipfile.ZipFile`
    reads the directory, whose entries it holds in memory."""
    fh.seek(0, os.SEEK_END)
    size = fh.tell()
    back = min(size, _EOCD.size + 65535)
    fh.seek(size - back)
    tail = fh.read(back)
    at = tail.rfind(_ZIP_EMPTY)
    if at < 0 or len(tail) - at < _EOCD.size:
        raise zipfile.BadZipFile("no end of central directory")
    fields = _EOCD.unpack(tail[at : at + _EOCD.size])
    return fields[4], fields[5]


def check_workbook(source: str | Path | IO[bytes], bounds: Limits | None = None) -> int:
    """Refuse a workbook that would expand beyond the bounds, from its zip directory alone (nothing is
    decompressed but the content-type list); the total uncompressed size of its members otherwise."""
    bounds = bounds or limits()
    if isinstance(source, str | Path):
        with Path(source).open("rb") as fh:
            return check_workbook(fh, bounds)
    try:
        members, directory = _directory(source)
        if members > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
            raise ImportFileError(
                _("Excel 文件结构异常（包含 %(n)s 个部件），疑似恶意文件，已拒绝导入") % {"n": members}
            )
        source.seek(0)
        with zipfile.ZipFile(source) as archive:
            infos = archive.infolist()
            shared = {i.filename for i in infos if i.filename.lower().endswith("sharedstrings.xml")}
            types = next((i for i in infos if i.filename == "[Content_Types].xml"), None)
            if types is not None and types.file_size <= MB:
                shared.update(m.decode("utf-8", "replace") for m in _SHARED_STRINGS.findall(archive.read(types)))
    except (zipfile.BadZipFile, zlib.error, struct.error, NotImplementedError, RuntimeError, EOFError) as exc:
        raise ImportFileError(
            _("无法读取 Excel 文件：文件不是有效的 .xlsx 工作簿（%(err)s），请在 Excel 中另存为 .xlsx 后重新上传")
            % {"err": exc}
        ) from exc
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > RATIO_MIN_BYTES and info.file_size > bounds.ratio * max(info.compress_size, 1):
            raise ImportFileError(
                _(
                    "文件中的“%(part)s”解压后 %(size)s MB，是压缩后的 %(ratio)s 倍（上限 %(max)s 倍），"
                    "疑似压缩炸弹，已拒绝导入"
                )
                % {
                    "part": info.filename,
                    "size": info.file_size // MB,
                    "ratio": info.file_size // max(info.compress_size, 1),
                    "max": bounds.ratio,
                }
            )
        # what a reader loads whole: the shared strings, styles, the workbook (the sheet itself is streamed)
        whole = info.filename in shared or not info.filename.startswith("xl/worksheets/")
        if whole and info.file_size > bounds.shared_strings:
            raise ImportFileError(
                _("文件中的“%(part)s”解压后超过 %(max)s MB（共享字符串等需整体读入的部分），疑似压缩炸弹，已拒绝导入")
                % {"part": info.filename, "max": bounds.shared_strings // MB}
            )
    if total > bounds.uncompressed:
        raise ImportFileError(
            _("文件解压后超过 %(max)s MB（约 %(size)s MB），疑似压缩炸弹，已拒绝导入；如确为正常文件，请拆分后分批导入")
            % {"max": bounds.uncompressed // MB, "size": total // MB}
        )
    return total


# -- CSV ---------------------------------------------------------------------------------------------------------


def text_encoding(path: Path) -> str:
    """The encoding of a CSV: UTF-16 when it starts with its BOM, UTF-8 (with or without BOM) when the whole file
    decodes as UTF-8, else GB18030 (a superset of GBK) when it decodes as that. Checked chunk by chunk, so that a
    large file is never held in memory; a file with NUL characters (binary, or UTF-16 without its BOM) or one that
    is neither is refused."""
    with path.open("rb") as fh:
        head = fh.read(4)
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        candidates = ["utf-32"]
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = ["utf-16"]
    elif head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(MB), b""):
                    if "\x00" in decoder.decode(chunk):
                        raise ImportFileError(_binary_message())
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise ImportFileError(
        _("无法识别文件的编码（既不是 UTF-8，也不是 GBK/GB18030），请在 Excel 中另存为“CSV UTF-8”或 .xlsx 后重新上传")
    )


class _LongLine(Exception):
    """A physical line longer than the bound."""


def _lines(fh: IO[str], limit: int) -> Iterator[str]:
    """The lines of a text file, none longer than ``limit`` characters (a longer one stops the reading before it
    is held in memory: ``readline`` with a size reads at most that many)."""
    while True:
        line = fh.readline(limit)
        if not line:
            return
        if len(line) >= limit and not line.endswith(("\n", "\r")):
            raise _LongLine
        yield line


def csv_rows(path: Path, bounds: Limits | None = None) -> Iterator[list[str]]:
    """The records of a CSV (delimiter sniffed: comma, tab or semicolon), with the line length and the field size
    bounded: an over-long field or line is refused with its row number, not raised as ``csv.Error``."""
    bounds = bounds or limits()
    encoding = text_encoding(path)
    if csv.field_size_limit() <= bounds.cell_chars:  # the module's limit (131,072) holds Excel's 32,767
        csv.field_size_limit(bounds.cell_chars + 1)
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        try:
            dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(_lines(fh, bounds.cell_chars * LINE_CELLS), dialect)
        number = 0
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except _LongLine:
                raise ImportFileError(
                    _("第 %(row)s 行超过 %(max)s 个字符，疑似异常文件，已拒绝导入")
                    % {"row": number + 1, "max": bounds.cell_chars * LINE_CELLS}
                ) from None
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise ImportFileError(
                        _("第 %(row)s 行有单元格超过 %(max)s 个字符的上限，疑似异常文件，已拒绝导入")
                        % {"row": number + 1, "max": bounds.cell_chars}
                    ) from None
                raise ImportFileError(
                    _("第 %(row)s 行不是有效的 CSV（%(err)s），已拒绝导入") % {"row": number + 1, "err": exc}
                ) from None
            number += 1
            yield row


# -- bounds while reading ------------------------------------------------------------------------------------


def bounded(rows: Iterable[Any], bounds: Limits | None = None) -> Iterator[Any]:
    """``rows`` as they are, refused at the first row beyond the row limit, with too many columns (trailing blank
    cells aside) or with a cell longer than the character limit (named by its row and column)."""
    bounds = bounds or limits()
    max_rows, max_chars, max_columns = bounds.rows, bounds.cell_chars, bounds.columns
    for number, row in enumerate(rows, 1):
        if number > max_rows:
            raise ImportFileError(
                _("文件超过 %(max)s 行的上限，已拒绝导入；请拆分为多个文件分批导入") % {"max": max_rows}
            )
        if len(row) > max_columns:
            row = list(row)
            while row and row[-1] in (None, ""):
                row.pop()
            if len(row) > max_columns:
                raise ImportFileError(
                    _("第 %(row)s 行有 %(n)s 列，超过 %(max)s 列的上限，疑似异常文件，已拒绝导入")
                    % {"row": number, "n": len(row), "max": max_columns}
                )
        for index, value in enumerate(row):
            if type(value) is str and len(value) > max_chars:
                raise ImportFileError(
                    _(
                        "第 %(row)s 行 %(col)s 列的单元格有 %(n)s 个字符，超过 %(max)s 个字符的上限，"
                        "疑似异常文件，已拒绝导入"
                    )
                    % {"row": number, "col": column_letter(index), "n": len(value), "max": max_chars}
                )
        yield row


# -- calamine in a child process ---------------------------------------------------------------------------------

_BATCH = 1000
#: seconds calamine may take to load a sheet (some 20 for the largest it is given) before the file is refused
LOAD_TIMEOUT = 600
_TEMPORAL = (datetime.datetime, datetime.date, datetime.time, datetime.timedelta)


def _encode(value: Any) -> Any:
    """A cell marshal cannot carry, as a (kind, text) tuple (cells are never tuples otherwise)."""
    if isinstance(value, datetime.datetime):
        return (1, value.isoformat())
    if isinstance(value, datetime.date):
        return (2, value.isoformat())
    if isinstance(value, datetime.time):
        return (3, value.isoformat())
    if isinstance(value, datetime.timedelta):
        return (4, value.total_seconds())
    return str(value)


def _decode(value: Any) -> Any:
    if type(value) is not tuple:
        return value
    kind, text = value
    if kind == 1:
        return datetime.datetime.fromisoformat(text)
    if kind == 2:
        return datetime.date.fromisoformat(text)
    if kind == 3:
        return datetime.time.fromisoformat(text)
    return datetime.timedelta(seconds=text)


def _send(out: IO[bytes], frame: tuple) -> None:
    data = marshal.dumps(frame)
    out.write(len(data).to_bytes(8, "little"))
    out.write(data)


def _receive(source: IO[bytes]) -> tuple | None:
    head = source.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "little")
    data = source.read(size)
    return marshal.loads(data) if len(data) == size else None


def _limit_memory(budget: int) -> bool:
    """Cap this (child) process's address space at what it uses now plus ``budget`` bytes: an allocation beyond
    fails (calamine then aborts the child, not the worker). False where that cannot be done."""
    try:
        import resource

        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = used + budget if hard == resource.RLIM_INFINITY else min(used + budget, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        return False
    return True


def _calamine_child(path: str, fd: int, budget: int) -> None:
    """In the child: read the first sheet with calamine under the memory cap; send a "loaded" frame with the
    column the sheet's range starts at, then the rows in batches, then an "end" frame."""
    import faulthandler

    faulthandler.disable()  # an aborted allocation is expected here: the parent logs what happened
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)  # (calamine prints a Rust backtrace)
    if not _limit_memory(budget):
        return
    from python_calamine import CalamineWorkbook

    sheet = CalamineWorkbook.from_path(path).get_sheet_by_index(0)
    start = sheet.start[1] if sheet.start else 0
    with os.fdopen(fd, "wb", buffering=MB) as out:
        _send(out, ("loaded", start))
        batch: list = []
        for row in sheet.iter_rows():
            batch.append(row)
            if len(batch) >= _BATCH:
                _send_rows(out, batch)
                batch = []
        if batch:
            _send_rows(out, batch)
        _send(out, ("end",))


def _send_rows(out: IO[bytes], batch: list) -> None:
    try:
        _send(out, ("rows", batch, ()))
        return
    except ValueError:  # dates and times: marshal carries none
        pass
    marked = []
    for i, row in enumerate(batch):
        if any(type(v) not in (str, float, int, bool) and v is not None for v in row):
            batch[i] = [v if type(v) in (str, float, int, bool) or v is None else _encode(v) for v in row]
            marked.append(i)
    _send(out, ("rows", batch, marked))


def calamine_rows(path: Path, budget: int) -> Iterator[list[Any]] | None:
    """The first sheet's rows read by calamine in a forked child capped at ``budget`` bytes more than it starts
    with, or None when the child could not read it (no fork here, or calamine refused the file): the caller then
    streams the workbook with openpyxl. A child that ran out of its memory (a sheet whose cells span far more than
    its data: calamine allocates the whole span) is a refused file. Blocks until the child has loaded the sheet;
    rows then stream while the child sends them. Leading blank columns (which calamine drops) are put back, so
    that column positions match the sheet's."""
    if not hasattr(os, "fork"):
        return None
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child (coverage does not follow it)
        code = 1
        try:
            os.close(read_fd)
            _calamine_child(str(path), write_fd, budget)
            code = 0
        except BaseException:
            pass  # the parent sees the frames missing and reads the workbook with openpyxl
        finally:
            os._exit(code)  # never the parent's cleanup (its database connections are shared)
    os.close(write_fd)
    ready, _writable, _errors = select.select([read_fd], [], [], LOAD_TIMEOUT)
    if not ready:  # calamine spins on the file: the job must not wait for ever
        os.close(read_fd)
        _reap(pid, kill=True)
        raise ImportFileError(
            _("读取该 Excel 文件超过 %(n)s 秒仍未完成，疑似异常文件，已拒绝导入") % {"n": LOAD_TIMEOUT}
        )
    source = os.fdopen(read_fd, "rb", buffering=MB)
    try:
        first = _receive(source)
    except (OSError, ValueError, EOFError, TypeError):
        first = None
    if not first or first[0] != "loaded":
        source.close()
        status = _reap(pid, kill=False)  # it has ended (its end of the pipe is closed): how?
        if os.WIFSIGNALED(status):  # calamine aborted on its memory cap (or was killed): no reader should try it
            logger.warning("calamine ended by signal %s on %s: refused", os.WTERMSIG(status), path)
            raise ImportFileError(
                _(
                    "读取该 Excel 文件所需的内存超出上限（工作表中可能有远离数据区的单元格），"
                    "疑似异常文件，已拒绝导入；请在 Excel 中删除多余的行和列，另存为 .xlsx 后重新上传"
                )
            )
        logger.info("calamine could not read %s (child status %s): reading it with openpyxl", path, status)
        return None
    return _stream(source, pid, first[1])


def _stream(source: IO[bytes], pid: int, start: int) -> Iterator[list[Any]]:
    pad = [None] * start
    try:
        while True:
            frame = _receive(source)
            if frame is None:
                raise ImportFileError(
                    _("读取 Excel 文件时中断，文件未导入；请重试，或在 Excel 中另存为 .xlsx 后重新上传")
                )
            if frame[0] == "end":
                return
            rows = frame[1]
            for i in frame[2]:
                rows[i] = [_decode(v) for v in rows[i]]
            if pad:
                rows = [pad + row for row in rows]
            yield from rows
    finally:
        source.close()
        _reap(pid, kill=True)


def _reap(pid: int, *, kill: bool) -> int:
    """Collect the child's status; with ``kill``, end it first (it may still be writing when the reader stops
    early)."""
    if kill:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return os.waitpid(pid, 0)[1]


@contextlib.contextmanager
def command_file_errors(path: str) -> Iterator[None]:
    """In a management command that reads a reference CSV (divisions, holidays): a missing file, a field over
    the csv module's limit or a file that is not UTF-8 becomes a ``CommandError`` naming the file, not a
    traceback; nothing is imported."""
    from django.core.management.base import CommandError

    try:
        yield
    except FileNotFoundError as exc:
        raise CommandError(_("文件不存在：%(path)s") % {"path": path}) from exc
    except (csv.Error, UnicodeDecodeError) as exc:
        raise CommandError(
            _("无法读取文件 %(path)s（应为 UTF-8 编码的 CSV）：%(err)s，未导入任何数据") % {"path": path, "err": exc}
        ) from exc
