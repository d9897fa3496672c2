"""The registry's figures for a community or a roll-up (street, county): counts of active households
and living persons by registration status, ethnicity, sex, age band, group and party membership.
The same function serves ``tongxin stats``, the API and the statistics page."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from tongxin.core import codes, scoping
from tongxin.org.models import Division
from tongxin.registry.filters import age_band_q
from tongxin.registry.models import AGE_BANDS, Household, PartyBranch, Person


def _within(qs: QuerySet, division: Division, user: Any) -> QuerySet:
    qs = qs.filter(community__path__startswith=division.path)
    return scoping.restrict(qs, user, "view") if user is not None else qs


def divisions_for(user: Any) -> QuerySet:
    """The counties, streets and communities whose figures ``user`` may see (where they may view persons;
    a grid member gets their grid's community, counted within the grid)."""
    return scoping.report_divisions(user, Person)


def compute(division: Division, *, user: Any = None, as_of: datetime.date | None = None) -> dict[str, Any]:
    """The figures for ``division`` and everything below it (within ``user``'s scope when given)."""
    as_of = as_of or timezone.localdate()
    persons = _within(Person.objects.filter(life_status=Person.LifeStatus.LIVING), division, user)
    households = _within(Household.objects.filter(status=Household.Status.ACTIVE), division, user)
    branches = _within(PartyBranch.objects.all(), division, user)

    def by(field: str, table: str) -> dict[str, int]:
        t = codes.table(table)
        rows = persons.order_by().values(field).annotate(n=Count("pk")).order_by(field)
        out = {t.name_of(r[field]) or "未填写": r["n"] for r in rows}
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    by_ethnicity = by("ethnicity", "ethnicity")
    known = {k: v for k, v in by_ethnicity.items() if k != "未填写"}
    age_counts = persons.aggregate(
        **{band: Count("pk", filter=age_band_q(band, as_of)) for band, _lo, _hi in AGE_BANDS},
        unknown=Count("pk", filter=Q(birth_date__isnull=True)),
    )
    by_age_band = {band: age_counts[band] for band, _lo, _hi in AGE_BANDS}
    if age_counts["unknown"]:
        by_age_band["未知"] = age_counts["unknown"]
    party = persons.filter(political_status__in=("01", "02"))
    return {
        "division": {"code": division.code, "name": division.name, "level": division.level},
        "as_of": as_of.isoformat(),
        "households": households.count(),
        "persons": persons.count(),
        "by_registration_status": by("registration_status", "registration_status"),
        "ethnic_groups": len(known),
        "minority_persons": sum(v for k, v in known.items() if k != "汉族"),
        "by_ethnicity": by_ethnicity,
        "by_sex": by("sex", "sex"),
        "by_age_band": by_age_band,
        "party_members": party.count(),
        "party_members_probationary": party.filter(political_status="02").count(),
        "party_branches": branches.count(),
        "by_group": groups(division, user=user),
    }


def groups(division: Division, *, user: Any = None) -> dict[str, int]:
    """Living persons per resident group (prefixed with the community's name in a roll-up)."""
    persons = _within(Person.objects.filter(life_status=Person.LifeStatus.LIVING), division, user)
    rollup = division.level != Division.Level.COMMUNITY
    group_rows = (
        persons.order_by()
        .values("community__name", "group__name", "group__code")
        .annotate(n=Count("pk"))
        .order_by("group__code")
    )
    by_group: dict[str, int] = {}
    for r in group_rows:
        name = r["group__name"] or "未分组"
        key = f"{r['community__name']}{name}" if rollup else name
        by_group[key] = by_group.get(key, 0) + r["n"]
    return by_group
