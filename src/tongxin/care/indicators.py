"""The care module's indicators (see :mod:`tongxin.core.indicators`): persons and households on each programme,
visits owed, made and missed, and holiday visits.

Enrolment rows are sensitive, but their counts are not personal data: the figures are shown to whoever may see
the programmes of the division (an official without the sensitive permission reads how many households are on
低保, never who), counting every enrolment of the division's subtree — or, for a grid member, of their grids.
States are taken on the as-of day from the enrolment's dates (approved, ended), so past periods keep their
figures after later exits.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext_lazy as _

from tongxin.care import windows
from tongxin.care.models import Enrolment, Visit
from tongxin.care.services import days_of, visit_days
from tongxin.core import scoping
from tongxin.core.indicators import Context, Indicator, grouped_counts
from tongxin.registry.filters import years_before

PROGRAMME = "care.Programme"  # who may see the programmes of a division sees these counts
ENROLMENTS = "care:enrolment_list"
VISITS = "care:visit_list"
SOURCES = ("care.Enrolment", "care.Visit")
#: the statuses an enrolment may have had on a past day while it was approved (exited later, or suspended)
APPROVED = (Enrolment.Status.ACTIVE, Enrolment.Status.SUSPENDED, Enrolment.Status.EXITED)


def _rows(ctx: Context, model: type) -> Any:
    """The rows of ``model`` in the division's subtree, as far as the user's grants reach (a grid member: their
    grids), without the sensitive gate of the rows themselves (counts only)."""
    qs = model.objects.order_by()
    if ctx.division is not None:
        qs = qs.filter(community__path__startswith=ctx.division.path)
    grants = [g for g in scoping.grants(ctx.user) if g.allows(scoping.perm_name(model, "view"))]
    if any(g.deployment_wide for g in grants) or getattr(ctx.user, "is_superuser", False):
        return qs
    q = Q(pk__in=[])
    for g in grants:
        q |= Q(grid_id=g.grid_id) if g.grid_id is not None else Q(community__path__startswith=g.division_path)
    return qs.filter(q)


def _on(ctx: Context, code: str) -> Any:
    """Enrolments in programme ``code`` approved on the as-of day (not ended by then)."""
    day = ctx.as_of
    return _rows(ctx, Enrolment).filter(
        Q(ended_on__isnull=True) | Q(ended_on__gt=day),
        programme__code=code,
        status__in=APPROVED,
        approved_on__lte=day,
    )


def enrolled(code: str, *, unit: str = "count"):
    """``compute`` of the enrolments (``count``) or the persons they cover (``persons``) of a programme."""

    def compute(ctx: Context) -> dict[int, int]:
        qs = _on(ctx, code)
        if unit == "count":
            return grouped_counts(qs)
        rows = qs.values("community_id").annotate(n=Sum("persons_covered"))
        return {r["community_id"]: r["n"] or 0 for r in rows}

    return compute


def approved_in_period(code: str):
    """``compute`` of the enrolments in ``code`` approved during the period (aid given: 医疗救助, 临时救助)."""

    def compute(ctx: Context) -> dict[int, int]:
        qs = _rows(ctx, Enrolment).filter(programme__code=code, status__in=APPROVED)
        return grouped_counts(qs.filter(approved_on__gte=ctx.start, approved_on__lte=ctx.as_of))

    return compute


def _windows(ctx: Context) -> dict[int, Counter]:
    """Per community: the visit windows of the period (up to the as-of day) owed by approved enrolments, and
    how many were done and missed. One query for the enrolments, one for their visits."""

    def build() -> dict[int, Counter]:
        enrolments = list(
            _rows(ctx, Enrolment)
            .filter(status__in=APPROVED, approved_on__lte=ctx.as_of)
            .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=ctx.start))
            .exclude(programme__visit_every="")
            .values("community_id", "person_id", "household_id", "approved_on", "ended_on", "programme__visit_every")
        )
        since = ctx.start - datetime.timedelta(days=366)
        days = visit_days([(e["person_id"], e["household_id"]) for e in enrolments], since, ctx.as_of)
        out: dict[int, Counter] = defaultdict(Counter)
        for e in enrolments:
            done_on = days_of(days, e["person_id"], e["household_id"])
            found = windows.windows(e["programme__visit_every"], e["approved_on"], ctx.as_of, done_on,
                                    until=e["ended_on"])  # fmt: skip
            tally = out[e["community_id"]]
            for w in found:
                if w.end < ctx.start or w.state in ("upcoming", "ended"):
                    continue
                tally["due"] += 1
                tally["done"] += w.done
                tally["overdue"] += w.state == "overdue"
        return out

    return ctx.memo("care.windows", build)


def _pick(key: str):
    return lambda ctx: {cid: t[key] for cid, t in _windows(ctx).items()}


def visits_made(ctx: Context) -> dict[int, int]:
    """Visits recorded in the period (person-times)."""
    qs = _rows(ctx, Visit).filter(visited_on__gte=ctx.start, visited_on__lte=ctx.as_of)
    return grouped_counts(qs)


def holiday_households(ctx: Context) -> dict[int, int]:
    """Households (or persons without one) given a holiday visit (两节慰问) in the period."""
    qs = _rows(ctx, Visit).filter(kind=Visit.Kind.HOLIDAY, visited_on__gte=ctx.start, visited_on__lte=ctx.as_of)
    out: dict[int, set] = defaultdict(set)
    for community_id, household_id, person_id in qs.values_list("community_id", "household_id", "person_id"):
        out[community_id].add(("h", household_id) if household_id else ("p", person_id))
    return {cid: len(found) for cid, found in out.items()}


def plans_reviewed(ctx: Context) -> dict[int, tuple[int, int]]:
    """Care plans reviewed in the period ÷ plans active on the as-of day (made by then)."""
    from tongxin.care.models import CarePlan

    plans = _rows(ctx, CarePlan).filter(status=CarePlan.Status.ACTIVE, created__date__lte=ctx.as_of)
    out: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for community_id, reviewed in plans.values_list("community_id", "reviewed_on"):
        out[community_id][1] += 1
        out[community_id][0] += bool(reviewed and ctx.start <= reviewed <= ctx.as_of)
    return {cid: (n, d) for cid, (n, d) in out.items()}


def _health_65(ctx: Context) -> dict[int, tuple[int, int]]:
    """Living residents aged 65 or more on the as-of day with a health check in the period ÷ all of them."""
    from tongxin.care.models import HealthCheck
    from tongxin.registry.models import Person

    def build() -> dict[int, tuple[int, int]]:
        born_by = years_before(ctx.as_of, 65)
        elders = _rows(ctx, Person).filter(life_status=Person.LifeStatus.LIVING, birth_date__lte=born_by)
        checked = HealthCheck.objects.filter(checked_on__gte=ctx.start, checked_on__lte=ctx.as_of).values("person_id")
        rows = elders.values("community_id").annotate(n=Count("pk"), checked=Count("pk", filter=Q(pk__in=checked)))
        return {r["community_id"]: (r["checked"], r["n"]) for r in rows}

    return ctx.memo("care.health65", build)


ACTIVE = {"status": "active"}


def _enrolled(key: str, code: str, label: Any, unit: Any, counts: str, *, persons: bool = False) -> Indicator:
    return Indicator(
        key, label, unit, counts, PROGRAMME, enrolled(code, unit="persons" if persons else "count"),
        list_url=ENROLMENTS, query={"programme_code": code, **ACTIVE}, sources=SOURCES,
    )  # fmt: skip


INDICATORS = [
    _enrolled("care.dibao_households", "dibao", _("低保户数"), _("户"), "households"),
    _enrolled("care.dibao_persons", "dibao", _("低保人数"), _("人"), "persons", persons=True),
    _enrolled("care.tekun_persons", "tekun", _("特困供养人数"), _("人"), "persons"),
    Indicator(
        "care.medical_aid_households", _("医疗救助户数"), _("户"), "households", PROGRAMME,
        approved_in_period("medical_aid"), needs="period", list_url=ENROLMENTS,
        query={"programme_code": "medical_aid"}, sources=SOURCES,
    ),
    _enrolled("care.daily_care_persons", "daily_care", _("生活照料人数"), _("人"), "persons"),
    _enrolled("care.left_behind_elderly", "left_behind_elderly", _("留守老人"), _("人"), "persons"),
    _enrolled("care.left_behind_children", "left_behind_children", _("留守儿童"), _("人"), "persons"),
    Indicator("care.visits_due", _("应走访（期次）"), _("次"), "person_times", PROGRAMME, _pick("due"),
              needs="period", sources=SOURCES),
    Indicator("care.visits_done", _("已按期走访（期次）"), _("次"), "person_times", PROGRAMME, _pick("done"),
              needs="period", sources=SOURCES),
    Indicator("care.visits_overdue", _("超期未走访（期次）"), _("次"), "person_times", PROGRAMME, _pick("overdue"),
              needs="period", sources=SOURCES),
    Indicator(
        "care.plans_reviewed_rate", _("关爱计划按期复核率"), "%", "persons", PROGRAMME, plans_reviewed, kind="rate",
        needs="period", numerator=_("期内已复核"), denominator=_("执行中的计划"), sources=("care.CarePlan",),
    ),
    Indicator(
        "care.health_checks_65plus", _("65岁以上老人体检人数"), _("人"), "persons", PROGRAMME,
        lambda ctx: {cid: n for cid, (n, _d) in _health_65(ctx).items()}, needs="period",
        sources=("care.HealthCheck", "registry.Person"),
    ),
    Indicator(
        "care.health_check_rate_65plus", _("65岁以上老人体检率"), "%", "persons", PROGRAMME, _health_65, kind="rate",
        needs="period", numerator=_("期内体检人数"), denominator=_("65岁以上健在居民"),
        sources=("care.HealthCheck", "registry.Person"),
    ),
    Indicator(
        "care.visits_made", _("走访人次"), _("人次"), "person_times", PROGRAMME, visits_made, needs="period",
        list_url=VISITS, query={"visited_after": "{start}", "visited_before": "{end}"}, sources=SOURCES,
    ),
    Indicator(
        "care.holiday_visit_households", _("两节慰问户数"), _("户"), "households", PROGRAMME, holiday_households,
        needs="period", list_url=VISITS, query={"kind": "holiday", "visited_after": "{start}",
                                                "visited_before": "{end}"}, sources=SOURCES,
    ),
]  # fmt: skip
