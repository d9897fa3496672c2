"""The first pass: every row read and checked (in parsing processes for large files) and spilled."""

from __future__ import annotations

import datetime
import multiprocessing
import re
from collections import Counter, deque
from collections.abc import Iterator
from typing import Any, ClassVar

from django.utils.translation import gettext as _

from tongxin.core import codes, crypto, idnumber, normalize
from tongxin.core.importer import HeaderMap, cell_text
from tongxin.core.importfile import FORMULA_CHARS, formula_start, shorten
from tongxin.registry.models import (
    HEAD_RELATIONSHIPS,
)
from tongxin.registry.register import common
from tongxin.registry.register.common import (
    _FORKING,
    _I,
    _MASKED_ID,
    _SEP,
    EXAMPLE,
    HEADERS,
    MSG_EDUCATION,
    MSG_ETHNICITY,
    MSG_FORMULA,
    MSG_MARITAL,
    MSG_POLITICAL,
    MSG_REGISTRATION,
    MSG_RELATIONSHIP,
    MSG_TOO_LONG,
    NAME_MAX_LENGTH,
    TEXT_COLUMNS,
    Outcome,
    _batches,
    _HouseholdInfo,
    _parse_batch,
    _spill,
)
from tongxin.registry.register.workbook import template_workbook


class Parsing:
    """Reading and checking rows (a part of :class:`~tongxin.registry.register.RegisterImporter`)."""

    @classmethod
    def template(cls) -> bytes:
        """The blank register workbook users download."""
        return template_workbook()

    @classmethod
    def header_help(cls) -> list[tuple[str, list[str]]]:
        """(column, accepted headers) for the upload page."""
        return [(names[0], names) for names in HEADERS.values()]

    example: ClassVar[dict[str, str]] = EXAMPLE

    def parse_row(self, number: int, values: dict[str, str], raw_birth: Any) -> tuple[tuple | None, list[str], list]:
        """Check one row; (spilled tuple or None when rejected, errors, warnings)."""
        # One function on purpose (longer than 80 lines): it runs once per row of files of a million rows, in
        # the parsing processes, and each extra call per column costs measurably in `make bench`.
        errors: list[str] = []
        warnings: list[str] = []
        name = values.get("name", "").replace(" ", "")
        if not name:
            errors.append(_("姓名：不能为空"))
        elif len(name) > NAME_MAX_LENGTH:
            errors.append(
                MSG_TOO_LONG % {"field": _("姓名"), "v": shorten(name), "n": len(name), "max": NAME_MAX_LENGTH}
            )
        for column, limit in TEXT_COLUMNS:
            text = values.get(column)
            if text:
                if text[0] in FORMULA_CHARS and formula_start(text):
                    errors.append(
                        MSG_FORMULA % {"field": HEADERS[column][0], "v": shorten(text), "char": formula_start(text)}
                    )
                if limit is not None and len(text) > limit:
                    errors.append(
                        MSG_TOO_LONG % {"field": HEADERS[column][0], "v": shorten(text), "n": len(text), "max": limit}
                    )
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
        if masked and re.fullmatch(r"\d{4}", birth_text):  # a masked export shows the birth year only
            masked, birth_text, raw_birth = f"{masked}/{birth_text}", "", None
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
            if len(buffer) >= common.SPILL_BATCH:
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
        columns, birth_col = hmap.columns, hmap.columns.get("birth_date")
        batches = _batches(data_rows, common.PARSE_BATCH)
        processes = common._parse_processes(self._estimate)
        if processes == 1:
            for batch in batches:
                yield from self._parse_rows(batch, columns, birth_col)
            return
        with _FORKING:  # the children are forked here and inherit the run: another thread's run waits
            common._PARSING = (self, columns, birth_col)
            try:
                pool = multiprocessing.get_context("fork").Pool(processes)
            finally:
                common._PARSING = None
        with pool:
            pending: deque = deque()
            for batch in batches:
                pending.append(pool.apply_async(_parse_batch, (batch,)))
                if len(pending) > 2 * processes:
                    yield from pending.popleft().get()
            while pending:
                yield from pending.popleft().get()

    # -- pass 2: write ---------------------------------------------------------------------------
