"""Dashboards (数据看板): the key figures and charts of a division, built from the modules' indicators.

A module declares its part of the dashboard on its ``AppConfig`` (``dashboard = "tongxin.x.dashboard.DASHBOARD"``)
as a :class:`Part`: headline figures, charts of the division's own figures, the columns of the comparison of the
divisions below it and charts of that comparison. :func:`build` evaluates every indicator the parts name in one
:func:`tongxin.core.indicators.evaluate` call (cached per division and day, invalidated by writes) and turns the
results into what the page shows:

* a director (a community) sees the community's figures and charts;
* a street or county official sees the total, a table with one row per community (or street) — ordered by the
  part's ``order_by`` indicator, worst first — and its bar charts, then the charts of the total.

Every number and every chart element carries the URL of the filtered list behind it (the indicator's drill-down;
a street's row opens that street's dashboard). A chart is a plain ``spec`` (type, categories, series of values
and URLs) that ``static/tongxin/charts.js`` draws with the vendored Apache ECharts, and the same spec as a table
(``table``): the page shows the table when scripts do not run, and a 表格 button switches to it (accessibility).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from tongxin.core import hooks, indicators, scoping

#: the levels a chart may be shown at; "root" is the whole deployment
LEVELS = ("root", "province", "city", "county", "street", "community")
ABOVE_COMMUNITY = LEVELS[:-1]
#: slices of a pie beyond this many are shown as one "其他" slice (the table keeps them all)
PIE_SLICES = 8

Spec = dict[str, Any]
Found = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class Chart:
    """One chart: ``build(found, period)`` turns the evaluated indicators (by key) into a spec, or None when
    there is nothing to draw. ``keys`` are the indicators it reads; ``levels`` the divisions it is shown for."""

    key: str
    title: Any
    keys: tuple[str, ...]
    build: Callable[[Found, indicators.Period], Spec | None]
    levels: tuple[str, ...] = LEVELS
    wide: bool = False


@dataclass(frozen=True)
class Part:
    """A module's part of the dashboard (see the module docstring); ``order`` places it among the modules'."""

    figures: tuple[str, ...] = ()
    charts: tuple[Chart, ...] = ()
    compare: tuple[str, ...] = ()
    compare_charts: tuple[Chart, ...] = ()
    #: the comparison's rows are ordered by this indicator, lowest first (None last): the worst on-time rate first
    order_by: str = ""
    order: int = 100


def parts() -> list[Part]:
    """Every module's part, in their ``order`` (then INSTALLED_APPS order)."""
    found = [import_string(m.dashboard) for m in hooks.modules() if getattr(m, "dashboard", "")]
    return sorted(found, key=lambda p: p.order)


# -- chart builders (modules declare their charts with these) ------------------------------------------------------


def _series(name: str, values: list, urls: list[str], **extra: Any) -> dict[str, Any]:
    return {"name": name, "values": values, "urls": urls, **extra}


def breakdown(key: str, title: Any, indicator: str, *, type: str = "pie", **options: Any) -> Chart:
    """A pie (or bar) of one breakdown indicator; a pie folds its smallest slices into 其他."""

    def build(found: Found, period: indicators.Period) -> Spec | None:
        entry = found[indicator]
        items = [s for s in entry.get("series", []) if s["value"]]
        if not items:
            return None
        if type == "pie" and len(items) > PIE_SLICES:
            items = sorted(items, key=lambda s: -s["value"])
            rest = items[PIE_SLICES - 1 :]
            other = {"name": _("其他"), "value": sum(s["value"] for s in rest), "url": ""}
            items = [*items[: PIE_SLICES - 1], other]
        series = [_series(entry["label"], [s["value"] for s in items], [s["url"] for s in items])]
        return {"type": type, "unit": entry["unit"], "categories": [s["name"] for s in items], "series": series}

    return Chart(key, title, (indicator,), build, **options)


def pyramid(
    key: str, title: Any, left: str, right: str, sides: tuple[Any, Any] = (), exclude: tuple[str, ...] = (), **options
) -> Chart:
    """A population pyramid: two breakdowns over the same categories (age bands), ``left`` drawn to the left;
    ``sides`` names the two series (default: the indicators' labels), ``exclude`` leaves categories out (persons
    of unknown age have no bar)."""

    def build(found: Found, period: indicators.Period) -> Spec | None:
        by = [{s["key"]: s for s in found[k].get("series", [])} for k in (left, right)]
        order = [s["key"] for s in found[left].get("series", []) if s["key"] not in exclude]
        order += [k for k in (s["key"] for s in found[right].get("series", [])) if k not in order and k not in exclude]
        if not order:
            return None
        labels = [str(n) for n in sides] or [found[left]["label"], found[right]["label"]]
        series = [
            _series(
                label,
                [side.get(c, {}).get("value", 0) for c in order],
                [side.get(c, {}).get("url", "") for c in order],
            )
            for label, side in zip(labels, by, strict=True)
        ]
        names = {s["key"]: s["name"] for side in by for s in side.values()}
        return {"type": "pyramid", "unit": found[left]["unit"], "categories": [names[c] for c in order],
                "series": series}  # fmt: skip

    return Chart(key, title, (left, right), build, **options)


def months(period: indicators.Period) -> list[str]:
    """The months (``2026-03``) the period covers, in order."""
    out, day = [], period.start.replace(day=1)
    while day <= period.end:
        out.append(f"{day:%Y-%m}")
        day = (day + datetime.timedelta(days=32)).replace(day=1)
    return out


def monthly(key: str, title: Any, count: str, numerator: str, denominator: str, rate_name: Any, **options) -> Chart:
    """Bars of a monthly breakdown (``count``) and a line of a rate per month, recomputed from two monthly
    breakdowns (``numerator`` / ``denominator``) — every month of the period, also those without any."""

    def build(found: Found, period: indicators.Period) -> Spec | None:
        by = {k: {s["key"]: s for s in found[k].get("series", [])} for k in (count, numerator, denominator)}
        if not by[count]:
            return None
        cats = months(period)
        rates, rate_urls = [], []
        for m in cats:
            num, den = by[numerator].get(m, {}).get("value", 0), by[denominator].get(m, {}).get("value", 0)
            rates.append(indicators._round(100 * num / den, 1) if den else None)
            rate_urls.append(by[numerator].get(m, {}).get("url", ""))
        series = [
            _series(found[count]["label"], [by[count].get(m, {}).get("value", 0) for m in cats],
                    [by[count].get(m, {}).get("url", "") for m in cats], unit=found[count]["unit"]),
            _series(str(rate_name), rates, rate_urls, unit="%", line=True),
        ]  # fmt: skip
        return {"type": "bar_line", "unit": found[count]["unit"], "categories": cats, "series": series}

    return Chart(key, title, (count, numerator, denominator), build, **options)


def bars(key: str, title: Any, *keys: str, **options: Any) -> Chart:
    """Bars of several breakdowns over the union of their categories (e.g. open and overdue cases per grid)."""

    def build(found: Found, period: indicators.Period) -> Spec | None:
        by = [{s["key"]: s for s in found[k].get("series", [])} for k in keys]
        order: list[str] = []
        names: dict[str, str] = {}
        for k in keys:
            for s in found[k].get("series", []):
                if s["key"] not in names:
                    order.append(s["key"])
                    names[s["key"]] = s["name"]
        if not order:
            return None
        series = [
            _series(found[k]["label"], [side.get(c, {}).get("value", 0) for c in order],
                    [side.get(c, {}).get("url", "") for c in order])
            for k, side in zip(keys, by, strict=True)
        ]  # fmt: skip
        return {"type": "bar", "unit": found[keys[0]]["unit"], "categories": [names[c] for c in order],
                "series": series}  # fmt: skip

    return Chart(key, title, keys, build, **options)


def children(key: str, title: Any, indicator: str, *, ascending: bool | None = None, **options: Any) -> Chart:
    """Bars of one indicator per division below (communities of a street, streets of a county), optionally
    sorted (``ascending=True``: the lowest first, None values last). A community's bar opens its filtered list,
    a street's bar that street's dashboard."""

    def build(found: Found, period: indicators.Period) -> Spec | None:
        rows = list(found[indicator].get("children", []))
        if not any(r["value"] for r in rows):  # nothing to compare (no division below has a value)
            return None
        if ascending is not None:
            rows.sort(key=lambda r: (r["value"] is None, (r["value"] or 0) * (1 if ascending else -1)))
        urls = [r["url"] or child_url(r, period) for r in rows]
        series = [_series(found[indicator]["label"], [r["value"] for r in rows], urls)]
        return {"type": "bar", "unit": found[indicator]["unit"], "categories": [r["name"] for r in rows],
                "series": series}  # fmt: skip

    options.setdefault("levels", ABOVE_COMMUNITY)
    return Chart(key, title, (indicator,), build, **options)


def child_url(row: dict[str, Any], period: indicators.Period) -> str:
    """The dashboard of a division below (a row of the comparison)."""
    return reverse("core:dashboard") + "?" + urlencode({"division": row["code"], "period": period.label})


# -- the dashboard -------------------------------------------------------------------------------------------------


def default_period(today: datetime.date) -> indicators.Period:
    """The last twelve months, this month included (近12个月)."""
    first = today.replace(day=1)
    for _i in range(11):
        first = (first - datetime.timedelta(days=1)).replace(day=1)
    return indicators.Period(first, today, today, f"{first.isoformat()}..{today.isoformat()}")


def keys() -> list[str]:
    """Every indicator some part names, in order."""
    out: list[str] = []
    for part in parts():
        wanted = [*part.figures, *part.compare, part.order_by]
        wanted += [k for chart in (*part.charts, *part.compare_charts) for k in chart.keys]
        out += [k for k in wanted if k and k not in out]
    return out


def for_home(user: Any) -> bool:
    """Whether the home page shows a dashboard: to those who answer for a division (directors, officials,
    workers), not to a grid member, whose home is the launcher of their tasks on a phone."""
    return any(g.grid_id is None for g in scoping.grants(user))


def build(user: Any, division: Any, period: indicators.Period, *, now: datetime.datetime | None = None) -> dict:
    """The dashboard of ``division`` (None: the whole deployment) for ``period`` as ``user`` may see it:
    ``figures``, ``charts``, ``columns`` + ``rows`` (the comparison) and ``compare_charts``; ``{}`` when the
    user may see no figure of it."""
    try:
        result = indicators.evaluate(keys(), division, period, user, now=now)
    except (PermissionDenied, Http404):
        return {}
    found = indicators.by_key(result)
    level = result["division"]["level"]
    out: dict[str, Any] = {"division": result["division"], "period": result["period"], "level": level}
    out["figures"] = [_figure(found[k]) for part in parts() for k in part.figures if k in found]
    out["charts"] = _charts([c for part in parts() for c in part.charts], found, period, level)
    columns = [found[k] for part in parts() for k in part.compare if k in found]
    order_by = next((p.order_by for p in parts() if p.order_by and p.order_by in found), "")
    out["columns"] = [{"label": c["label"], "unit": c["unit"], "key": c["key"]} for c in columns]
    out["rows"] = _rows(columns, found.get(order_by), period)
    out["totals"] = [_figure(c) for c in columns]
    out["compare_charts"] = _charts([c for part in parts() for c in part.compare_charts], found, period, level)
    out["empty"] = not (out["figures"] or out["charts"] or out["rows"])
    return out


def _figure(entry: dict[str, Any]) -> dict[str, Any]:
    return {"key": entry["key"], "label": entry["label"], "unit": entry["unit"], "value": entry["value"],
            "url": entry["url"], "kind": entry["kind"]}  # fmt: skip


def _rows(columns: list[dict], order: dict | None, period: indicators.Period) -> list[dict[str, Any]]:
    """One row per division below, ordered by ``order``'s value (lowest first, divisions without one last)."""
    if not columns:
        return []
    rows = []
    for i, child in enumerate(columns[0]["children"]):
        cells = [{"value": c["children"][i]["value"], "url": c["children"][i]["url"]} for c in columns]
        rank = order["children"][i]["value"] if order else None
        rows.append({"name": child["name"], "code": child["code"], "level": child["level"],
                     "url": child_url(child, period), "cells": cells, "rank": rank})  # fmt: skip
    if order:
        rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0))
    return rows


def _charts(charts: Iterable[Chart], found: Found, period: indicators.Period, level: str) -> list[dict]:
    out = []
    for chart in charts:
        if level not in chart.levels or not all(k in found for k in chart.keys):
            continue
        spec = chart.build(found, period)
        if spec is None:
            continue
        spec["title"] = str(chart.title)
        out.append({"key": chart.key, "title": str(chart.title), "wide": chart.wide, "spec": spec,
                    "table": table(spec), "data_id": f"chart-data-{chart.key}"})  # fmt: skip
    return out


def table(spec: Spec) -> dict[str, Any]:
    """The chart's figures as a table: one row per category, one column per series, each cell with its link."""
    head = [s["name"] for s in spec["series"]]
    rows = [
        {"name": name, "cells": [{"value": s["values"][i], "url": s["urls"][i]} for s in spec["series"]]}
        for i, name in enumerate(spec["categories"])
    ]
    return {"head": head, "rows": rows}


def divisions(user: Any) -> list[Any]:
    """The divisions whose dashboard ``user`` may open (those they may ask some dashboard figure for)."""
    from django.apps import apps

    labels = {indicators.declared()[k].model for k in keys() if k in indicators.declared()}
    found: dict[int, Any] = {}
    for label in sorted(labels):
        model = apps.get_model(label)
        if scoping.has_perm(user, model, "view"):
            for d in scoping.report_divisions(user, model)[:500]:
                found.setdefault(d.pk, d)
    return sorted(found.values(), key=lambda d: d.path)
