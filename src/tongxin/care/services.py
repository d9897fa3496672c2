"""The care module's writes with a typed signature: enrolment steps (through the workflow table) and the visit
windows of an enrolment."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from tongxin.care import windows
from tongxin.care.models import Enrolment, Visit
from tongxin.care.workflow import WORKFLOW


def step(user: Any, enrolment: Enrolment, name: str, note: str = "", **data: Any) -> Enrolment:
    """Take one step of the enrolment's workflow (``survey``, ``review``, ``publish`` …) as ``user``."""
    WORKFLOW.take(user, enrolment, name, note=note, **data)
    enrolment.refresh_from_db()
    return enrolment


def visits_of(enrolment: Enrolment) -> Any:
    """The visits that count for an enrolment: to the person, or to the household (any member of it)."""
    q = Q(person_id=enrolment.person_id) if enrolment.person_id else Q(pk__in=[])
    if enrolment.household_id:
        q |= Q(household_id=enrolment.household_id)
    return Visit.objects.filter(q)


def visit_days(
    subjects: list[tuple[int | None, int | None]], since: datetime.date, until: datetime.date
) -> dict[tuple[str, int], list[datetime.date]]:
    """The days of the visits (file reviews apart) from ``since`` to ``until`` to the given (person, household)
    pairs, by ``("p", person)`` and ``("h", household)``: one query for any number of enrolments."""
    persons = {p for p, _h in subjects if p}
    households = {h for _p, h in subjects if h}
    seen: dict[tuple[str, int], list[datetime.date]] = {}
    if not persons and not households:
        return seen
    visits = (
        Visit.objects.filter(Q(person_id__in=persons) | Q(household_id__in=households))
        .filter(visited_on__gte=since, visited_on__lte=until)
        .exclude(kind=Visit.Kind.REVIEW)
        .values_list("person_id", "household_id", "visited_on")
    )
    for person_id, household_id, day in visits:
        seen.setdefault(("p", person_id), []).append(day)
        if household_id:
            seen.setdefault(("h", household_id), []).append(day)
    return seen


def days_of(seen: dict[tuple[str, int], list[datetime.date]], person_id: Any, household_id: Any) -> list:
    """The visit days of one enrolment's person and household, from :func:`visit_days`."""
    return (seen.get(("p", person_id), []) if person_id else []) + (
        seen.get(("h", household_id), []) if household_id else []
    )


def visit_windows(enrolment: Enrolment, as_of: datetime.date, visits: Any = None) -> list[windows.Window]:
    """The enrolment's visit windows (its programme's ``visit_every``) from approval to ``as_of``."""
    every = enrolment.programme.visit_every
    start = enrolment.approved_on
    if not every or start is None:
        return []
    days = visits if visits is not None else visits_of(enrolment).exclude(kind=Visit.Kind.REVIEW)
    days = [v.visited_on if isinstance(v, Visit) else v for v in days]
    return windows.windows(every, start, as_of, days, until=enrolment.ended_on)


def review_windows(enrolment: Enrolment, as_of: datetime.date) -> list[windows.Window]:
    """The enrolment's file-review windows (its programme's ``review_every``): reviews are visits of kind 档案复核."""
    every = enrolment.programme.review_every
    if not every or enrolment.approved_on is None:
        return []
    days = visits_of(enrolment).filter(kind=Visit.Kind.REVIEW).values_list("visited_on", flat=True)
    return windows.windows(every, enrolment.approved_on, as_of, list(days), until=enrolment.ended_on)


#: how far back "my visits" counts missed windows
LOOK_BACK_DAYS = 366


def due_list(user: Any, as_of: datetime.date, enrolments: Any) -> list[dict[str, Any]]:
    """The visits owed by the active enrolments given (already scoped), each with its current window's state,
    how many windows were missed in the last year and the last visit: overdue first, then due, then done.
    Two queries, whatever the number of enrolments."""
    rows = list(
        enrolments.filter(status=Enrolment.Status.ACTIVE, approved_on__isnull=False)
        .exclude(programme__visit_every="")
        .select_related("programme", "person", "household__head", "grid", "community")
    )
    since = as_of - datetime.timedelta(days=LOOK_BACK_DAYS)
    seen = visit_days([(e.person_id, e.household_id) for e in rows], since, as_of)
    out = []
    for e in rows:
        days = days_of(seen, e.person_id, e.household_id)
        start = max(e.approved_on, since)
        found = windows.windows(e.programme.visit_every, start, as_of, days, until=e.ended_on)
        current = found[-1] if found else None
        missed = sum(1 for w in found if w.state == "overdue")
        rank = 0 if missed else 1 if current and current.state == "due" else 2
        out.append({"enrolment": e, "person": e.subject_person, "current": current, "missed": missed,
                    "last": max(days) if days else None, "rank": rank})  # fmt: skip
    out.sort(key=lambda r: (r["rank"], -r["missed"], r["last"] or datetime.date.min))
    return out


def mine(user: Any) -> Any:
    """The enrolments whose visits fall to ``user``: those of the grids they are a member of, or that they are
    the responsible cadre (包保) of — within what they may view."""
    from tongxin.core import scoping

    q = Q(grid__members=user) | Q(responsible=user)
    return scoping.restrict(Enrolment.objects.filter(q).distinct(), user, "view")


def open_case(user: Any, visit: Visit) -> Any:
    """Turn the needs a visit raised into a case (one tap on the visit's page): a 民生诉求 in the visit's grid,
    involving the person visited; the visit keeps the case's link. Refused when the visit already has one."""
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from tongxin.cases import services as cases
    from tongxin.cases.models import Category
    from tongxin.core import audit

    if visit.case_id:
        raise ValidationError(_("该走访已转为事件 %(n)s") % {"n": visit.case.number})
    if not visit.needs.strip():
        raise ValidationError({"needs": [_("走访没有记录需求，无法转为事件")]})
    category = (
        Category.objects.filter(code=NEED_CATEGORY, community__isnull=True, active=True).first()
        or Category.objects.filter(community__isnull=True, active=True, parent__isnull=True).first()
    )
    with transaction.atomic():
        case = cases.report(
            user, community=visit.community, grid=visit.grid, category=category, persons=[visit.person],
            description=_("走访发现：%(n)s（%(p)s，%(d)s %(k)s）") % {
                "n": visit.needs.strip(), "p": visit.person, "d": visit.visited_on.strftime("%Y-%m-%d"),
                "k": visit.get_kind_display(),
            },
        )  # fmt: skip
        pre = audit.serialize(visit)
        visit.case = case
        audit.save_step(visit, "open_case", str(case.number), pre=pre)
    return case


#: the category of a case opened from a visit's needs (the default categories' 民生诉求)
NEED_CATEGORY = "livelihood"
