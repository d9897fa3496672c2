"""Traditional and ethnic festivals, with their Gregorian dates computed from the calendar.

Lunar festivals are converted with `lunar-python <https://github.com/6tail/lunar-python>`_ (MIT):
the festival falls on the given lunar month/day of the lunar year that begins in the requested
Gregorian year, always in the regular (non-leap) month.  Qingming is a solar term (节气), so its
date is read from lunar-python's solar-term table.  Solar festivals have a fixed Gregorian date.

This module is pure Python (no Django imports).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from lunar_python import Lunar, Solar

__all__ = [
    "FESTIVALS",
    "Festival",
    "by_name",
    "festival_date",
    "festival_days",
    "festivals_in",
]

CalendarKind = Literal["lunar", "solar", "solar_term"]


@dataclass(frozen=True, slots=True)
class Festival:
    """A yearly festival.

    ``calendar`` tells how ``month``/``day`` are read:

    - ``"lunar"``: lunar month and day (non-leap month) of the lunar year starting in the Gregorian year;
    - ``"solar"``: Gregorian month and day;
    - ``"solar_term"``: the date of the solar term named ``solar_term`` (``month``/``day`` then only give
      the usual date, for display; the real date is computed every year).

    ``days`` is the length of the festival in days (1 unless it lasts longer, e.g. 泼水节).
    """

    key: str
    name_zh: str
    name_en: str
    calendar: CalendarKind
    month: int
    day: int
    days: int = 1
    note: str = ""
    solar_term: str = ""


#: All known festivals, in the order of the year.
FESTIVALS: tuple[Festival, ...] = (
    Festival("spring_festival", "春节", "Spring Festival", "lunar", 1, 1),
    Festival("lantern", "元宵节", "Lantern Festival", "lunar", 1, 15),
    Festival(
        "march_fair",
        "三月街",
        "March Fair",
        "lunar",
        3,
        15,
        note="白族, 大理 (Bai people, Dali); the fair usually lasts about a week from lunar 3/15",
    ),
    Festival(
        "qingming",
        "清明节",
        "Qingming Festival",
        "solar_term",
        4,
        5,
        note="Solar term 清明, on 4 to 6 April; computed every year",
        solar_term="清明",
    ),
    Festival(
        "water_splash",
        "泼水节",
        "Water-Splashing Festival",
        "solar",
        4,
        13,
        days=3,
        note="傣族 (Dai people); 13 to 15 April",
    ),
    Festival("dragon_boat", "端午节", "Dragon Boat Festival", "lunar", 5, 5),
    Festival(
        "torch",
        "火把节",
        "Torch Festival",
        "lunar",
        6,
        24,
        note="彝族、白族、纳西族、拉祜族等 (Yi, Bai, Naxi, Lahu and others)",
    ),
    Festival("qixi", "七夕", "Qixi Festival", "lunar", 7, 7),
    Festival("mid_autumn", "中秋节", "Mid-Autumn Festival", "lunar", 8, 15),
    Festival("double_ninth", "重阳节", "Double Ninth Festival", "lunar", 9, 9),
)

_BY_KEY: dict[str, Festival] = {festival.key: festival for festival in FESTIVALS}
_BY_NAME: dict[str, Festival] = {
    name: festival
    for festival in FESTIVALS
    for name in (festival.key.casefold(), festival.name_zh, festival.name_en.casefold())
}


def by_name(name: str) -> Festival:
    """Return the festival whose key, Chinese name or English name is ``name``.

    Matching ignores surrounding whitespace and, for keys and English names, case.
    Raises :class:`KeyError` for an unknown name.
    """
    normalized = name.strip()
    festival = _BY_NAME.get(normalized) or _BY_NAME.get(normalized.casefold())
    if festival is None:
        known = ", ".join(sorted(_BY_KEY))
        raise KeyError(f"Unknown festival {name!r}; known keys: {known} (Chinese or English names also work)")
    return festival


def _to_date(solar: Solar) -> date:
    """Convert a lunar-python :class:`Solar` to a :class:`datetime.date`."""
    return date(solar.getYear(), solar.getMonth(), solar.getDay())


def _resolve(festival: str | Festival) -> Festival:
    """Accept a :class:`Festival` or anything :func:`by_name` accepts."""
    return festival if isinstance(festival, Festival) else by_name(festival)


def festival_date(key: str | Festival, year: int) -> date:
    """Return the (first) Gregorian date of the festival in ``year``.

    ``key`` may be a key, a Chinese or English name, or a :class:`Festival`.  Lunar festivals use the
    non-leap lunar month of the lunar year that begins in ``year``.  Raises :class:`KeyError` for an
    unknown festival.
    """
    festival = _resolve(key)
    if festival.calendar == "solar":
        return date(year, festival.month, festival.day)
    if festival.calendar == "lunar":
        return _to_date(Lunar.fromYmd(year, festival.month, festival.day).getSolar())
    # Solar term: the lunar year containing mid-April of ``year`` lists the terms of that spring.
    table = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()
    return _to_date(table[festival.solar_term])


def festival_days(key: str | Festival, year: int) -> list[date]:
    """Return every date of the festival in ``year`` (one date unless the festival lasts longer)."""
    festival = _resolve(key)
    first = festival_date(festival, year)
    return [first + timedelta(days=offset) for offset in range(festival.days)]


def festivals_in(year: int) -> list[tuple[Festival, date]]:
    """Return every festival with its (first) date in ``year``, sorted by date then key."""
    dated = [(festival, festival_date(festival, year)) for festival in FESTIVALS]
    return sorted(dated, key=lambda item: (item[1], item[0].key))
