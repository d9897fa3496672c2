"""The register import: a community's Excel register (花名册) → persons, households and memberships.

It reuses :mod:`tongxin.core.importer` (file reading, header aliases, the job, the error workbook) and
replaces the per-row form with a two-pass path built for files of a million rows:

1. **Validate.** Every row is parsed and checked (ID number, sex and birth date against it, ethnicity,
   codes, phones); rejected rows are recorded with every reason; valid rows are spilled to a temporary
   file (``marshal``), so memory does not grow with the file. ID numbers are counted, so that a number
   on two rows rejects both (the file contradicts itself), and households' heads are counted.
2. **Write.** Groups, party branches and households first, then persons in chunks: existing persons are
   found by the keyed hash of their ID number (or by name + birth date + sex), compared field by field,
   and created or updated in bulk, with their memberships; then households' heads. Every write is one
   change-log entry under the import's batch id.

A blank cell never clears a stored value (a register may be partial); a changed cell updates that field.
"""

from __future__ import annotations

import datetime
import marshal
import multiprocessing
import os
import re
import tempfile
import threading
import uuid
from collections import Counter, deque, namedtuple
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from django.db import connections, router, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit, bulk, codes, crypto, idnumber, normalize, scoping
from tongxin.core.importer import HeaderMap, ImportFileError, cell_text, estimate_rows, map_headers, read_rows
from tongxin.core.models import ObjectChange
from tongxin.org.models import Division, Grid
from tongxin.registry.models import (
    DERIVED_FIELDS,
    HEAD_RELATIONSHIPS,
    Household,
    Membership,
    NameKey,
    PartyBranch,
    Person,
)

CHUNK = 2000
LOOKAHEAD = 3  # chunks read, with their lookups queued, before the chunk being written (see _chunk)
SPILL_BATCH = 1000
PARSE_BATCH = 1000  # rows a parsing process takes at a time
PARALLEL_MIN_ROWS = 20_000  # a smaller file is parsed in the importing process (starting processes costs more)
_SEP = "\x1f"  # joins a spilled row's cells (one string per row keeps the spill file fast to read back)
_MASKED_ID = re.compile(r"\d{6}\*{4,}\d{3}[\dX]")
MAX_PROBLEMS = 100_000

# field → accepted headers (the first is the template's header)
HEADERS: dict[str, list[str]] = {
    "household_number": ["户号", "户编号", "户口编号"],
    "name": ["姓名", "居民姓名"],
    "id_number": ["公民身份号码", "身份证号", "身份证号码", "证件号码", "身份证", "公民身份证号码"],
    "sex": ["性别"],
    "ethnicity": ["民族"],
    "birth_date": ["出生日期", "出生年月日", "出生年月", "生日"],
    "relationship": ["与户主关系", "关系", "与户主的关系"],
    "group": ["居民小组", "村民小组", "小组", "所属小组", "组别", "组"],
    "grid": ["网格", "所属网格", "网格编号", "网格名称"],
    "current_address": ["现住址", "居住地址", "现居住地址", "现居住地", "住址"],
    "hukou_address": ["户籍地址", "户籍地", "户籍所在地", "户口所在地"],
    "phone": ["联系电话", "手机号码", "电话", "手机", "联系方式", "电话号码"],
    "registration_status": ["人口类型", "人员类型", "居住类型", "人口性质"],
    "political_status": ["政治面貌"],
    "party_branch": ["所在党组织", "党组织", "所在党支部", "党支部"],
    "party_joined": ["入党日期", "入党时间"],
    "education": ["文化程度", "学历"],
    "marital_status": ["婚姻状况", "婚姻状态"],
    "employer": ["工作单位", "单位", "工作单位及职务"],
    "occupation": ["职业"],
    "notes": ["备注", "说明"],
}
# Messages of the coded columns (lazy: translated only when a row needs one).
MSG_ETHNICITY = gettext_lazy("民族“%(v)s”不在民族代码表中")
MSG_RELATIONSHIP = gettext_lazy("与户主关系“%(v)s”无法识别，已留空")
MSG_REGISTRATION = gettext_lazy("人口类型“%(v)s”无法识别，已留空")
MSG_POLITICAL = gettext_lazy("政治面貌“%(v)s”无法识别，已留空")
MSG_EDUCATION = gettext_lazy("文化程度“%(v)s”无法识别，已留空")
MSG_MARITAL = gettext_lazy("婚姻状况“%(v)s”无法识别，已留空")

# Columns the template and the export write, in order.
COLUMNS: tuple[str, ...] = tuple(HEADERS)

# Spilled row layout (a tuple, for marshal): the indexes of the values.
_FIELDS = (
    "row",
    "name",
    "id_number",
    "sex",
    "birth_date",
    "ethnicity",
    "relationship",
    "group",
    "grid",
    "current_address",
    "hukou_address",
    "phone",
    "phone_other",
    "registration_status",
    "political_status",
    "party_branch",
    "party_joined",
    "education",
    "marital_status",
    "employer",
    "occupation",
    "notes",
    "household_number",
    "masked_id",
    "id_hash",
    "warnings",
    "shown",
)
_I = {name: i for i, name in enumerate(_FIELDS)}
# Person attributes a row may set, with the column that carries them.
_PERSON_ATTRS = (
    ("name", "name"),
    ("id_number", "id_number"),
    ("sex", "sex"),
    ("birth_date", "birth_date"),
    ("ethnicity", "ethnicity"),
    ("current_address", "current_address"),
    ("hukou_address", "hukou_address"),
    ("phone", "phone"),
    ("phone_other", "phone"),
    ("registration_status", "registration_status"),
    ("political_status", "political_status"),
    ("party_joined", "party_joined"),
    ("education", "education"),
    ("marital_status", "marital_status"),
    ("employer", "employer"),
    ("occupation", "occupation"),
    ("notes", "notes"),
)
# The person columns the import reads to match and compare a row: every attribute a row may set, and what its
# messages show. A stored person is a tuple of these; the model instance is loaded only for a person a row
# changes (most rows of a re-import change nothing, and a million instances cost more than the comparison).
_STORED_FIELDS = tuple(
    dict.fromkeys(
        (
            "id",
            "community_id",
            "id_hash",
            "life_status",
            "life_status_date",
            "household_id",
            "relationship",
            "group_id",
            "grid_id",
            "party_branch_id",
            *(attr for attr, _column in _PERSON_ATTRS),
        )
    )
)


class _Stored(namedtuple("_Stored", _STORED_FIELDS)):
    """A stored person as the import compares them (see :data:`_STORED_FIELDS`)."""

    __slots__ = ()

    @property
    def pk(self) -> int:
        return self.id


def _stored(queryset) -> Iterator[_Stored]:
    """The persons of ``queryset`` as :class:`_Stored` tuples (no model instances, no ordering join)."""
    return map(_Stored._make, queryset.order_by().values_list(*_STORED_FIELDS))


@dataclass(slots=True)
class _HouseholdInfo:
    """What the file says about one household: from its head row (or its first row)."""

    group: int | None = None
    grid: int | None = None
    address: str = ""
    registration_status: str = ""
    heads: int = 0
    rows: int = 0
    from_head: bool = False


@dataclass
class Outcome:
    """Counts and problems of one run."""

    counts: dict[str, int] = field(
        default_factory=lambda: {
            "rows": 0,
            "created": 0,
            "updated": 0,
            "unchanged": 0,
            "rejected": 0,
            "warnings": 0,
            "households_created": 0,
            "households_updated": 0,
        }
    )
    problems: list[dict[str, Any]] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    branches_created: list[str] = field(default_factory=list)
    possible_duplicates: int = 0
    truncated: int = 0

    headers: list[str] = field(default_factory=list)

    def mark(self) -> tuple:
        """What has been counted so far, for :meth:`reset`."""
        return (
            dict(self.counts),
            len(self.problems),
            self.truncated,
            self.possible_duplicates,
            len(self.groups_created),
            len(self.branches_created),
        )

    def reset(self, mark: tuple) -> None:
        """Forget what was counted after :meth:`mark` (a write that is rolled back and done again)."""
        counts, problems, self.truncated, self.possible_duplicates, groups, branches = mark
        self.counts = dict(counts)
        del self.problems[problems:]
        del self.groups_created[groups:]
        del self.branches_created[branches:]

    def spilled(self, row: tuple, status: str, error: str | None = None) -> None:
        """Count a row of the second pass (a spilled tuple), rejected with ``error`` when given."""
        self.add(row[0], status, row[_I["shown"]], [error] if error else None, row[_I["warnings"]])

    def add(
        self, row: int, status: str, shown: list | str, errors: list[str] | None = None, warnings: list[str] = ()
    ) -> None:
        """Count a row; keep it as a problem when it has errors or warnings. ``shown`` is the row's cells as
        (header, value) pairs, or packed into one string by the first pass."""
        self.counts[status] += 1
        if warnings and status != "rejected":
            self.counts["warnings"] += 1
        if errors or warnings:
            if len(self.problems) < MAX_PROBLEMS:
                if isinstance(shown, str):
                    shown = [[h, v] for h, v in zip(self.headers, shown.split(_SEP), strict=False)]
                self.problems.append(
                    {"row": row, "status": status, "errors": errors or [], "warnings": list(warnings), "values": shown}
                )
            else:
                self.truncated += 1


def _spill(rows: list[tuple], spill) -> None:
    """Append a batch of rows to the spill file (length-prefixed marshal: one read per batch)."""
    data = marshal.dumps(rows)
    spill.write(len(data).to_bytes(8, "little"))
    spill.write(data)


def _spilled(spill) -> Iterator[tuple]:
    """The rows spilled by the first pass, in file order."""
    while True:
        head = spill.read(8)
        if len(head) < 8:
            return
        yield from marshal.loads(spill.read(int.from_bytes(head, "little")))


# (importer, column map, birth date column) of the run whose rows the parsing processes check: set before they
# are forked, so that each inherits it (reference data, code tables) instead of receiving it with every batch.
_PARSING: tuple[Any, dict[str, int], int | None] | None = None
_FORKING = threading.Lock()


def _parse_batch(batch: list[tuple[int, list]]) -> list[tuple]:
    """Check a batch of rows in a parsing process (see :meth:`RegisterImporter._parse_rows`)."""
    importer, columns, birth_col = _PARSING
    return importer._parse_rows(batch, columns, birth_col)


def _batches(rows: Iterator, size: int) -> Iterator[list]:
    batch: list = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _parse_processes(rows: int) -> int:
    """How many processes check the rows of a file of about ``rows`` rows (1: the importing process alone).
    On a machine with several cores, the first pass of a large file is otherwise the one part of the import
    that leaves the database idle and every core but one unused."""
    if rows < PARALLEL_MIN_ROWS or "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return min(cores, 4)


def _id_conflict(error: BaseException) -> bool:
    """Whether ``error`` is the unique index of persons' ID numbers refusing a row (PostgreSQL names the index;
    SQLite the column)."""
    for e in (error, error.__cause__):
        diag = getattr(e, "diag", None)
        if diag is not None and getattr(diag, "constraint_name", None) == "registry_person_unique_id_number":
            return True
    return "registry_person.id_hash" in str(error)


def _namesakes(community_id: int, keys: set[tuple[str, str]]) -> Iterator[tuple]:
    """(pk, name, birth date, sex, ID hash) of the community's persons with one of the (name, ISO birth date)
    ``keys``. On PostgreSQL one probe of the (community, name, birth date) index per key, joined to the keys
    as arrays: filtering by the names and the dates separately would read every namesake of a large
    community (common names recur thousands of times in a million persons)."""
    if not keys:
        return iter(())
    connection = connections[router.db_for_read(Person)]
    if connection.vendor != "postgresql":
        births = {datetime.date.fromisoformat(b) for _n, b in keys}
        return iter(
            Person.objects.filter(community_id=community_id, name__in={n for n, _b in keys}, birth_date__in=births)
            .order_by()
            .values_list("pk", "name", "birth_date", "sex", "id_hash")
        )
    names, births = zip(*sorted(keys), strict=True)
    table = connection.ops.quote_name(Person._meta.db_table)
    with connection.cursor() as cursor:
        # LATERAL with OFFSET 0 (kept apart from the outer query): one index probe per key, whatever the
        # planner believes of a table this very transaction is filling (its statistics predate the import)
        cursor.execute(
            "SELECT p.id, p.name, p.birth_date, p.sex, p.id_hash"
            " FROM unnest(%s::varchar[], %s::date[]) AS k(name, birth), LATERAL ("
            f" SELECT id, name, birth_date, sex, id_hash FROM {table}"
            " WHERE community_id = %s AND name = k.name AND birth_date = k.birth OFFSET 0) p",
            [list(names), [datetime.date.fromisoformat(b) for b in births], community_id],
        )
        return iter(cursor.fetchall())


class RegisterImporter:
    """Import a register file into one community.

    ``user`` is the person importing (their scope is checked); ``None`` is the command line, which acts
    for the whole deployment.
    """

    model: ClassVar[type] = Person
    headers: ClassVar[dict[str, list[str]]] = HEADERS
    needs_community: ClassVar[bool] = True
    upload_help = gettext_lazy(
        "上传后先校验并预览每一行的问题，确认后才写入。居民按身份证号对应（没有身份证号的按姓名、性别、出生日期），"
        "只更新有变化的单元格，空白单元格不会清空已有信息；同一身份证号在文件中出现多次的各行都不导入。"
    )

    @classmethod
    def template(cls) -> bytes:
        """The blank register workbook users download."""
        return template_workbook()

    @classmethod
    def header_help(cls) -> list[tuple[str, list[str]]]:
        """(column, accepted headers) for the upload page."""
        return [(names[0], names) for names in HEADERS.values()]

    example: ClassVar[dict[str, str]] = {
        "household_number": "0001",
        "name": "张丽",
        "id_number": "530424198001020023",
        "sex": "女",
        "ethnicity": "汉族",
        "birth_date": "1980-01-02",
        "relationship": "户主",
        "group": "第一居民小组",
        "grid": "CG01",
        "current_address": "宁州街道城关社区XX路1号",
        "hukou_address": "云南省华宁县宁州街道城关社区",
        "phone": "13912345678",
        "registration_status": "户籍人口",
        "political_status": "群众",
        "education": "大学本科",
        "marital_status": "已婚",
    }

    def __init__(self, user: Any, community: Division | None = None, today: datetime.date | None = None):
        self.user = user
        self.community = community
        self.today = today or timezone.localdate()
        self.write = False
        self._codes: dict[tuple[str, str], str] = {}  # (code table, text) → code ('' when unknown)

    # -- reference data ------------------------------------------------------------------------

    def _reference(self) -> None:
        community = self.community
        if community is None or community.level != Division.Level.COMMUNITY:
            raise ImportFileError(_("请选择要导入到的社区/村"))
        if (
            self.user is not None
            and not scoping.allowed_divisions(self.user, Person, "import").filter(pk=community.pk).exists()
        ):
            raise ImportFileError(_("您没有向“%(c)s”导入居民的权限") % {"c": community})
        self.village = community.name.endswith("村")
        self.groups: dict[int, int] = {}
        for pk, code in Division.objects.filter(parent=community, level=Division.Level.GROUP).values_list("pk", "code"):
            if code.startswith(community.code) and code[len(community.code) :].isdigit():
                self.groups[int(code[len(community.code) :])] = pk
        self.grids: dict[str, int] = {}
        for pk, code, name in Grid.objects.filter(community=community).values_list("pk", "code", "name"):
            self.grids[code] = pk
            self.grids.setdefault(name, pk)
        self.branches: dict[str, int] = dict(PartyBranch.objects.filter(community=community).values_list("name", "pk"))

    # -- pass 1: parse and validate --------------------------------------------------------------

    def parse_row(self, number: int, values: dict[str, str], raw_birth: Any) -> tuple[tuple | None, list[str], list]:
        """Check one row; (spilled tuple or None when rejected, errors, warnings)."""
        errors: list[str] = []
        warnings: list[str] = []
        name = values.get("name", "").replace(" ", "")
        if not name:
            errors.append(_("姓名：不能为空"))
        id_text = values.get("id_number", "")
        info = None
        masked = ""
        if id_text and _MASKED_ID.fullmatch(idnumber.normalize(id_text)):
            masked, id_text = idnumber.normalize(id_text), ""  # from a masked export: matched, never changed
        if id_text:
            try:
                info = idnumber.parse(id_text, today=self.today)
            except idnumber.IdNumberError as exc:
                errors.append(_("公民身份号码：%(e)s") % {"e": exc})
        sex_text = values.get("sex", "")
        sex = ""
        if sex_text:
            sex = self._lookup_code("sex", sex_text.rstrip("性"))
            if not sex:
                errors.append(_("性别“%(v)s”无法识别（应为男或女）") % {"v": sex_text})
        birth: datetime.date | None = None
        birth_text = values.get("birth_date", "")
        birth_month = None
        if birth_text:
            try:
                birth = normalize.date(raw_birth if raw_birth not in (None, "") else birth_text)
            except ValueError:
                birth_month = normalize.year_month(birth_text)  # 出生年月 (1980.01): checked against the ID below
                if birth_month is None:
                    errors.append(_("出生日期“%(v)s”不是有效日期") % {"v": birth_text})
        if birth_month is not None and info is not None:
            if birth_month != (info.birth_date.year, info.birth_date.month):
                errors.append(
                    _("出生年月“%(v)s”与身份证号不符（身份证号为 %(e)s）")
                    % {"v": birth_text, "e": info.birth_date.isoformat()}
                )
        elif birth_month is not None and not id_text and not masked:
            errors.append(_("出生日期“%(v)s”只有年月；没有身份证号时需要完整的出生日期") % {"v": birth_text})
        if info is not None:
            if sex and sex in ("1", "2") and sex != info.sex:
                errors.append(
                    _("性别“%(v)s”与身份证号不符（身份证号为%(e)s性）")
                    % {"v": sex_text, "e": codes.table("sex").name_of(info.sex)}
                )
            if birth and birth != info.birth_date:
                errors.append(
                    _("出生日期“%(v)s”与身份证号不符（身份证号为 %(e)s）")
                    % {"v": birth_text, "e": info.birth_date.isoformat()}
                )
            sex = sex or info.sex
            birth = birth or info.birth_date
            if info.upgraded_from:
                warnings.append(
                    _("15 位身份证号“%(old)s”已升级为 18 位“%(new)s”") % {"old": info.upgraded_from, "new": info.number}
                )
        elif not id_text and not masked and name:
            if not sex:
                errors.append(_("没有身份证号时必须填写性别"))
            if not birth and birth_month is None:
                errors.append(_("没有身份证号时必须填写出生日期"))
        ethnicity = self._code(values, "ethnicity", "ethnicity", errors, None, MSG_ETHNICITY)
        relationship = self._code(values, "relationship", "relationship", None, warnings, MSG_RELATIONSHIP)
        registration = self._code(
            values, "registration_status", "registration_status", None, warnings, MSG_REGISTRATION
        )
        political = self._code(values, "political_status", "political_status", None, warnings, MSG_POLITICAL)
        education = self._code(values, "education", "education", None, warnings, MSG_EDUCATION)
        marital = self._code(values, "marital_status", "marital_status", None, warnings, MSG_MARITAL)
        group = None
        group_text = values.get("group", "")
        if group_text:
            group = normalize.group_number(group_text)
            if group is None or group > 999:
                group = None
                warnings.append(_("居民小组“%(v)s”无法识别，已留空") % {"v": group_text})
        grid = None
        grid_text = values.get("grid", "")
        if grid_text:
            grid = self.grids.get(grid_text)
            if grid is None:
                warnings.append(_("网格“%(v)s”在本社区不存在，已留空") % {"v": grid_text})
        phone_text = values.get("phone", "")
        good, bad = normalize.phones("" if "*" in phone_text else phone_text)  # masked: keep the stored phones
        for b in bad:
            warnings.append(_("联系电话“%(v)s”无法识别，已按原样保存") % {"v": b})
        numbers = good + bad
        party_joined = None
        joined_text = values.get("party_joined", "")
        if joined_text:
            try:
                party_joined = normalize.date(joined_text)
            except ValueError:
                warnings.append(_("入党日期“%(v)s”不是有效日期，已留空") % {"v": joined_text})
        branch = values.get("party_branch", "")
        if errors:
            return None, errors, warnings
        spilled = (
            number,
            name,
            info.number if info else "",
            sex,
            birth.isoformat() if birth else "",
            ethnicity,
            relationship,
            group,
            grid,
            values.get("current_address", ""),
            values.get("hukou_address", ""),
            numbers[0] if numbers else "",
            ",".join(numbers[1:]),
            registration,
            political,
            branch,
            party_joined.isoformat() if party_joined else "",
            education,
            marital,
            values.get("employer", ""),
            values.get("occupation", ""),
            values.get("notes", ""),
            values.get("household_number", ""),
            masked,
            crypto.keyed_hash("id", info.number) if info else "",  # in the parsing processes, for the precheck
            warnings,
            None,
        )
        return spilled, errors, warnings

    def _lookup_code(self, table: str, text: str) -> str:
        """The code of ``text`` in a code table ('' when unknown); a register repeats a few dozen spellings, so
        each is looked up once per run."""
        code = self._codes.get((table, text))
        if code is None:
            entry = codes.table(table).lookup(text)
            code = self._codes[(table, text)] = entry.code if entry is not None else ""
        return code

    def _code(self, values, column, table, errors, warnings, message) -> str:
        text = values.get(column, "")
        if not text:
            return ""
        code = self._lookup_code(table, text)
        if not code:
            (errors if errors is not None else warnings).append(message % {"v": text})
        return code

    # -- the run ---------------------------------------------------------------------------------

    def process(
        self,
        path: str | Path,
        *,
        commit: bool,
        all_or_nothing: bool = False,
        progress: Callable[..., None] | None = None,
    ) -> dict[str, Any]:
        """Validate (and with ``commit`` write) the register; the summary, problems and batch id."""
        self._reference()
        self.write = commit
        self._estimate = estimate_rows(path)
        self._total = 2 * self._estimate
        rows = read_rows(path)
        hmap, data_rows = map_headers(rows, HEADERS)
        if "name" not in hmap.columns:
            raise ImportFileError(_("缺少必需的列：姓名"))
        out = self._outcome = Outcome(headers=[hmap.headers[i] for i in hmap.columns.values()])
        batch = uuid.uuid4()
        with (
            tempfile.TemporaryFile(prefix="tongxin-register-") as spill,
            tempfile.TemporaryFile(prefix="tongxin-register-ids-") as ids,
        ):
            dup_ids, dup_nokeys, households = self._pass1(hmap, data_rows, spill, ids, out, progress)
            first = out.mark()
            precheck = True
            self._all_or_nothing = all_or_nothing
            self._known = None
            while True:
                spill.seek(0)
                ids.seek(0)
                try:
                    self._write(spill, ids, precheck, hmap, dup_ids, dup_nokeys, households, out, progress, batch)
                    break
                except Exception as error:
                    # A person registered by someone else after the precheck (between the precheck and the write
                    # of their row, minutes for a large file): the unique index refused the row and the write
                    # rolled back. Done again with every row looked up as it is written (see _write).
                    if self._known is None or not _id_conflict(error):
                        raise
                    precheck = False
                    out.reset(first)
                    self._reference()  # the groups and branches the rolled-back write created are gone
        counts = out.counts
        if commit and all_or_nothing and counts["rejected"]:
            for key in ("created", "updated", "households_created", "households_updated"):
                counts[key] = 0
            counts["rolled_back"] = True
        out.problems.sort(key=lambda p: p["row"])
        return {
            "summary": counts,
            "unknown_columns": hmap.unknown,
            "header_row": hmap.header_row,
            "problems": out.problems,
            "batch_id": str(batch),
            "groups_created": out.groups_created,
            "branches_created": out.branches_created,
            "possible_duplicates": out.possible_duplicates,
            "problems_truncated": out.truncated,
        }

    def _write(self, spill, ids, precheck: bool, hmap, dup_ids, dup_nokeys, households, out: Outcome, progress, batch):
        """The write phase, in one transaction (rolled back for a dry run or an all-or-nothing run with rejected
        rows): households, persons and memberships chunk by chunk, heads, the change log.

        With ``precheck``, for a file of mostly new persons, the persons that already exist are first found for
        the whole file in one join of its ID numbers' hashes (``ids``, written by the first pass; see
        :func:`tongxin.core.bulk.matching`), and a chunk of rows whose numbers are all new is written without a
        query of its own: on a first import the per-chunk lookups were about a sixth of the server's work, at the
        time the server was the bottleneck. A person registered by someone else after that join is found by the
        unique index when their row is written: the caller then runs the write phase again without the
        precheck."""
        commit = self.write
        with (
            audit.audit_context(user=self.user, source=ObjectChange.Source.IMPORT, request_id=batch),
            transaction.atomic(),
            bulk.Writer() as self._writer,
        ):
            self._changes: list[ObjectChange] = []
            self._created: list[tuple[type, list[tuple[dict, str]]]] = []  # rows written without instances
            self._left: dict[int, set[int]] = {}  # household → persons whose membership this run ended
            self._matched: dict[int, int] = {}  # person → the row that matched them
            # whether a row with an ID number the register does not have yet may be a person registered
            # without one: the community has such persons (or this file adds them: see _noid_keys)
            self._noid_persons = Person.objects.filter(community=self.community, id_hash="").exists()
            # rows whose ID number some person has (a bitmap by row number), or None: every row is looked up
            self._known: bytearray | None = None
            known = None
            half = self._id_rows // 2
            if precheck and half and Person.objects.filter(community=self.community)[:half].count() < half:
                # mostly new persons (a community's re-import finds most rows: the join would save nothing)
                known = self._writer.call(self._precheck, ids)
            hh_ids = self._households(households, out)
            if known is not None:
                self._known = known.result()
            self._pass2(spill, hmap, dup_ids, dup_nokeys, households, hh_ids, out, progress)
            self._write_households()
            self._heads(hh_ids, out)
            self._flush_changes()
            if not commit or (self._all_or_nothing and out.counts["rejected"]):
                transaction.set_rollback(True)

    def _precheck(self, ids) -> bytearray:
        """The rows of the file whose ID number some person already has, as a bitmap by row number."""
        known = bytearray(self._last_row + 1)
        for row in bulk.matching(Person, "id_hash", ids, using=self._writer.connection.alias):
            known[row] = 1
        return known

    def _pass1(self, hmap: HeaderMap, data_rows: Iterator, spill, ids, out: Outcome, progress):
        # first sighting of each key → (household, is head); a key seen again is a duplicate: every row
        # carrying it is rejected, so it does not count for its household (members, heads)
        seen: dict[Any, tuple[str, bool]] = {}
        dup_ids: set[str] = set()
        dup_nokeys: set[tuple] = set()
        lost_rows: Counter[str] = Counter()
        lost_heads: Counter[str] = Counter()
        households: dict[str, _HouseholdInfo] = {}
        n = 0
        buffer: list[tuple] = []
        pairs: list[str] = []  # "row<TAB>ID hash" lines of the rows with an ID number, for the precheck (_write)
        self._id_rows = 0
        self._last_row = 0
        i_hash = _I["id_hash"]
        for number, spilled, errors, warnings, shown in self._parsed(hmap, data_rows):
            n += 1
            self._last_row = number
            if progress and n % 1000 == 0:
                progress(n, self._total)
            if spilled is None:
                out.counts["rows"] += 1
                out.add(number, "rejected", shown, errors, warnings)
                continue
            hh = spilled[_I["household_number"]]
            is_head = spilled[_I["relationship"]] in HEAD_RELATIONSHIPS
            key: Any = None
            if spilled[_I["id_number"]]:
                key, dups = spilled[_I["id_number"]], dup_ids
            elif not spilled[_I["masked_id"]]:
                key, dups = (spilled[_I["name"]], spilled[_I["birth_date"]], spilled[_I["sex"]]), dup_nokeys
            if key is not None:
                first = seen.get(key)
                if first is None:
                    seen[key] = (hh, is_head)
                else:
                    if key not in dups:
                        dups.add(key)
                        lost_rows[first[0]] += 1
                        lost_heads[first[0]] += first[1]
                    lost_rows[hh] += 1
                    lost_heads[hh] += is_head
            if hh:
                info = households.get(hh)
                if info is None:
                    info = households[hh] = _HouseholdInfo()
                info.rows += 1
                if is_head:
                    info.heads += 1
                if (is_head and not info.from_head) or info.rows == 1:
                    info.group = spilled[_I["group"]]
                    info.grid = spilled[_I["grid"]]
                    info.address = spilled[_I["current_address"]]
                    info.registration_status = spilled[_I["registration_status"]]
                    info.from_head = is_head
            buffer.append(spilled)
            if spilled[i_hash]:
                pairs.append(f"{number}\t{spilled[i_hash]}\n")
            if len(buffer) >= SPILL_BATCH:
                _spill(buffer, spill)
                buffer = []
                self._id_rows += len(pairs)
                ids.write("".join(pairs).encode())
                pairs = []
        if buffer:
            _spill(buffer, spill)
        self._id_rows += len(pairs)
        ids.write("".join(pairs).encode())
        self._pass1_rows = n
        # Keys (name, birth date, sex) of rows without an ID number: a chunk with a row carrying one of them
        # may have to find a person an earlier chunk of this file created (see _chunk).
        self._noid_keys = {key for key in seen if type(key) is tuple}
        for hh, lost in lost_rows.items():
            if hh in households:
                households[hh].rows -= lost
                households[hh].heads -= lost_heads[hh]
                if households[hh].rows <= 0:
                    del households[hh]  # every row of it is rejected: nothing to create
        return dup_ids, dup_nokeys, households

    def _parse_rows(self, batch: list[tuple[int, list]], columns: dict[str, int], birth_col: int | None) -> list[tuple]:
        """Check a batch of (row number, cells): (row number, spilled tuple or None, errors, warnings, cells)
        per row, the cells packed into one string (the spilled tuple's last item: what problems show)."""
        parsed: list[tuple] = []
        for number, cells in batch:
            values = {f: cell_text(cells[i]) if i < len(cells) else "" for f, i in columns.items()}
            raw_birth = cells[birth_col] if birth_col is not None and birth_col < len(cells) else None
            spilled, errors, warnings = self.parse_row(number, values, raw_birth)
            shown = _SEP.join(values.values())
            if spilled is None:
                parsed.append((number, None, errors, warnings, shown))
            else:
                parsed.append((number, (*spilled[:-1], shown), errors, warnings, shown))
        return parsed

    def _parsed(self, hmap: HeaderMap, data_rows: Iterator) -> Iterator[tuple]:
        """The data rows checked, in file order: in this process, or for a large file in parsing processes
        forked for the run (this one reads the file and keeps the books meanwhile; a few batches ahead at
        most, so that memory does not grow with the file)."""
        global _PARSING
        columns, birth_col = hmap.columns, hmap.columns.get("birth_date")
        batches = _batches(data_rows, PARSE_BATCH)
        processes = _parse_processes(self._estimate)
        if processes == 1:
            for batch in batches:
                yield from self._parse_rows(batch, columns, birth_col)
            return
        with _FORKING:  # the children are forked here and inherit the run: another thread's run waits
            _PARSING = (self, columns, birth_col)
            try:
                pool = multiprocessing.get_context("fork").Pool(processes)
            finally:
                _PARSING = None
        with pool:
            pending: deque = deque()
            for batch in batches:
                pending.append(pool.apply_async(_parse_batch, (batch,)))
                if len(pending) > 2 * processes:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()

    # -- pass 2: write ---------------------------------------------------------------------------

    def _group_id(self, number: int | None, out: Outcome) -> int | None:
        if number is None:
            return None
        pk = self.groups.get(number)
        if pk is None:
            community = self.community
            name = normalize.group_name(number, self.village)
            code = f"{community.code}{number:03d}"
            if self.write:
                group = Division.objects.create(
                    code=code, name=name, level=Division.Level.GROUP, parent=community, source=_("居民花名册导入")
                )
                pk = group.pk
            else:
                pk = -number  # a placeholder: the group would be created
            self.groups[number] = pk
            out.groups_created.append(name)
        return pk  # a negative placeholder in a dry run: still a change to count, never written

    def _branch_id(self, name: str, out: Outcome) -> int | None:
        if not name:
            return None
        pk = self.branches.get(name)
        if pk is None:
            if self.write:
                pk = PartyBranch.objects.create(
                    community=self.community,
                    name=name,
                    kind=PartyBranch.Kind.GENERAL if "总支" in name else PartyBranch.Kind.BRANCH,
                ).pk
            else:
                pk = -1
            self.branches[name] = pk
            out.branches_created.append(name)
        return pk  # a negative placeholder in a dry run

    def _households(self, households: dict[str, _HouseholdInfo], out: Outcome) -> dict[str, int]:
        """Create or update the households the file names; their ids by number. Existing households are read
        as value tuples and new ones written in chunks, so that memory does not hold a model instance per
        household of a large community."""
        community = self.community
        existing = {
            row[0]: row[1:]
            for row in Household.objects.filter(community=community)
            .values_list("number", "pk", "group_id", "grid_id", "address", "registration_status", "status")
            .iterator(chunk_size=CHUNK)
        }
        ids: dict[str, int] = {}
        self._households_created: set[int] = set()
        # new households are written after the persons, with their heads (the foreign keys are checked at
        # commit): id → (number, group, grid, address, registration status)
        self._new_households: dict[int, tuple] = {}
        self._new_heads: dict[int, int] = {}
        pending: list[tuple[str, dict[str, Any]]] = []
        updates: dict[int, dict[str, Any]] = {}
        created = 0
        for number, info in households.items():
            wanted = {
                "group_id": self._group_id(info.group, out),
                "grid_id": info.grid,
                "address": info.address,
                "registration_status": info.registration_status,
            }
            row = existing.get(number)
            if row is None:
                pending.append((number, wanted))
                created += 1
                if len(pending) >= CHUNK:
                    self._create_households(pending, ids)
                    pending = []
                continue
            pk, group_id, grid_id, address, registration_status, status = row
            ids[number] = pk
            current = {
                "group_id": group_id,
                "grid_id": grid_id,
                "address": address,
                "registration_status": registration_status,
            }
            changes = {k: v for k, v in wanted.items() if v not in (None, "") and current[k] != v}
            if status != Household.Status.ACTIVE:
                changes.update(status=Household.Status.ACTIVE, status_date=self.today)
            if changes:
                updates[pk] = changes
        if pending:
            self._create_households(pending, ids)
        del existing
        out.counts["households_created"] = created
        out.counts["households_updated"] = len(updates)
        self._households_counted = set(updates)
        if self.write and updates:
            pks = list(updates)
            for start in range(0, len(pks), CHUNK):
                part = {pk: updates[pk] for pk in pks[start : start + CHUNK]}
                fields = sorted({attname for values in part.values() for attname in values})
                bulk.update(self._apply(Household, part), fields, writer=self._writer)
        self._hh_numbers = {pk: number for number, pk in ids.items()}
        return ids

    def _create_households(self, batch: list[tuple[str, dict[str, Any]]], ids: dict[str, int]) -> None:
        """Reserve the ids of a batch of new households (:meth:`_write_households` writes them)."""
        if self.write:
            pks = self._writer.ids(Household, len(batch))
            for (number, wanted), pk in zip(batch, pks, strict=True):
                ids[number] = pk
                self._households_created.add(pk)
                self._new_households[pk] = (
                    number,
                    wanted["group_id"],
                    wanted["grid_id"],
                    wanted["address"] or "",
                    wanted["registration_status"] or "",
                )
        else:
            for number, _wanted in batch:
                ids[number] = -(len(ids) + 1)  # a placeholder: the household would be created
                self._households_created.add(ids[number])

    def _write_households(self) -> None:
        """Write the new households with their heads (each one's first 户主/本人 row of the file that was
        imported), and their creation entries."""
        if not self.write or not self._new_households:
            return
        items = list(self._new_households.items())
        self._new_households = {}
        active = Household.Status.ACTIVE
        for start in range(0, len(items), CHUNK):
            rows = [
                {
                    "id": pk,
                    "community_id": self.community.pk,
                    "number": number,
                    "status": active,
                    "group_id": group_id,
                    "grid_id": grid_id,
                    "address": address,
                    "registration_status": registration_status,
                    "head_id": self._new_heads.get(pk),
                }
                for pk, (number, group_id, grid_id, address, registration_status) in items[start : start + CHUNK]
            ]
            bulk.insert_dicts(Household, rows, writer=self._writer)
            self._created.append((Household, [(row, Household.label(row["number"])) for row in rows]))
            self._flush_changes()

    def _pass2(self, spill, hmap, dup_ids, dup_nokeys, households, hh_ids, out: Outcome, progress) -> None:
        present = set(hmap.columns)
        # the person attributes of the file's columns: (attribute, position in a row, is a date), for _values
        self._row_attrs = [
            (attr, _I[attr], attr in ("birth_date", "party_joined"))
            for attr, column in _PERSON_ATTRS
            if column in present
        ]
        chunk: list[tuple] = []
        # chunks read but not yet written, each with the future of its lookups (see _chunk)
        self._ahead: deque[tuple[list[tuple], Future | None]] = deque()
        self._claimed: set[int] = set()  # persons without an ID number given one by a row of this run
        done = 0
        for row in _spilled(spill):
            out.counts["rows"] += 1
            key_id = row[_I["id_number"]]
            if key_id and key_id in dup_ids:
                out.spilled(
                    row,
                    "rejected",
                    _("公民身份号码“%(v)s”在本文件中出现了不止一次，相关各行均未导入") % {"v": key_id},
                )
                continue
            nokey = (row[_I["name"]], row[_I["birth_date"]], row[_I["sex"]])
            if not key_id and not row[_I["masked_id"]] and nokey in dup_nokeys:
                out.possible_duplicates += 1
                out.spilled(
                    row,
                    "rejected",
                    _("可能重复：本文件中有多行同名、同性别、同出生日期且无身份证号的居民，请补充身份证号"),
                )
                continue
            hh = row[_I["household_number"]]
            if hh:
                info = households[hh]
                if info.heads == 0:
                    row[_I["warnings"]].append(_("户号“%(h)s”没有户主") % {"h": hh})
                elif info.heads > 1:
                    row[_I["warnings"]].append(_("户号“%(h)s”有 %(n)s 个户主") % {"h": hh, "n": info.heads})
            chunk.append(row)
            if len(chunk) >= CHUNK:
                done += self._chunk(chunk, present, hh_ids, out)
                chunk = []
                if progress:
                    progress(self._pass1_rows + done, self._pass1_rows * 2)
        if chunk:
            self._chunk(chunk, present, hh_ids, out)
        self._chunk(None, present, hh_ids, out)
        self._writer.wait()

    def _chunk(self, chunk: list[tuple] | None, present, hh_ids, out: Outcome) -> int:
        """Queue the lookups of ``chunk``, then write the chunks read before it while more than ``LOOKAHEAD`` wait
        (all of them when ``chunk`` is None: the file's end); the number of rows written. On PostgreSQL the lookups
        run in the writer's turn, ahead of the writes of the chunks before: the server looks up the next chunks
        while Python decides this one, no query waits for the writes just before it, and Python may run a few
        chunks ahead of the server (its work per chunk varies). Rows with an ID number do not depend on the
        earlier chunks' writes (the file's duplicate numbers are rejected; a person without a number claimed by
        an earlier row is known by ``_claimed``). A person created by an earlier chunk is only found by name +
        birth date + sex, or by a masked ID number: the lookups of a chunk with such a row are queued when it is
        written, after every earlier write. After a precheck (see _write), a chunk whose rows all carry new ID
        numbers needs no query at all: its lookups are done here and now."""
        writer = self._writer
        if chunk is not None:
            future = None
            if not any(
                r[_I["masked_id"]] or (r[_I["name"]], r[_I["birth_date"]], r[_I["sex"]]) in self._noid_keys
                for r in chunk
            ):
                # every row has an ID number; a query finds those some person has, and for the others namesakes
                # registered without a number (when the community has any)
                known = self._known
                if known is None or self._noid_persons or any(known[r[0]] for r in chunk):
                    future = writer.call(self._lookup, chunk)
                else:
                    future = Future()
                    future.set_result(self._lookup(chunk))
            self._ahead.append((chunk, future))
        written = 0
        while self._ahead and (chunk is None or len(self._ahead) > LOOKAHEAD):
            previous, found = self._ahead.popleft()
            if found is None:  # after the writes of every earlier chunk
                found = writer.call(self._lookup, previous)
            self._write_chunk(previous, found.result(), present, hh_ids, out)
            written += len(previous)
        return written

    def _values(self, row: tuple, present: set[str], out: Outcome) -> dict[str, Any]:
        """The person attributes the row sets (blank cells set nothing)."""
        values: dict[str, Any] = {}
        fromisoformat = datetime.date.fromisoformat
        for attr, i, is_date in self._row_attrs:
            value = row[i]
            if value == "" or value is None:
                continue
            values[attr] = fromisoformat(value) if is_date else value
        if "group" in present and row[_I["group"]] is not None:
            group_id = self._group_id(row[_I["group"]], out)
            if group_id:
                values["group_id"] = group_id
        if "grid" in present and row[_I["grid"]]:
            values["grid_id"] = row[_I["grid"]]
        if "party_branch" in present and row[_I["party_branch"]]:
            branch_id = self._branch_id(row[_I["party_branch"]], out)
            if branch_id:
                values["party_branch_id"] = branch_id
        return values

    def _lookup(self, chunk: list[tuple]) -> tuple:
        """The persons a chunk's rows may be: by the keyed hash of the ID number, by a masked ID number, by name
        + birth date + sex; and the persons of other communities this user may change."""
        community = self.community
        i_hash = _I["id_hash"]
        row_hash = {r[0]: r[i_hash] for r in chunk if r[i_hash]}  # hashed by the first pass
        known = self._known  # after a precheck, only the numbers some person has are looked up
        hashes = set(row_hash.values()) if known is None else {h for n, h in row_hash.items() if known[n]}
        by_hash: dict[str, _Stored] = {}
        if hashes:
            # "<> ''" spelled out: PostgreSQL cannot prove a partial index's condition from an array of
            # values, and without the unique index this is a scan of every person, per chunk
            for p in _stored(Person.objects.filter(id_hash__any=list(hashes)).exclude(id_hash="")):
                by_hash[p.id_hash] = p

        # By name + birth date + sex: a row without an ID number finds the person however registered (a
        # blank cell never makes a second person); a row with a new ID number finds a person registered
        # earlier without one, and gives them the number.
        def by_name(r: tuple) -> bool:
            if r[_I["masked_id"]]:
                return False
            if not r[_I["id_number"]]:
                return True
            # a new ID number: only a person without one can be theirs (none in most communities)
            key = (r[_I["name"]], r[_I["birth_date"]], r[_I["sex"]])
            return row_hash[r[0]] not in by_hash and (self._noid_persons or key in self._noid_keys)

        nokey_rows = [r for r in chunk if by_name(r)]
        by_masked: dict[tuple, list[_Stored]] = {}
        masked_rows = [r for r in chunk if r[_I["masked_id"]]]
        if masked_rows:
            tails = {crypto.suffix_hash("id", r[_I["masked_id"]]) for r in masked_rows}
            names = {r[_I["name"]] for r in masked_rows}
            candidates = Person.objects.filter(community=community, id_tail__any=list(tails), name__any=list(names))
            for p in _stored(candidates):
                key = (p.name, p.id_number[:6], p.id_number[-4:])
                by_masked.setdefault(key, []).append(p)
        by_nokey: dict[tuple, list[_Stored]] = {}
        if nokey_rows:
            # Candidates by name and birth date as plain values first (common names recur thousands of times
            # in a large community), then the few persons that match a row's key, as objects.
            keys: dict[tuple, bool] = {}  # key → only rows with an ID number carry it
            for r in nokey_rows:
                key = (r[_I["name"]], r[_I["birth_date"]], r[_I["sex"]])
                keys[key] = keys.get(key, True) and bool(r[_I["id_number"]])
            matched: list[int] = []
            for pk, name, birth, sex, id_hash in _namesakes(community.pk, {(k[0], k[1]) for k in keys if k[1]}):
                has_id = keys.get((name, birth.isoformat(), sex))
                if has_id is not None and not (has_id and id_hash):  # a row's new ID number: persons without one
                    matched.append(pk)
            if matched:
                for p in _stored(Person.objects.filter(pk__any=matched)):
                    key = (p.name, p.birth_date.isoformat() if p.birth_date else "", p.sex)
                    by_nokey.setdefault(key, []).append(p)
        foreign = [p.pk for p in by_hash.values() if p.community_id != community.pk]
        may_change: set[int] = set()
        if foreign and self.user is None:  # the command line acts for the deployment
            may_change = set(foreign)
        elif foreign:
            allowed = scoping.restrict(Person.objects.filter(pk__any=foreign), self.user, "change")
            may_change = set(allowed.values_list("pk", flat=True))
        return row_hash, by_hash, by_masked, by_nokey, may_change

    def _write_chunk(
        self, chunk: list[tuple], found: tuple, present: set[str], hh_ids: dict[str, int], out: Outcome
    ) -> None:
        community = self.community
        row_hash, by_hash, by_masked, by_nokey, may_change = found
        create: list[dict[str, Any]] = []
        arrivals: list[tuple[int, Any]] = []  # (new household, values or person id) of head rows, in file order
        changes: list[tuple[_Stored, dict[str, Any]]] = []  # (stored person, the attributes a row changes)
        update_fields: set[str] = set()
        placed: list[_Stored] = []  # matched persons as this chunk leaves them
        for row in chunk:
            values = self._values(row, present, out)
            hh_number = row[_I["household_number"]]
            household_id = hh_ids.get(hh_number) if hh_number else None
            if household_id is not None:  # negative: a household a dry run would create
                values["household_id"] = household_id
            if hh_number and "relationship" in present and row[_I["relationship"]]:
                values["relationship"] = row[_I["relationship"]]
            if row[_I["id_number"]]:
                person = by_hash.get(row_hash[row[0]])
                if person is None:
                    key = (row[_I["name"]], row[_I["birth_date"]], row[_I["sex"]])
                    matches = [p for p in by_nokey.get(key, []) if not p.id_hash]
                    if len(matches) == 1 and matches[0].pk not in self._claimed:
                        person = matches[0]
                        self._claimed.add(person.pk)
            elif row[_I["masked_id"]]:
                masked = row[_I["masked_id"]]
                matches = by_masked.get((row[_I["name"]], masked[:6], masked[-4:]), [])
                if len(matches) != 1:
                    out.spilled(
                        row,
                        "rejected",
                        _("身份证号“%(v)s”已脱敏，无法对应到本社区的居民；新登记的居民请填写完整身份证号")
                        % {"v": masked},
                    )
                    continue
                person = matches[0]
            else:
                matches = by_nokey.get((row[_I["name"]], row[_I["birth_date"]], row[_I["sex"]]), [])
                if len(matches) > 1:
                    out.possible_duplicates += 1
                    out.spilled(
                        row,
                        "rejected",
                        _("可能重复：系统中已有 %(n)s 位同名、同性别、同出生日期的居民，请补充身份证号")
                        % {"n": len(matches)},
                    )
                    continue
                person = matches[0] if matches else None
            if person is None:  # new: a row of values, no model instance (most rows of a first import)
                values["community_id"] = community.pk
                values["_row"] = row[0]  # for its ID number's hash (taken out before the write)
                create.append(values)
                if (
                    values.get("household_id") in self._new_households
                    and values.get("relationship") in HEAD_RELATIONSHIPS
                ):
                    arrivals.append((values["household_id"], values))
                out.spilled(row, "created")
                continue
            if person.pk in self._matched:  # e.g. once with the ID number, once without
                out.spilled(
                    row,
                    "rejected",
                    _("与第 %(r)s 行是同一位居民“%(n)s”，此行未导入")
                    % {"r": self._matched[person.pk], "n": person.name},
                )
                continue
            self._matched[person.pk] = row[0]
            gone = person.life_status != Person.LifeStatus.LIVING and (
                person.life_status == Person.LifeStatus.DECEASED or person.community_id == community.pk
            )
            if gone:  # never brought back by a spreadsheet: the status is corrected on the person's page
                out.spilled(
                    row,
                    "rejected",
                    _("居民“%(n)s”已登记为%(s)s（%(d)s），未导入；如登记有误或已迁回，请先在居民页面更正人员状态")
                    % {
                        "n": person.name,
                        "s": Person.LifeStatus(person.life_status).label,
                        "d": person.life_status_date.isoformat() if person.life_status_date else "—",
                    },
                )
                continue
            moving_in = person.community_id != community.pk
            if moving_in and person.pk not in may_change and person.life_status == Person.LifeStatus.LIVING:
                out.spilled(
                    row,
                    "rejected",
                    _("该身份证号的居民已登记在您管辖范围以外的社区，请先由该社区办理迁出"),
                )
                continue
            if moving_in:
                values["community_id"] = community.pk
                values["life_status"] = Person.LifeStatus.LIVING
                values["life_status_date"] = self.today
                if "grid_id" not in values:
                    values["grid_id"] = None
                if "group_id" not in values:
                    values["group_id"] = None
                if "household_id" not in values:  # no household in this community yet
                    values["household_id"] = None
                    values["relationship"] = ""
            changed = {k: v for k, v in values.items() if getattr(person, k) != v}
            if not changed:
                out.spilled(row, "unchanged")
                placed.append(person)
                continue
            changes.append((person, changed))
            update_fields.update(changed)
            out.spilled(row, "updated")
            person = person._replace(**changed)
            placed.append(person)
            if person.household_id in self._new_households and person.relationship in HEAD_RELATIONSHIPS:
                arrivals.append((person.household_id, person.pk))
        new_keys: list[list[str]] = []
        for values in create:
            number = values.pop("_row")
            derived, extra = Person.lookup_values(
                values.get("id_number", ""), values.get("phone", ""), values["name"], row_hash.get(number, "")
            )
            values.update(derived)
            new_keys.append(extra)
        if not self.write:
            self._memberships(placed)
            self._new_memberships(create)
            return
        bulk.insert_dicts(Person, create, writer=self._writer)
        for household_id, who in arrivals:
            self._new_heads.setdefault(household_id, who["id"] if isinstance(who, dict) else who)
        self._created.append((Person, [(values, values["name"]) for values in create]))
        update = self._apply(Person, {stored.pk: changed for stored, changed in changes})
        renamed: list[tuple[int, list[str]]] = []
        for person in update:
            extra = person.derive()
            if "name" in update_fields:
                renamed.append((person.pk, extra))
        if update:
            fields = {f.removesuffix("_id") for f in update_fields}
            if fields & {"id_number", "phone", "name"}:
                fields |= set(DERIVED_FIELDS)
            bulk.update(update, sorted(fields), writer=self._writer)
        if renamed:
            NameKey.objects.filter(person_id__in=[pk for pk, _e in renamed]).delete()
        keys = [(pk, k) for pk, extra in renamed for k in extra]
        keys += [(values["id"], k) for values, extra in zip(create, new_keys, strict=True) for k in extra]
        if keys:
            bulk.insert_values(NameKey, ("person_id", "key"), keys, writer=self._writer)
        self._memberships(placed)
        self._new_memberships(create)
        if len(self._changes) + sum(len(rows) for _m, rows in self._created) >= CHUNK:
            self._flush_changes()

    def _apply(self, model: type, changes: dict[int, dict[str, Any]], labels: dict[int, str] | None = None) -> list:
        """Load the instances of ``model`` that this run changes (one query), set ``changes`` (pk → attname →
        value) on them and log each change (``labels``: how the log shows them); the instances, in the order
        of ``changes``. The import reads rows as values and builds instances only for the rows it changes."""
        if not changes:
            return []
        loaded = {obj.pk: obj for obj in model.objects.filter(pk__any=list(changes)).order_by()}
        changed = []
        for pk, values in changes.items():
            obj = loaded[pk]
            pre = audit.serialize(obj, m2m=False)
            if labels is not None:
                obj._audit_repr = labels[pk]
            for attname, value in values.items():
                setattr(obj, attname, value)
            changed.append(obj)
            self._change(obj, ObjectChange.Action.UPDATE, pre)
        return changed

    def _new_memberships(self, created: list[dict[str, Any]]) -> None:
        """Start the memberships of the persons this chunk creates (rows of values, like the persons)."""
        start: list[dict[str, Any]] = []
        shown: list[str] = []
        for values in created:
            household_id = values.get("household_id")
            if not household_id:
                continue
            self._touch_household(household_id)
            if self.write:
                start.append(
                    {
                        "community_id": values["community_id"],
                        "household_id": household_id,
                        "person_id": values["id"],
                        "relationship": values.get("relationship", ""),
                    }
                )
                shown.append(self._membership_label(values["name"], household_id))
        if start:
            bulk.insert_dicts(Membership, start, writer=self._writer)
            self._created.append((Membership, list(zip(start, shown, strict=True))))

    def _memberships(self, placed: list[_Stored]) -> None:
        """Start, move or re-label the persons' current household memberships (a dry run only counts). The
        current memberships are read as values; instances are loaded only for those that change."""
        if not placed:  # a first import's chunks: no query (it would wait for the writes before it)
            return
        current = {
            row[1]: row
            for row in Membership.objects.filter(person_id__any=[p.pk for p in placed], end__isnull=True)
            .order_by()
            .values_list("pk", "person_id", "household_id", "relationship")
        }
        ending: dict[int, str] = {}  # membership → reason
        relabel: dict[int, str] = {}  # membership → relationship
        labels: dict[int, str] = {}  # membership → how the change log shows it
        start: list[Membership] = []
        for person in placed:
            m = current.get(person.pk)
            m_pk, _person, m_household, m_relationship = m if m is not None else (None, None, None, None)
            if not person.household_id:
                if m is not None:  # moved in from another community without a household here
                    ending[m_pk] = _("居民花名册导入：迁入本社区")
                    labels[m_pk] = self._membership_label(person.name, m_household)
                    self._left.setdefault(m_household, set()).add(person.pk)
                    self._touch_household(m_household)
                continue
            if m is not None and m_household == person.household_id:
                if person.relationship and m_relationship != person.relationship:
                    relabel[m_pk] = person.relationship
                    labels[m_pk] = self._membership_label(person.name, m_household)
                    self._touch_household(m_household)
                continue
            if m is not None:
                ending[m_pk] = _("居民花名册导入：迁入其他户")
                labels[m_pk] = self._membership_label(person.name, m_household)
                self._left.setdefault(m_household, set()).add(person.pk)
                self._touch_household(m_household)
            new = Membership(
                community_id=person.community_id,
                household_id=person.household_id,
                person_id=person.pk,
                relationship=person.relationship,
                start=self.today if m is not None else None,
            )
            new._audit_repr = self._membership_label(person.name, person.household_id)
            start.append(new)
            self._touch_household(person.household_id)
        if not self.write:
            return
        changes = {pk: {"end": self.today, "reason": reason} for pk, reason in ending.items()}
        changes.update((pk, {"relationship": relationship}) for pk, relationship in relabel.items())
        changed = self._apply(Membership, changes, labels)
        close = [m for m in changed if m.pk in ending]
        relabelled = [m for m in changed if m.pk in relabel]
        if close:
            bulk.update(close, ["end", "reason"], writer=self._writer)
        if relabelled:
            bulk.update(relabelled, ["relationship"], writer=self._writer)
        if start:
            bulk.insert(start, writer=self._writer)  # after the closed memberships (one current per person)
            for m in start:
                self._change(m, ObjectChange.Action.CREATE, None)

    def _membership_label(self, name: str, household_id: int) -> str:
        """How the change log shows a membership written by the import (without loading its household)."""
        return f"{name} · {self._hh_numbers.get(household_id, '')}"

    def _touch_household(self, household_id: int) -> None:
        """A household whose membership changed counts as updated (unless created by this import)."""
        if household_id in self._households_created or household_id in self._households_counted:
            return
        self._households_counted.add(household_id)
        self._outcome.counts["households_updated"] += 1

    def _heads(self, hh_ids: dict[str, int], out: Outcome) -> None:
        """Point each household of the file at its head (the first 户主/本人 member); a household whose
        head left it in this run points at its remaining head member, or at nobody. Chunk by chunk: one
        query for the heads, one for the households, one correlated UPDATE for those that change. (New
        households are written with their heads by :meth:`_write_households`.)"""
        if not self.write:
            return
        in_file = {pk for pk in hh_ids.values() if pk > 0 and pk not in self._households_created}
        pks = sorted(in_file | set(self._left))
        current_heads = Membership.objects.filter(end__isnull=True, relationship__in=HEAD_RELATIONSHIPS)
        first_head = current_heads.filter(household_id=OuterRef("pk")).order_by("pk").values("person_id")[:1]
        for start in range(0, len(pks), CHUNK):
            part = pks[start : start + CHUNK]
            heads: dict[int, int] = {}
            for hh_id, person_id in (
                Membership.objects.filter(household_id__any=part, end__isnull=True, relationship__in=HEAD_RELATIONSHIPS)
                .order_by("household_id", "pk")
                .values_list("household_id", "person_id")
            ):
                heads.setdefault(hh_id, person_id)
            changed: dict[int, int | None] = {}  # household → its new head
            for pk, head_id in Household.objects.filter(pk__any=part).order_by().values_list("pk", "head_id"):
                head = heads.get(pk)
                head_left = head_id is not None and head_id in self._left.get(pk, ())
                if (head is not None or head_left) and (pk in in_file or head_left) and head_id != head:
                    changed[pk] = head
                    self._touch_household(pk)
            self._apply(Household, {pk: {"head_id": head} for pk, head in changed.items()})
            if changed:  # one correlated UPDATE instead of bulk_update's CASE per row
                now = timezone.now()
                Household.objects.filter(pk__any=list(changed)).update(head_id=Subquery(first_head), last_updated=now)
            if len(self._changes) >= CHUNK:
                self._flush_changes()

    # -- the change log, in bulk -----------------------------------------------------------------

    def _change(self, obj: Any, action: str, pre: dict | None) -> None:
        if not self.write:
            return
        self._changes.append((obj, action, pre))

    def _flush_changes(self) -> None:
        if self._changes:
            audit.record_many(self._changes, writer=self._writer)
        for model, rows in self._created:
            audit.record_created(model, rows, writer=self._writer)
        self._changes = []
        self._created = []


# -- the register layout: template and export ----------------------------------------------------------

_CODE_COLUMNS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "relationship": "relationship",
    "registration_status": "registration_status",
    "political_status": "political_status",
    "education": "education",
    "marital_status": "marital_status",
}


def _header(fname: str) -> str:
    return HEADERS[fname][0]


def template_workbook() -> bytes:
    """A blank register with the headers, drop-down lists for the coded columns and an example row."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    ws = wb.active
    ws.title = _("居民花名册")
    lists = wb.create_sheet(_("代码表"))
    ws.append([_header(f) for f in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws.append([RegisterImporter.example.get(f, "") for f in COLUMNS])
    for idx, fname in enumerate(COLUMNS, start=1):
        letter = ws.cell(row=1, column=idx).column_letter
        ws.column_dimensions[letter].width = 20 if fname in ("id_number", "current_address", "hukou_address") else 12
        table = _CODE_COLUMNS.get(fname)
        if table is None:
            continue
        names = ["男", "女"] if table == "sex" else [e.name for e in codes.table(table)]
        col = lists.max_column + 1 if lists.max_row > 1 or lists.cell(1, 1).value else 1
        lists.cell(row=1, column=col, value=_header(fname))
        for r, name in enumerate(names, start=2):
            lists.cell(row=r, column=col, value=name)
        ref_letter = lists.cell(row=1, column=col).column_letter
        dv = DataValidation(
            type="list", formula1=f"'{lists.title}'!${ref_letter}$2:${ref_letter}${len(names) + 1}", allow_blank=True
        )
        dv.error = _("请从下拉列表中选择")
        dv.showErrorMessage = False  # aliases (妻, 长子, 中共党员) are accepted too
        ws.add_data_validation(dv)
        dv.add(f"{letter}2:{letter}20000")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_row(person: Person, reveal: bool) -> list[str]:
    """A person as a row of the register layout (ID number and phones masked unless ``reveal``)."""
    from tongxin.core.privacy import mask

    def secret(value: str) -> str:
        return value if reveal or not value else mask(value)

    phones = [p for p in [person.phone, *person.phone_other.split(",")] if p]
    values = {
        "household_number": person.household.number if person.household_id else "",
        "name": person.name,
        "id_number": secret(person.id_number),
        "sex": codes.table("sex").name_of(person.sex),
        "ethnicity": codes.table("ethnicity").name_of(person.ethnicity),
        "birth_date": person.birth_date.isoformat() if person.birth_date else "",
        "relationship": codes.table("relationship").name_of(person.relationship) if person.household_id else "",
        "group": person.group.name if person.group_id else "",
        "grid": person.grid.code if person.grid_id else "",
        "current_address": person.current_address,
        "hukou_address": person.hukou_address,
        "phone": ",".join(secret(p) for p in phones),
        "registration_status": codes.table("registration_status").name_of(person.registration_status),
        "political_status": codes.table("political_status").name_of(person.political_status),
        "party_branch": person.party_branch.name if person.party_branch_id else "",
        "party_joined": person.party_joined.isoformat() if person.party_joined else "",
        "education": codes.table("education").name_of(person.education),
        "marital_status": codes.table("marital_status").name_of(person.marital_status),
        "employer": person.employer,
        "occupation": person.occupation,
        "notes": person.notes,
    }
    return [values[f] for f in COLUMNS]


def register_workbook(persons: Iterator[Person], *, reveal: bool | Callable[[Person], bool]) -> bytes:
    """The persons in the register layout as XLSX (write-only: constant memory); re-imports as unchanged.
    ``reveal``: clear ID numbers and phones for every row, for none, or for the rows it accepts."""
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("居民花名册"))
    ws.append([_header(f) for f in COLUMNS])
    for person in persons:
        ws.append(register_row(person, reveal(person) if callable(reveal) else reveal))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
