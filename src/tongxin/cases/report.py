"""The timeliness report of cases (办结时效报表): how many cases a division had in a period, how many were
resolved on time under the two tiers of time limits (小事不过夜: same-day categories; 大事周内结: all
others), how long they took in working hours, what is overdue, what was escalated and how satisfied the
residents were — overall and by category, community, grid and assignee.

The same function serves the page, the XLSX download and ``tongxin cases-report``. It reads the cases
through :func:`tongxin.core.scoping.restrict` (unless a deployment-wide caller says ``unscoped=True``),
with one grouped aggregate query, one query of the categories and one streamed pass over the working
minutes of the resolved cases (for the medians); never a query per case.

Counting rules: every case reported in the period counts in ``total``, ``by_kind`` and ``by_status``;
rejected (不予受理) and merged (已合并) cases count there only, every other figure is over the remaining
cases (``counted``). "On time" is the flag recorded when the case was resolved; a reopened case is open
again until it is resolved anew. Overdue = resolved late + still open and past due at ``now`` (suspended
cases excluded: their clock is stopped).
"""

from __future__ import annotations

import datetime
import io
import statistics
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tongxin.cases.models import Case, Category
from tongxin.core import scoping
from tongxin.org.models import Division

S = Case.Status

#: the status groups of the report, in display order
STATUS_GROUPS = ("open", "resolved", "rejected", "merged")
#: the two tiers of time limits
TIERS = ("same_day", "within_week")


def status_group(status: str) -> str:
    """The report's group of a case status: open, resolved (resolved or closed), rejected or merged."""
    if status in Case.DONE_STATUSES:
        return "resolved"
    if status == S.REJECTED:
        return "rejected"
    if status == S.MERGED:
        return "merged"
    return "open"


def _labels() -> dict[str, str]:
    """Display names of the status groups and tiers in the active language."""
    return {
        "open": _("办理中"),
        "resolved": _("已办结"),
        "rejected": _("不予受理"),
        "merged": _("已合并"),
        "same_day": _("当天办结类"),
        "within_week": _("一周内办结类"),
    }


def round_half_up(value: float | None, places: int = 1) -> float | None:
    """``value`` rounded half up (2.25 → 2.3, unlike :func:`round`); None stays None."""
    if value is None:
        return None
    quantum = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` as a percentage with one decimal (66.7); None when ``whole`` is 0."""
    return round_half_up(100 * part / whole, 1) if whole else None


def hours(minutes: Iterable[int]) -> tuple[float | None, float | None]:
    """(median, mean) of working minutes, in hours with one decimal; (None, None) for no values."""
    values = list(minutes)
    if not values:
        return None, None
    return round_half_up(statistics.median(values) / 60, 1), round_half_up(statistics.fmean(values) / 60, 1)


class _Tally:
    """The running counts of one row of the report (a tier, a category, a grid …)."""

    __slots__ = ("cases", "late", "minutes", "on_time", "open", "overdue_open", "resolved")

    def __init__(self) -> None:
        self.cases = self.open = self.resolved = self.on_time = self.late = self.overdue_open = 0
        self.minutes: list[int] = []

    def add(self, group: str, row: dict[str, Any]) -> None:
        """Count one row of the grouped query (the counted cases of one status in one combination)."""
        self.cases += row["n"]
        if group == "resolved":
            self.resolved += row["n"]
            self.on_time += row["n_on_time"]
            self.late += row["n_late"]
        else:
            self.open += row["n"]
            if row["status"] != S.SUSPENDED:
                self.overdue_open += row["n_past_due"]

    def figures(self) -> dict[str, Any]:
        """The row's figures (JSON-serialisable)."""
        median, mean = hours(self.minutes)
        return {
            "cases": self.cases,
            "open": self.open,
            "resolved": self.resolved,
            "resolved_on_time": self.on_time,
            "resolved_late": self.late,
            "on_time_rate": percent(self.on_time, self.resolved),
            "median_hours": median,
            "mean_hours": mean,
            "overdue_open": self.overdue_open,
            "overdue": self.late + self.overdue_open,
        }


def day_bounds(start: datetime.date, end: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The aware instants [start 00:00, the day after end 00:00) in the deployment's time zone."""
    tz = timezone.get_current_timezone()
    begin = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    stop = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return begin, stop


def cases_for(
    user: Any, division: Division, start: datetime.date, end: datetime.date, *, unscoped: bool = False
) -> QuerySet:
    """The cases reported from ``start`` to ``end`` (local dates, inclusive) in ``division``'s subtree that
    ``user`` may view; every case there only with ``unscoped=True`` (deployment-wide jobs)."""
    begin, stop = day_bounds(start, end)
    qs = Case.objects.filter(
        community__path__startswith=division.path, reported_at__gte=begin, reported_at__lt=stop
    ).order_by()
    return qs if unscoped else scoping.restrict(qs, user, "view")


def _assignee_name(row: dict[str, Any]) -> str:
    """What :attr:`User.display_name` would show, from the values of the grouped query."""
    full = f"{row['assignee__first_name'] or ''} {row['assignee__last_name'] or ''}".strip()
    return row["assignee__name"] or full or row["assignee__username"] or ""


def timeliness(
    user: Any,
    division: Division,
    start: datetime.date,
    end: datetime.date,
    now: datetime.datetime | None = None,
    *,
    unscoped: bool = False,
) -> dict[str, Any]:
    """The timeliness figures of the cases reported in ``division``'s subtree from ``start`` to ``end``
    (inclusive, local dates) that ``user`` may view; ``now`` decides what is overdue (default: now).

    ``user=None`` sees nothing unless ``unscoped=True`` is given explicitly (the command's system user).
    Rates are percentages with one decimal (None when nothing was resolved), hours are working hours.
    """
    now = now or timezone.now()
    qs = cases_for(user, division, start, end, unscoped=unscoped)
    breakdown = _Breakdown()
    # 1. one grouped aggregate: the counts of every (category, community, grid, assignee, kind, status)
    for row in _grouped(qs, now):
        breakdown.add(row)
    # 2. one streamed pass over the working minutes of the resolved cases, for the medians
    minutes = (
        qs.filter(status__in=Case.DONE_STATUSES, work_minutes__isnull=False)
        .values_list("category_id", "community_id", "grid_id", "assignee_id", "work_minutes")
        .iterator(chunk_size=2000)
    )
    for category_id, community_id, grid_id, assignee_id, value in minutes:
        breakdown.add_minutes(category_id, community_id, grid_id, assignee_id, value)
    return breakdown.report(division, start, end, now)


_GROUP_KEYS = (
    "category_id",
    "community_id",
    "community__code",
    "community__name",
    "grid_id",
    "grid__code",
    "grid__name",
    "assignee_id",
    "assignee__username",
    "assignee__name",
    "assignee__first_name",
    "assignee__last_name",
    "kind",
    "status",
)


def _grouped(qs: QuerySet, now: datetime.datetime, *extra: str, keys: tuple[str, ...] = _GROUP_KEYS) -> list:
    """The counts of every combination of ``keys`` (the report's :data:`_GROUP_KEYS` by default, and ``extra``,
    e.g. an annotated month); the annotations are prefixed so that none shadows a field of Case (on_time) inside
    the filters."""
    return list(
        qs.values(*keys, *extra).annotate(
            n=Count("pk"),
            n_on_time=Count("pk", filter=Q(on_time=True)),
            n_late=Count("pk", filter=Q(on_time=False)),
            n_past_due=Count("pk", filter=Q(due_at__lt=now)),
            n_escalated=Count("pk", filter=Q(level__gte=Case.Level.COMMUNITY)),
            n_rated=Count("satisfaction"),
            sat_sum=Sum("satisfaction"),
            n_sat_high=Count("pk", filter=Q(satisfaction__gte=4)),
        )
    )


class _Breakdown:
    """The report's running tallies: overall, per tier and per category, top category, community, grid and
    assignee, with the names of their rows."""

    def __init__(self) -> None:
        # the categories (a small table), for the tier (Category.is_same_day) and the top-level category
        self.categories = {
            c.pk: c for c in Category.objects.only("pk", "parent_id", "code", "name", "rule", "amount", "sort")
        }
        self.total = _Tally()
        self.tiers = {t: _Tally() for t in TIERS}
        self.by: dict[str, dict[Any, _Tally]] = {"category": {}, "top": {}, "community": {}, "grid": {}, "assignee": {}}
        self.names: dict[str, dict[Any, dict[str, Any]]] = {k: {} for k in self.by}
        self.by_kind = dict.fromkeys(Case.Kind.values, 0)
        self.by_status = dict.fromkeys(STATUS_GROUPS, 0)
        self.escalated = self.rated = self.sat_sum = self.sat_high = 0

    def root(self, category_id: int) -> Category:
        """The top-level category of a category (cycles in bad data stop the walk)."""
        cat, seen = self.categories[category_id], set()
        while cat.parent_id and cat.parent_id in self.categories and cat.pk not in seen:
            seen.add(cat.pk)
            cat = self.categories[cat.parent_id]
        return cat

    def tier(self, category_id: int) -> str:
        return "same_day" if self.categories[category_id].is_same_day else "within_week"

    def keys(self, category_id: int, community_id: int, grid_id: int | None, assignee_id: int | None) -> dict:
        return {
            "category": category_id,
            "top": self.root(category_id).pk,
            "community": community_id,
            "grid": (community_id, grid_id),  # cases without a grid stay apart per community
            "assignee": assignee_id,
        }

    def add(self, row: dict[str, Any]) -> None:
        """Count one row of the grouped query; rejected and merged cases are counted apart, not in the rates."""
        group = status_group(row["status"])
        self.by_kind[row["kind"]] = self.by_kind.get(row["kind"], 0) + row["n"]
        self.by_status[group] += row["n"]
        if group in ("rejected", "merged"):
            return
        self.escalated += row["n_escalated"]
        self.rated += row["n_rated"]
        self.sat_sum += row["sat_sum"] or 0
        self.sat_high += row["n_sat_high"]
        self.total.add(group, row)
        self.tiers[self.tier(row["category_id"])].add(group, row)
        for dim, key in self.keys(row["category_id"], row["community_id"], row["grid_id"], row["assignee_id"]).items():
            self.by[dim].setdefault(key, _Tally()).add(group, row)
            if key not in self.names[dim]:
                self.names[dim][key] = _row_name(dim, key, row, self.categories, self.root)

    def add_minutes(
        self, category_id: int, community_id: int, grid_id: int | None, assignee_id: int | None, value: int
    ) -> None:
        """One resolved case's working minutes, for the medians of every row it counts in."""
        self.total.minutes.append(value)
        self.tiers[self.tier(category_id)].minutes.append(value)
        for dim, key in self.keys(category_id, community_id, grid_id, assignee_id).items():
            if key in self.by[dim]:
                self.by[dim][key].minutes.append(value)

    def table(self, dim: str, order: Any) -> list[dict[str, Any]]:
        out = [{**self.names[dim][key], **tally.figures()} for key, tally in self.by[dim].items()]
        return sorted(out, key=order)

    def report(self, division: Division, start: datetime.date, end: datetime.date, now: datetime.datetime) -> dict:
        """The report as :func:`timeliness` returns it."""
        labels, overall, by_status = _labels(), self.total.figures(), self.by_status
        rollup = division.level != Division.Level.COMMUNITY
        return {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "division": {
                "code": division.code,
                "name": division.name,
                "level": division.level,
                "full_name": division.full_name,
            },
            "generated_at": timezone.localtime(now).isoformat(timespec="seconds"),
            "total": sum(by_status.values()),
            "counted": overall["cases"],
            "by_kind": [{"kind": k, "name": str(Case.Kind(k).label), "cases": n} for k, n in self.by_kind.items()],
            "by_status": [{"group": g, "name": labels[g], "cases": by_status[g]} for g in STATUS_GROUPS],
            "open": overall["open"],
            "resolved": overall["resolved"],
            "resolved_on_time": overall["resolved_on_time"],
            "resolved_late": overall["resolved_late"],
            "rejected": by_status["rejected"],
            "merged": by_status["merged"],
            "same_day": {"name": labels["same_day"], **self.tiers["same_day"].figures()},
            "within_week": {"name": labels["within_week"], **self.tiers["within_week"].figures()},
            "on_time_rate": overall["on_time_rate"],
            "median_hours": overall["median_hours"],
            "mean_hours": overall["mean_hours"],
            "overdue_open": overall["overdue_open"],
            "overdue": overall["overdue"],
            "escalated": self.escalated,
            "satisfaction": {
                "rated": self.rated,
                "average": round_half_up(self.sat_sum / self.rated, 2) if self.rated else None,
                "high_share": percent(self.sat_high, self.rated),
            },
            "by_top_category": self.table("top", lambda r: (r["sort"], r["code"])),
            "by_category": self.table("category", lambda r: (r["sort"], r["code"])),
            "by_community": self.table("community", lambda r: r["code"]) if rollup else [],
            "by_grid": self.table("grid", lambda r: (r["community"], r["code"] == "", r["code"])),
            "by_assignee": self.table("assignee", lambda r: (r["name"] == "", -r["cases"], r["name"])),
        }


def _row_name(dim: str, key: Any, row: dict[str, Any], categories: dict[int, Category], root: Any) -> dict[str, Any]:
    """The naming columns of a breakdown row."""
    if dim in ("category", "top"):
        cat = categories[key]
        out = {"code": cat.code, "name": cat.name, "sort": cat.sort}
        if dim == "category":
            top = root(key)
            out["parent"] = top.name if top.pk != cat.pk else ""
            out["tier"] = "same_day" if cat.is_same_day else "within_week"
        return out
    if dim == "community":
        return {"code": row["community__code"], "name": row["community__name"]}
    if dim == "grid":
        if key[1] is None:
            return {"code": "", "name": _("未划分网格"), "community": row["community__name"]}
        return {"code": row["grid__code"], "name": row["grid__name"], "community": row["community__name"]}
    return {"name": _assignee_name(row) if key is not None else _("未分派")}


# -- XLSX -----------------------------------------------------------------------------------------------------


def _width(value: Any) -> int:
    """Display width of a cell's text (CJK characters count double)."""
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def _fit(ws: Any, minimum: int = 8, maximum: int = 50) -> None:
    """Set each column's width to its longest cell."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            widths[cell.column] = max(widths.get(cell.column, 0), _width(cell.value))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(max(width + 2, minimum), maximum)


def _rate(value: float | None) -> float | None:
    """A percentage of the report (87.3) as the fraction a '%' number format expects (0.873)."""
    return None if value is None else round(value / 100, 4)


PCT, DEC1, DEC2 = "0.0%", "0.0", "0.00"  # the workbook's number formats


def timeliness_xlsx(data: dict[str, Any]) -> bytes:
    """The report as an XLSX workbook: 汇总 (headline figures), 按分类, 按社区 (roll-ups only), 按网格, 按承办人.

    Counts only, plus category, division, grid and staff names: no resident's personal data."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from tongxin.core.export import xlsx_row

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = _("汇总")
    ws.append([_("项目"), _("数值")])
    for label, value, fmt in _summary_rows(data):
        ws.append(xlsx_row(ws, [label, value]))
        if fmt:
            ws.cell(row=ws.max_row, column=2).number_format = fmt
    for cell in ws[1]:
        cell.font = bold
    _fit(ws)
    figures = [
        (_("件数"), "cases", None),
        (_("已办结"), "resolved", None),
        (_("按时办结"), "resolved_on_time", None),
        (_("按时办结率"), "on_time_rate", PCT),
        (_("中位办理时长（工作小时）"), "median_hours", DEC1),
        (_("超期"), "overdue", None),
        (_("超期未办结"), "overdue_open", None),
    ]
    for title, heads, rows in _breakdown_sheets(data):
        ws = wb.create_sheet(title=title[:31])
        ws.append([h for h, _get in heads] + [h for h, _key, _fmt in figures])
        for cell in ws[1]:
            cell.font = bold
        for r in rows:
            values = [get(r) for _h, get in heads]
            for _h, key, fmt in figures:
                values.append(_rate(r[key]) if fmt == PCT else r[key])
            ws.append(xlsx_row(ws, values))
            for offset, (_h, _key, fmt) in enumerate(figures, start=len(heads) + 1):
                if fmt:
                    ws.cell(row=ws.max_row, column=offset).number_format = fmt
        ws.freeze_panes = "A2"
        _fit(ws)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _summary_rows(data: dict[str, Any]) -> list[tuple[str, Any, str | None]]:
    """The 汇总 sheet: (label, value, number format) of each headline figure."""
    sat = data["satisfaction"]
    summary: list[tuple[str, Any, str | None]] = [
        (
            _("统计区划"),
            f"{data['division']['full_name'] or data['division']['name']}（{data['division']['code']}）",
            None,
        ),
        (
            _("统计期间"),
            _("%(s)s 至 %(e)s（按上报日期）") % {"s": data["period"]["start"], "e": data["period"]["end"]},
            None,
        ),
        (_("生成时间"), data["generated_at"].replace("T", " ")[:19], None),
        (_("上报总数"), data["total"], None),
        *((_("其中：%(k)s") % {"k": r["name"]}, r["cases"], None) for r in data["by_kind"]),
        *((_("状态：%(g)s") % {"g": r["name"]}, r["cases"], None) for r in data["by_status"]),
        (_("纳入统计（不含不予受理、已合并）"), data["counted"], None),
        (_("已办结"), data["resolved"], None),
        (_("按时办结"), data["resolved_on_time"], None),
        (_("按时办结率"), _rate(data["on_time_rate"]), PCT),
    ]
    for key in TIERS:
        t = data[key]
        summary += [
            (_("%(t)s：件数") % {"t": t["name"]}, t["cases"], None),
            (_("%(t)s：已办结") % {"t": t["name"]}, t["resolved"], None),
            (_("%(t)s：按时办结") % {"t": t["name"]}, t["resolved_on_time"], None),
            (_("%(t)s：按时办结率") % {"t": t["name"]}, _rate(t["on_time_rate"]), PCT),
            (_("%(t)s：超期未办结") % {"t": t["name"]}, t["overdue_open"], None),
        ]
    summary += [
        (_("中位办理时长（工作小时）"), data["median_hours"], DEC1),
        (_("平均办理时长（工作小时）"), data["mean_hours"], DEC1),
        (_("超期（超期办结 + 超期未办结）"), data["overdue"], None),
        (_("超期办结"), data["resolved_late"], None),
        (_("超期未办结"), data["overdue_open"], None),
        (_("督办"), data["escalated"], None),
        (_("满意度评价数"), sat["rated"], None),
        (_("满意度平均分（1–5）"), sat["average"], DEC2),
        (_("满意率（4–5分）"), _rate(sat["high_share"]), PCT),
    ]
    return summary


def _breakdown_sheets(data: dict[str, Any]) -> list[tuple[str, list[tuple[str, Any]], list[dict[str, Any]]]]:
    """The breakdown sheets: (title, naming columns with their getters, rows)."""
    tier_names = {k: data[k]["name"] for k in TIERS}
    sheets: list[tuple[str, list[tuple[str, Any]], list[dict[str, Any]]]] = [
        (
            _("按分类"),
            [
                (_("分类代码"), lambda r: r["code"]),
                (_("分类"), lambda r: r["name"]),
                (_("上级分类"), lambda r: r["parent"]),
                (_("时限类别"), lambda r: tier_names[r["tier"]]),
            ],
            data["by_category"],
        ),
    ]
    if data["by_community"]:
        sheets.append(
            (
                _("按社区"),
                [(_("区划代码"), lambda r: r["code"]), (_("社区"), lambda r: r["name"])],
                data["by_community"],
            )
        )
    sheets += [
        (
            _("按网格"),
            [
                (_("社区"), lambda r: r["community"]),
                (_("网格编号"), lambda r: r["code"]),
                (_("网格"), lambda r: r["name"]),
            ],
            data["by_grid"],
        ),
        (_("按承办人"), [(_("承办人"), lambda r: r["name"])], data["by_assignee"]),
    ]
    return sheets
