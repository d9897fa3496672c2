"""The second pass: persons found, compared and written in chunks, with their memberships and change-log entries."""

from __future__ import annotations

import datetime
from collections import deque
from concurrent.futures import Future
from typing import Any

from django.utils.translation import gettext as _

from tongxin.core import audit, bulk, scoping
from tongxin.core.models import ObjectChange
from tongxin.registry.models import (
    DERIVED_FIELDS,
    HEAD_RELATIONSHIPS,
    Membership,
    NameKey,
    Person,
)
from tongxin.registry.register import common
from tongxin.registry.register.common import (
    _I,
    _PERSON_ATTRS,
    Outcome,
    _namesakes,
    _spilled,
    _Stored,
    _stored,
)


class Writing:
    """The chunked write of persons (a part of :class:`~tongxin.registry.register.RegisterImporter`)."""

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
            if len(chunk) >= common.CHUNK:
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
        while self._ahead and (chunk is None or len(self._ahead) > common.LOOKAHEAD):
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
            # the mask keeps the region and the check digit: the namesakes of the community are the candidates
            names = {r[_I["name"]] for r in masked_rows}
            for p in _stored(Person.objects.filter(community=community, name__any=list(names))):
                for tail in (1, 4):  # this mask, and the last four digits of older exports
                    by_masked.setdefault((p.name, p.id_number[:6], p.id_number[-tail:]), []).append(p)
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
        """Match a chunk's rows to the stored persons, compare them field by field and queue the creations,
        updates, memberships and change-log entries of the chunk."""
        # One function on purpose (longer than 80 lines): it is the inner loop of the second pass, run per row of
        # every chunk; its locals stay local, and splitting it costs calls per row (see docs/performance.md).
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
                masked, _sep, year = row[_I["masked_id"]].partition("/")
                matches = by_masked.get((row[_I["name"]], masked[:6], masked.rsplit("*", 1)[-1]), [])
                if year:  # the birth year of the export tells namesakes apart
                    matches = [p for p in matches if p.birth_date and str(p.birth_date.year) == year]
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
        if len(self._changes) + sum(len(rows) for _m, rows in self._created) >= common.CHUNK:
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
