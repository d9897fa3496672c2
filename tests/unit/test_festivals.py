"""Unit tests for :mod:`tongxin.core.festivals` (pure Python, no database)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from datetime import date

import pytest
from lunar_python import Lunar, Solar

from tongxin.core.festivals import FESTIVALS, Festival, by_name, festival_date, festival_days, festivals_in


@pytest.mark.parametrize(
    ("key", "year", "expected"),
    [
        ("torch", 2026, date(2026, 8, 6)),
        ("torch", 2027, date(2027, 7, 27)),
        ("mid_autumn", 2026, date(2026, 9, 25)),
        ("spring_festival", 2026, date(2026, 2, 17)),
        ("spring_festival", 2027, date(2027, 2, 6)),
        ("dragon_boat", 2026, date(2026, 6, 19)),
        ("qingming", 2026, date(2026, 4, 5)),
        ("lantern", 2026, date(2026, 3, 3)),
        ("lantern", 2027, date(2027, 2, 20)),
        ("march_fair", 2026, date(2026, 5, 1)),
        ("march_fair", 2027, date(2027, 4, 21)),
        ("qixi", 2026, date(2026, 8, 19)),
        ("double_ninth", 2026, date(2026, 10, 18)),
        ("water_splash", 2026, date(2026, 4, 13)),
    ],
)
def test_pinned_dates(key: str, year: int, expected: date) -> None:
    assert festival_date(key, year) == expected


def _lunar_python_date(festival: Festival, year: int) -> date:
    """Independent computation straight from lunar-python, for cross-checking."""
    if festival.calendar == "lunar":
        solar = Lunar.fromYmd(year, festival.month, festival.day).getSolar()
    elif festival.calendar == "solar_term":
        solar = Solar.fromYmd(year, 4, 15).getLunar().getJieQiTable()[festival.solar_term]
    else:
        return date(year, festival.month, festival.day)
    return date.fromisoformat(solar.toYmd())


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027, 2028, 2033])
@pytest.mark.parametrize("festival", FESTIVALS, ids=lambda f: f.key)
def test_cross_check_with_lunar_python(festival: Festival, year: int) -> None:
    result = festival_date(festival.key, year)
    assert result == _lunar_python_date(festival, year)
    assert result.year == year
    if festival.calendar == "lunar":
        lunar = Solar.fromYmd(result.year, result.month, result.day).getLunar()
        assert (lunar.getYear(), lunar.getMonth(), lunar.getDay()) == (year, festival.month, festival.day)


def test_lunar_festivals_use_non_leap_month() -> None:
    # Lunar year 2025 has a leap sixth month (闰六月); the Torch Festival is in the regular one.
    torch = festival_date("torch", 2025)
    assert torch == date(2025, 7, 18)
    assert Solar.fromYmd(2025, 7, 18).getLunar().getMonth() == 6  # negative would mean leap month


def test_qingming_is_a_solar_term_in_early_april() -> None:
    for year in range(1950, 2100):
        day = festival_date("qingming", year)
        assert (day.year, day.month) == (year, 4)
        assert day.day in (4, 5, 6)
        assert Solar.fromYmd(day.year, day.month, day.day).getLunar().getJieQi() == "清明"


def test_festival_days() -> None:
    assert festival_days("water_splash", 2026) == [date(2026, 4, 13), date(2026, 4, 14), date(2026, 4, 15)]
    assert festival_days("mid_autumn", 2026) == [date(2026, 9, 25)]


def test_festivals_in_sorted_by_date() -> None:
    entries = festivals_in(2026)
    assert len(entries) == len(FESTIVALS)
    dates = [day for _, day in entries]
    assert dates == sorted(dates)
    assert [festival.key for festival, _ in entries] == [
        "spring_festival",  # 02-17
        "lantern",  # 03-03
        "qingming",  # 04-05
        "water_splash",  # 04-13
        "march_fair",  # 05-01
        "dragon_boat",  # 06-19
        "torch",  # 08-06
        "qixi",  # 08-19
        "mid_autumn",  # 09-25
        "double_ninth",  # 10-18
    ]


@pytest.mark.parametrize("name", ["torch", "火把节", "Torch Festival", "torch festival", " TORCH "])
def test_by_name(name: str) -> None:
    assert by_name(name).key == "torch"


def test_festival_date_accepts_names_and_objects() -> None:
    assert festival_date("中秋节", 2026) == date(2026, 9, 25)
    assert festival_date("Mid-Autumn Festival", 2026) == date(2026, 9, 25)
    assert festival_date(by_name("mid_autumn"), 2026) == date(2026, 9, 25)


def test_unknown_festival_raises_key_error() -> None:
    with pytest.raises(KeyError, match="Unknown festival 'halloween'") as info:
        festival_date("halloween", 2026)
    assert "spring_festival" in str(info.value)
    with pytest.raises(KeyError, match="Unknown festival"):
        by_name("圣诞节")
    with pytest.raises(KeyError, match="Unknown festival"):
        festival_days("nope", 2026)


def test_table_is_consistent() -> None:
    keys = [festival.key for festival in FESTIVALS]
    assert len(keys) == len(set(keys))
    assert len({festival.name_zh for festival in FESTIVALS}) == len(FESTIVALS)
    assert len({festival.name_en for festival in FESTIVALS}) == len(FESTIVALS)
    for festival in FESTIVALS:
        assert festival.calendar in ("lunar", "solar", "solar_term")
        assert festival.days >= 1
        assert (festival.calendar == "solar_term") == bool(festival.solar_term)
    assert by_name("泼水节").days == 3
    assert "彝族" in by_name("torch").note
    assert "白族" in by_name("march_fair").note
    with pytest.raises(FrozenInstanceError):
        FESTIVALS[0].day = 2  # type: ignore[misc]
