#!/usr/bin/env python3
"""Generate src/tongxin/core/data/holidays_cn.csv from the PyPI package chinesecalendar.

Usage (in a virtualenv with ``pip install chinesecalendar==1.11.0``):
    python tools/gen_holidays.py OUTPUT_CSV [--start 2004-01-01] [--end 2026-12-31]

One row per date that is either
  * a day of a statutory holiday period (is_workday=0; weekend days inside the
    period are included, because the package lists the whole period), or
  * an adjusted working day that falls on a weekend (is_workday=1, 调休上班).
Columns: date,is_workday,name,source
Plain weekends and plain working days are not listed.

chinesecalendar does not always list the weekend days of a holiday period (its
is_holiday() treats any unlisted weekend as a day off anyway), so this script adds
  * weekend days lying between two listed days of the same holiday
    (e.g. 2011-06-05 inside 端午节 2011-06-04..06), and
  * EXTRA_HOLIDAYS below: weekend days the notice itself counts in the period
    but that are not between two listed days.
Weekends that a notice only mentions as 与周末连休 ("runs on into the weekend")
are left out, as in the package. Every added date is printed.
"""
import csv
import datetime as dt
import sys

import chinese_calendar
from chinese_calendar import constants

NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}

# 2015-09-03..05 (and the 2015-09-06 working Sunday) were set by a separate notice,
# not by the yearly 国务院办公厅 notice.
SPECIAL_SOURCES = {
    "Anti-Fascist 70th Day": "国务院关于中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日调休放假的通知",
}


# 2015: "9月3日至5日调休放假，共3天" -- the package lists 09-03 and 09-04 only.
EXTRA_HOLIDAYS = {
    dt.date(2015, 9, 5): "Anti-Fascist 70th Day",
}


def notice_year(day, english_name):
    # 元旦 of year Y belongs to year Y's notice even when its period (or its
    # adjusted working day) starts in late December of Y-1, e.g. 2022-12-31.
    if english_name == "New Year's Day" and day.month == 12:
        return day.year + 1
    return day.year


def source_for(day, english_name):
    if english_name in SPECIAL_SOURCES:
        return SPECIAL_SOURCES[english_name]
    return "国务院办公厅关于%d年部分节假日安排的通知" % notice_year(day, english_name)


def _english(value):
    return getattr(value, "value", value)


def holiday_days():
    """The package's holiday days plus the weekend days inside their periods."""
    days = {day: _english(h) for day, h in constants.holidays.items()}
    added = {}
    one = dt.timedelta(days=1)
    for day, name in sorted(days.items()):
        # look up to two days ahead: Sat and/or Sun between two days of `name`
        gap = []
        probe = day + one
        while probe not in days and probe.weekday() >= 5 and len(gap) < 2:
            gap.append(probe)
            probe += one
        if gap and days.get(probe) == name and not any(g in constants.workdays for g in gap):
            for g in gap:
                added[g] = name
    for day, name in EXTRA_HOLIDAYS.items():
        if day not in days:
            added[day] = name
    days.update(added)
    return days, added


def build_rows(start, end):
    rows = []
    unmapped = set()
    days, added = holiday_days()
    for day, name in sorted(added.items()):
        if start <= day <= end:
            print("added weekend day inside a holiday period: %s %s %s"
                  % (day, day.strftime("%a"), name))
    for day, holiday in days.items():
        if start <= day <= end:
            rows.append((day, 0, holiday))
    for day, holiday in constants.workdays.items():
        if start <= day <= end:
            if day.weekday() < 5:
                # listed as a working day but not on a weekend: nothing to record
                continue
            rows.append((day, 1, _english(holiday)))
    rows.sort()
    out = []
    for day, is_workday, english in rows:
        name = NAMES.get(english)
        if name is None:
            unmapped.add(english)
            name = english or ""
        if is_workday:
            name += "调休上班"
        out.append((day.isoformat(), is_workday, name, source_for(day, english)))
    return out, unmapped


def main(argv):
    args = argv[1:]
    if not args or args[0].startswith("--"):
        raise SystemExit(__doc__)
    output = args[0]
    start, end = dt.date(2004, 1, 1), dt.date(2026, 12, 31)
    if "--start" in args:
        start = dt.date.fromisoformat(args[args.index("--start") + 1])
    if "--end" in args:
        end = dt.date.fromisoformat(args[args.index("--end") + 1])
    rows, unmapped = build_rows(start, end)
    dates = [r[0] for r in rows]
    assert len(dates) == len(set(dates)), "a date is both holiday and workday"
    with open(output, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["date", "is_workday", "name", "source"])
        w.writerows(rows)
    version = getattr(chinese_calendar, "__version__", "?")
    print("chinesecalendar %s: wrote %d rows (%d holiday days, %d adjusted working days) to %s"
          % (version, len(rows), sum(1 for r in rows if r[1] == 0),
             sum(1 for r in rows if r[1] == 1), output))
    if unmapped:
        print("UNMAPPED holiday names:", sorted(map(str, unmapped)))


if __name__ == "__main__":
    main(sys.argv)
