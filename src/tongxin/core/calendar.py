"""The official calendar, backed by the holiday table: is this a workday, add working days/hours.

National rows come from ``data/holidays_cn.csv`` (State Council notices 2004–2026, generated from the
``chinesecalendar`` package by ``tools/gen_holidays.py``); 2027 on is added from the admin pages or
with ``tongxin load-holidays FILE``. Local rows belong to a division and apply to its subtree.
The arithmetic lives in :mod:`tongxin.core.workcalendar`; this module feeds it from the database.
"""

from __future__ import annotations

import csv
import datetime
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from tongxin.core.workcalendar import OfficeHours, WorkCalendar

NATIONAL_CSV = Path(__file__).resolve().parent / "data" / "holidays_cn.csv"
_calendars: dict[tuple, WorkCalendar] = {}


class HolidayFileError(ValueError):
    """A holiday file row is invalid; the message names the row, the field and the value."""


def parse_holiday_rows(rows: Iterable[dict[str, str]]) -> list[dict[str, Any]]:
    """Validate holiday CSV rows (date, is_workday, name, source); raise with every bad row listed."""
    out: list[dict[str, Any]] = []
    errors: list[str] = []
    for number, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        text = row.get("date") or row.get("日期", "")
        try:
            day = datetime.date.fromisoformat(text)
        except ValueError:
            errors.append(_("第 %(row)s 行 日期“%(value)s”不是 YYYY-MM-DD 格式的日期") % {"row": number, "value": text})
            continue
        flag = row.get("is_workday", row.get("上班", ""))
        if flag not in ("0", "1", "是", "否", "true", "false", "True", "False"):
            errors.append(_("第 %(row)s 行 上班（is_workday）“%(value)s”应为 0 或 1") % {"row": number, "value": flag})
            continue
        name = row.get("name") or row.get("名称", "")
        if not name:
            errors.append(_("第 %(row)s 行 名称为空") % {"row": number})
            continue
        out.append(
            {
                "date": day,
                "is_workday": flag in ("1", "是", "true", "True"),
                "name": name,
                "source": row.get("source") or row.get("依据", ""),
            }
        )
    if errors:
        raise HolidayFileError("；".join(errors))
    return out


def load_holidays(path: str | Path = NATIONAL_CSV, division: Any = None, model: Any = None) -> dict[str, int]:
    """Load (upsert by date and division) a holiday CSV; returns counts. Idempotent."""
    if model is None:
        from tongxin.core.models import Holiday as model
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        rows = parse_holiday_rows(csv.DictReader(fh))
    existing = {h.date: h for h in model.objects.filter(division=division, date__in=[r["date"] for r in rows])}
    created = updated = 0
    with transaction.atomic():
        for r in rows:
            h = existing.get(r["date"])
            if h is None:
                model.objects.create(division=division, **r)
                created += 1
            elif (h.is_workday, h.name, h.source) != (r["is_workday"], r["name"], r["source"]):
                h.is_workday, h.name, h.source = r["is_workday"], r["name"], r["source"]
                h.save()
                updated += 1
    invalidate()
    return {"rows": len(rows), "created": created, "updated": updated}


#: how long a process trusts the holiday table's fingerprint before asking the database again (seconds)
VERSION_TTL = 5.0
_version: tuple[float, tuple] | None = None


def invalidate(*args: Any, **kwargs: Any) -> None:
    """Forget this process's cached calendars (other processes notice the table's new version)."""
    global _version
    _calendars.clear()
    _version = None


def _table_version() -> tuple:
    """A cheap fingerprint of the holiday table: any insert, update or delete changes it, in every process.
    Asked at most every ``VERSION_TTL`` seconds, so that computing many deadlines costs no query each."""
    global _version
    from tongxin.core.models import Holiday

    now = time.monotonic()
    if _version is not None and now - _version[0] < VERSION_TTL:
        return _version[1]
    agg = Holiday.objects.aggregate(n=Count("id"), last=Max("last_updated"), top=Max("id"))
    version = (agg["n"], agg["last"], agg["top"])
    _version = (now, version)
    return version


def calendar_for(division: Any = None) -> WorkCalendar:
    """The working calendar of a division: national rows, overridden by local rows of it and its ancestors."""
    from tongxin.core.models import Holiday
    from tongxin.core.scoping import path_prefixes

    key = (getattr(division, "pk", None), _table_version())
    cal = _calendars.get(key)
    if cal is not None:
        return cal
    overrides: dict[datetime.date, bool] = dict(
        Holiday.objects.filter(division__isnull=True).values_list("date", "is_workday")
    )
    if division is not None:
        local = Holiday.objects.filter(division__path__in=path_prefixes(division.path)).order_by("division__path")
        for day, flag in local.values_list("date", "is_workday"):
            overrides[day] = flag  # deeper divisions come later and win
    cal = WorkCalendar(
        overrides, office_hours=OfficeHours.parse(settings.OFFICE_HOURS), tz=ZoneInfo(settings.TIME_ZONE)
    )
    if len(_calendars) > 256:
        _calendars.clear()
    _calendars[key] = cal
    return cal


def is_workday(day: datetime.date, division: Any = None) -> bool:
    """Is ``day`` a working day (for ``division``)?"""
    return calendar_for(division).is_workday(day)


def add_workdays(day: datetime.date, n: int, division: Any = None) -> datetime.date:
    """The n-th working day after ``day``."""
    return calendar_for(division).add_workdays(day, n)


def add_working_hours(moment: datetime.datetime, hours: float, division: Any = None) -> datetime.datetime:
    """``moment`` plus ``hours`` of office time."""
    return calendar_for(division).add_working_hours(moment, hours)


def end_of_workday(moment: datetime.datetime, division: Any = None) -> datetime.datetime:
    """The close of this working day (or of the next one, after hours or on a day off)."""
    return calendar_for(division).end_of_workday(moment)


def holidays_between(start: datetime.date, end: datetime.date, division: Any = None) -> Any:
    """Holiday rows that apply to ``division`` between two dates (for the calendar page)."""
    from tongxin.core.models import Holiday
    from tongxin.core.scoping import path_prefixes

    q = Q(division__isnull=True)
    if division is not None:
        q |= Q(division__path__in=path_prefixes(division.path))
    return Holiday.objects.filter(q, date__range=(start, end)).select_related("division").order_by("date")
