"""Groups, party branches and households of the register import, and households' heads after the persons."""

from __future__ import annotations

from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.core import bulk, normalize
from tongxin.org.models import Division
from tongxin.registry.models import (
    HEAD_RELATIONSHIPS,
    Household,
    Membership,
    PartyBranch,
)
from tongxin.registry.register import common
from tongxin.registry.register.common import (
    Outcome,
    _HouseholdInfo,
)


class Households:
    """Groups, branches, households and heads (a part of :class:`~tongxin.registry.register.RegisterImporter`)."""

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
            .iterator(chunk_size=common.CHUNK)
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
                if len(pending) >= common.CHUNK:
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
            for start in range(0, len(pks), common.CHUNK):
                part = {pk: updates[pk] for pk in pks[start : start + common.CHUNK]}
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
        for start in range(0, len(items), common.CHUNK):
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
                for pk, (number, group_id, grid_id, address, registration_status) in items[start : start + common.CHUNK]
            ]
            bulk.insert_dicts(Household, rows, writer=self._writer)
            self._created.append((Household, [(row, Household.label(row["number"])) for row in rows]))
            self._flush_changes()

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
        for start in range(0, len(pks), common.CHUNK):
            part = pks[start : start + common.CHUNK]
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
            if len(self._changes) >= common.CHUNK:
                self._flush_changes()

    # -- the change log, in bulk -----------------------------------------------------------------
