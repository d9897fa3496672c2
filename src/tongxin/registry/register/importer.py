"""The register importer: its state and the run that chains the passes."""

from __future__ import annotations

import datetime
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tongxin.core import audit, bulk, scoping
from tongxin.core.importer import ImportFileError, estimate_rows, map_headers, read_rows
from tongxin.core.models import ObjectChange
from tongxin.org.models import Division, Grid
from tongxin.registry.models import (
    PartyBranch,
    Person,
)
from tongxin.registry.register.common import (
    HEADERS,
    Outcome,
    _id_conflict,
)
from tongxin.registry.register.households import Households
from tongxin.registry.register.parse import Parsing
from tongxin.registry.register.write import Writing


class RegisterImporter(Parsing, Households, Writing):
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
