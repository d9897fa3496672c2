"""The cases' indicators (see :mod:`tongxin.core.indicators`): cases by category and kind, the on-time rates of
the two tiers (小事不过夜: same-day categories; 大事周内结: the others), median working hours, overdue cases and
satisfaction, for the cases reported in the period.

The figures are those of the timeliness report (:mod:`tongxin.cases.report`): the same grouped aggregate
(:func:`report._grouped`), the same status groups (rejected and merged cases count only in the totals), the same
overdue rule (resolved late + open past due at ``now``, suspended excluded) and the same hours; only the rows are
kept per community so that :func:`tongxin.core.indicators.evaluate` can roll them up and recompute the rates.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, DateField, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongxin.cases import report
from tongxin.cases.models import Case, Category
from tongxin.core.indicators import Context, Indicator
from tongxin.org.models import Grid

CASE = "cases.Case"
CASES = "cases:case_list"
PERIOD = {"reported_after": "{start}", "reported_before": "{end}"}
MONTH = {"reported_after": "{key_start}", "reported_before": "{key_end}"}
#: what the tallies group by: the report's keys without the grids, the assignees and the names
TALLY_KEYS = ("community_id", "category_id", "kind", "status")


def _qs(ctx: Context):
    begin, stop = report.day_bounds(ctx.start, ctx.end)
    return ctx.rows(Case.objects.filter(reported_at__gte=begin, reported_at__lt=stop))


def _categories() -> dict[int, Category]:
    return {c.pk: c for c in Category.objects.only("pk", "parent_id", "code", "name", "rule", "amount", "sort")}


def _root(categories: dict[int, Category], pk: int) -> Category:
    """The top-level category (cycles in bad data stop the walk), as the report finds it."""
    cat, seen = categories[pk], set()
    while cat.parent_id and cat.parent_id in categories and cat.pk not in seen:
        seen.add(cat.pk)
        cat = categories[cat.parent_id]
    return cat


class _Community:
    """The running partials of one community."""

    def __init__(self) -> None:
        self.cases = 0
        self.by_kind: Counter = Counter()
        self.by_category: Counter = Counter()
        self.on_time = {"all": [0, 0], "same_day": [0, 0], "within_week": [0, 0]}
        self.overdue = self.overdue_open = self.open = 0
        self.rated = self.sat_sum = self.sat_high = 0
        self.minutes: list[int] = []
        # the months of the period ("2026-03"): cases reported, resolved, resolved on time
        self.by_month: Counter = Counter()
        self.resolved_by_month: Counter = Counter()
        self.on_time_by_month: Counter = Counter()
        # the grids ("" for none): open cases, open past their time limit
        self.open_by_grid: Counter = Counter()
        self.overdue_by_grid: Counter = Counter()


def _of(out: dict[int, _Community], community_id: int) -> _Community:
    """The community's tally, made on first use (``setdefault`` would build one per row of every query)."""
    tally = out.get(community_id)
    if tally is None:
        tally = out[community_id] = _Community()
    return tally


def _tallies(ctx: Context) -> dict[int, _Community]:
    """Every community's partials: the report's grouped aggregate (by category, kind and status), the months and,
    within one community, the grids — each its own small grouped query (one query grouped by all of them gave
    a row for nearly every case of a county) — and one pass over the working minutes."""

    def build() -> dict[int, _Community]:
        qs = _qs(ctx)
        categories = _categories()
        out: dict[int, _Community] = {}
        for row in report._grouped(qs, ctx.now, keys=TALLY_KEYS):
            t = _of(out, row["community_id"])
            t.cases += row["n"]
            t.by_kind[row["kind"]] += row["n"]
            group = report.status_group(row["status"])
            if group in ("rejected", "merged"):
                continue
            t.by_category[str(_root(categories, row["category_id"]).pk)] += row["n"]
            tier = "same_day" if categories[row["category_id"]].is_same_day else "within_week"
            t.rated += row["n_rated"]
            t.sat_sum += row["sat_sum"] or 0
            t.sat_high += row["n_sat_high"]
            if group == "resolved":
                for key in ("all", tier):
                    t.on_time[key][0] += row["n_on_time"]
                    t.on_time[key][1] += row["n"]
                t.overdue += row["n_late"]
            else:
                t.open += row["n"]
                if row["status"] != Case.Status.SUSPENDED:
                    t.overdue += row["n_past_due"]
                    t.overdue_open += row["n_past_due"]
        tz = timezone.get_current_timezone()
        monthly = qs.annotate(_month=TruncMonth("reported_at", output_field=DateField(), tzinfo=tz))
        for row in monthly.values("community_id", "_month", "status").annotate(
            n=Count("pk"), n_on_time=Count("pk", filter=Q(on_time=True))
        ):
            t = _of(out, row["community_id"])
            month = f"{row['_month']:%Y-%m}"
            t.by_month[month] += row["n"]
            if report.status_group(row["status"]) == "resolved":
                t.resolved_by_month[month] += row["n"]
                t.on_time_by_month[month] += row["n_on_time"]
        if ctx.division is not None and ctx.division.level == "community":  # grids: a community's figures only
            for row in qs.values("community_id", "grid_id", "status").annotate(
                n=Count("pk"), n_past_due=Count("pk", filter=Q(due_at__lt=ctx.now))
            ):
                if report.status_group(row["status"]) != "open":
                    continue
                t = _of(out, row["community_id"])
                grid = str(row["grid_id"] or "")
                t.open_by_grid[grid] += row["n"]
                if row["status"] != Case.Status.SUSPENDED:
                    t.overdue_by_grid[grid] += row["n_past_due"]
        minutes = (
            qs.filter(status__in=Case.DONE_STATUSES, work_minutes__isnull=False)
            .values_list("community_id", "work_minutes")
            .iterator(chunk_size=2000)
        )
        for community_id, value in minutes:
            _of(out, community_id).minutes.append(value)
        return out

    return ctx.memo("cases.tallies", build)


def _pick(func: Any):
    """``compute`` that reads one partial of each community's tally."""

    def compute(ctx: Context) -> dict[int, Any]:
        return {cid: func(t) for cid, t in _tallies(ctx).items()}

    return compute


def _per_grid(func: Any):
    """``compute`` of a breakdown by grid: only within one community (a county's thousands of grids, each with
    a row per street, made its answer a megabyte that no page reads)."""

    def compute(ctx: Context) -> dict[int, Any]:
        if ctx.division is None or ctx.division.level != "community":
            return {}
        return {cid: func(t) for cid, t in _tallies(ctx).items()}

    return compute


def _median_hours(minutes: list[int]) -> float | None:
    return report.hours(minutes)[0]


def category_names() -> dict[str, str]:
    """Top-level categories (deployment defaults first), by their display order."""
    tops = Category.objects.filter(parent__isnull=True).order_by("sort", "code", "pk")
    return {str(c.pk): c.name for c in tops}


def grid_names(keys: Iterable[str]) -> dict[str, str]:
    """The names of the grids found (by id), in their code order."""
    ids = [int(k) for k in keys if str(k).isdigit()]
    return {str(pk): name for pk, name in Grid.objects.filter(pk__in=ids).order_by("code").values_list("pk", "name")}


def month_names(keys: Iterable[str]) -> dict[str, str]:
    """Months keep their key (``2026-03``), in order."""
    return {k: k for k in sorted(keys)}


def kind_names() -> dict[str, str]:
    return {k: str(label) for k, label in Case.Kind.choices}


def _rate(key: str):
    return _pick(lambda t: tuple(t.on_time[key]))


RESOLVED, ON_TIME = _("已办结件数"), _("按时办结件数")

INDICATORS = [
    Indicator(
        "cases.cases", _("事件诉求"), _("件"), "cases", CASE, _pick(lambda t: t.cases), needs="period",
        list_url=CASES, query=PERIOD,
    ),
    Indicator(
        "cases.by_category", _("按分类"), _("件"), "cases", CASE, _pick(lambda t: t.by_category), kind="breakdown",
        needs="period", names=category_names, list_url=CASES, query={**PERIOD, "category": "{key}"},
    ),
    Indicator(
        "cases.by_kind", _("按类型"), _("件"), "cases", CASE, _pick(lambda t: t.by_kind), kind="breakdown",
        needs="period", names=kind_names, list_url=CASES, query={**PERIOD, "kind": "{key}"},
    ),
    Indicator(
        "cases.on_time_rate", _("按时办结率"), "%", "cases", CASE, _rate("all"), kind="rate", needs="period",
        numerator=ON_TIME, denominator=RESOLVED, list_url=CASES, query={**PERIOD, "due": "on_time"},
    ),
    Indicator(
        "cases.on_time_rate_same_day", _("当天办结类按时办结率"), "%", "cases", CASE, _rate("same_day"),
        kind="rate", needs="period", numerator=ON_TIME, denominator=RESOLVED, list_url=CASES,
        query={**PERIOD, "due": "on_time"},
    ),
    Indicator(
        "cases.on_time_rate_within_week", _("一周内办结类按时办结率"), "%", "cases", CASE, _rate("within_week"),
        kind="rate", needs="period", numerator=ON_TIME, denominator=RESOLVED, list_url=CASES,
        query={**PERIOD, "due": "on_time"},
    ),
    Indicator(
        "cases.median_hours", _("办理用时中位数"), _("工作小时"), "hours", CASE, _pick(lambda t: t.minutes),
        kind="median", needs="period", finish=_median_hours,
    ),
    Indicator(
        "cases.overdue", _("超期件数"), _("件"), "cases", CASE, _pick(lambda t: t.overdue), needs="period",
        list_url=CASES, query={**PERIOD, "due": "late"},
    ),
    Indicator(
        "cases.overdue_open", _("超期未办结"), _("件"), "cases", CASE, _pick(lambda t: t.overdue_open),
        needs="period", list_url=CASES, query={**PERIOD, "due": "overdue"},
    ),
    Indicator(
        "cases.open", _("办理中"), _("件"), "cases", CASE, _pick(lambda t: t.open), needs="period",
        list_url=CASES, query={**PERIOD, "due": "open"},
    ),
    Indicator(
        "cases.satisfaction", _("平均满意度"), _("分"), "score", CASE, _pick(lambda t: (t.sat_sum, t.rated)),
        kind="average", needs="period", numerator=_("评分合计"), denominator=_("评价件数"),
    ),
    Indicator(
        "cases.satisfaction_high_share", _("满意率（4–5分）"), "%", "cases", CASE,
        _pick(lambda t: (t.sat_high, t.rated)), kind="rate", needs="period", numerator=_("满意件数"),
        denominator=_("评价件数"),
    ),
    Indicator(
        "cases.by_month", _("每月事件诉求"), _("件"), "cases", CASE, _pick(lambda t: t.by_month), kind="breakdown",
        needs="period", names_of=month_names, list_url=CASES, query=MONTH,
    ),
    Indicator(
        "cases.resolved_by_month", _("每月已办结"), _("件"), "cases", CASE, _pick(lambda t: t.resolved_by_month),
        kind="breakdown", needs="period", names_of=month_names,
    ),
    Indicator(
        "cases.on_time_by_month", _("每月按时办结"), _("件"), "cases", CASE, _pick(lambda t: t.on_time_by_month),
        kind="breakdown", needs="period", names_of=month_names, list_url=CASES, query={**MONTH, "due": "on_time"},
    ),
    Indicator(
        "cases.open_by_grid", _("各网格办理中"), _("件"), "cases", CASE, _per_grid(lambda t: t.open_by_grid),
        kind="breakdown", needs="period", names_of=grid_names, list_url=CASES,
        query={**PERIOD, "grid": "{key}", "due": "open"}, sources=("org.Grid",),
    ),
    Indicator(
        "cases.overdue_by_grid", _("各网格超期未办结"), _("件"), "cases", CASE, _per_grid(lambda t: t.overdue_by_grid),
        kind="breakdown", needs="period", names_of=grid_names, list_url=CASES,
        query={**PERIOD, "grid": "{key}", "due": "overdue"}, sources=("org.Grid",),
    ),
]  # fmt: skip
