"""What every pass of the register import shares: tunables, column headers and messages, the spilled row
layout, the outcome, the parsing processes. The passes read the tunables as ``common.CHUNK`` (tests set them)."""

from __future__ import annotations

import datetime
import marshal
import multiprocessing
import os
import re
import threading
from collections import namedtuple
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, router
from django.utils.translation import gettext_lazy

from tongxin.registry.models import (
    Household,
    PartyBranch,
    Person,
)

CHUNK = 2000
LOOKAHEAD = 3  # chunks read, with their lookups queued, before the chunk being written (see _chunk)
SPILL_BATCH = 1000
PARSE_BATCH = 1000  # rows a parsing process takes at a time
PARALLEL_MIN_ROWS = 20_000  # a smaller file is parsed in the importing process (starting processes costs more)
_SEP = "\x1f"  # joins a spilled row's cells (one string per row keeps the spill file fast to read back)
# a masked export's ID number: region, then the check digit (530424***********2) or, from older exports, the
# last four (530424********0012)
_MASKED_ID = re.compile(r"\d{6}\*{4,}(?:\d{3})?[\dX]")
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

MSG_TOO_LONG = gettext_lazy("%(field)s“%(v)s”过长：%(n)s 个字符，最多 %(max)s 个")
MSG_FORMULA = gettext_lazy(
    "%(field)s“%(v)s”以“%(char)s”开头，会被 Excel 等表格软件当作公式，不予导入；如确为文字，请去掉开头的“%(char)s”"
)

# The free-text columns, stored as they are: (column, the most characters its field holds or None), checked on every
# row (a longer value would be stored whole on SQLite and abort the whole write on PostgreSQL), and none may start
# like a spreadsheet formula (see tongxin.core.importfile.formula_start). The name is checked as it is stored
# (without its spaces) by parse_row itself.
_TEXT_FIELDS = {
    "name": (Person, "name"),
    "current_address": (Person, "current_address"),  # also the household's address: as long
    "hukou_address": (Person, "hukou_address"),
    "employer": (Person, "employer"),
    "occupation": (Person, "occupation"),
    "household_number": (Household, "number"),
    "party_branch": (PartyBranch, "name"),
    "notes": (Person, "notes"),
    "phone": (Person, "phone"),  # an unrecognised number is stored as it is
}
TEXT_COLUMNS: tuple[tuple[str, int | None], ...] = tuple(
    (column, None if column == "name" else model._meta.get_field(name).max_length)
    for column, (model, name) in _TEXT_FIELDS.items()
)
NAME_MAX_LENGTH: int = Person._meta.get_field("name").max_length

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


#: the import template's example row
EXAMPLE: dict[str, str] = {
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
