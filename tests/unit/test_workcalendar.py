"""Unit tests for :mod:`tongxin.core.workcalendar` (pure Python, no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tongxin.core.workcalendar import DEFAULT_TZ, MAX_SEARCH_DAYS, DueRule, OfficeHours, WorkCalendar

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _days(start: date, end: date) -> list[date]:
    """Every date from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def _overrides_2026_autumn() -> dict[date, bool]:
    """Autumn part of the State Council notice for 2026 (中秋节 and 国庆节)."""
    overrides: dict[date, bool] = {date(2026, 9, 20): True, date(2026, 10, 10): True}
    overrides.update(dict.fromkeys(_days(date(2026, 9, 25), date(2026, 9, 27)), False))
    overrides.update(dict.fromkeys(_days(date(2026, 10, 1), date(2026, 10, 7)), False))
    return overrides


@pytest.fixture
def cal() -> WorkCalendar:
    """Calendar with the 2026 autumn holidays and default office hours."""
    return WorkCalendar(_overrides_2026_autumn())


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An aware datetime in Asia/Shanghai."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


# ----------------------------------------------------------------- OfficeHours


def test_office_hours_defaults() -> None:
    hours = OfficeHours()
    assert hours.periods == ((time(9, 0), time(12, 0)), (time(14, 30), time(18, 0)))
    assert hours.day_length == timedelta(hours=6, minutes=30)
    assert hours.close == time(18, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("09:00-12:00,14:30-18:00", OfficeHours()),
        (" 9:00 - 12:00 , 14:30-18:00 ", OfficeHours()),
        ("08:30-17:30", OfficeHours(((time(8, 30), time(17, 30)),))),
        ("08:00-12:00,12:00-13:00", OfficeHours(((time(8), time(12)), (time(12), time(13))))),
    ],
)
def test_office_hours_parse_good(text: str, expected: OfficeHours) -> None:
    assert OfficeHours.parse(text) == expected
    assert OfficeHours.parse(str(expected)) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "expected e.g."),
        ("   ", "expected e.g."),
        ("09:00", "not a 'HH:MM-HH:MM' period"),
        ("09:00-12:00-13:00", "not a 'HH:MM-HH:MM' period"),
        ("09:00-12:00,", "not a 'HH:MM-HH:MM' period"),
        ("9h-12h", "HH:MM format"),
        ("25:00-26:00", "out of range"),
        ("09:60-10:00", "out of range"),
        ("12:00-09:00", "must start before it ends"),
        ("09:00-09:00", "must start before it ends"),
        ("14:30-18:00,09:00-12:00", "sorted and disjoint"),
        ("09:00-12:00,11:00-13:00", "sorted and disjoint"),
    ],
)
def test_office_hours_parse_bad(text: str, message: str) -> None:
    with pytest.raises(ValueError, match="Invalid office hours") as info:
        OfficeHours.parse(text)
    assert message in str(info.value)


def test_office_hours_rejects_empty_periods() -> None:
    with pytest.raises(ValueError, match="at least one period"):
        OfficeHours(())


# -------------------------------------------------------------------- workdays


def test_plain_week_without_overrides() -> None:
    cal = WorkCalendar()
    # 2026-09-21 is a Monday.
    assert [cal.is_workday(date(2026, 9, 21) + timedelta(days=i)) for i in range(7)] == [True] * 5 + [False] * 2


def test_2026_notice_adjusted_workdays_and_holidays(cal: WorkCalendar) -> None:
    assert date(2026, 9, 20).weekday() == 6  # Sunday
    assert date(2026, 10, 10).weekday() == 5  # Saturday
    assert date(2026, 9, 25).weekday() == 4  # Friday
    assert cal.is_workday(date(2026, 9, 20))
    assert cal.is_workday(date(2026, 10, 10))
    for day in [*_days(date(2026, 9, 25), date(2026, 9, 27)), *_days(date(2026, 10, 1), date(2026, 10, 7))]:
        assert not cal.is_workday(day), day
    assert cal.is_workday(date(2026, 9, 24))
    assert cal.is_workday(date(2026, 9, 28))
    assert not cal.is_workday(date(2026, 10, 11))  # ordinary Sunday


def test_overrides_are_copied(cal: WorkCalendar) -> None:
    source = {date(2026, 9, 21): False}
    calendar = WorkCalendar(source)
    source[date(2026, 9, 21)] = True
    assert not calendar.is_workday(date(2026, 9, 21))
    with pytest.raises(TypeError):
        calendar.overrides[date(2026, 9, 22)] = False  # type: ignore[index]


def test_override_keys_must_be_dates() -> None:
    with pytest.raises(TypeError, match="must be dates"):
        WorkCalendar({sh(2026, 9, 21): False})  # type: ignore[dict-item]


def test_is_workday_rejects_datetime(cal: WorkCalendar) -> None:
    with pytest.raises(TypeError, match="expects a date"):
        cal.is_workday(sh(2026, 9, 21))


def test_next_and_previous_workday(cal: WorkCalendar) -> None:
    assert cal.next_workday(date(2026, 9, 24)) == date(2026, 9, 28)
    assert cal.next_workday(date(2026, 9, 24), include=True) == date(2026, 9, 24)
    assert cal.next_workday(date(2026, 9, 26), include=True) == date(2026, 9, 28)
    assert cal.next_workday(date(2026, 9, 30)) == date(2026, 10, 8)
    assert cal.next_workday(date(2026, 9, 19)) == date(2026, 9, 20)  # Sat -> adjusted Sunday
    assert cal.previous_workday(date(2026, 10, 8)) == date(2026, 9, 30)
    assert cal.previous_workday(date(2026, 9, 28)) == date(2026, 9, 24)
    assert cal.previous_workday(date(2026, 9, 28), include=True) == date(2026, 9, 28)


def test_add_workdays_2026_notice(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2026, 9, 28), 5) == date(2026, 10, 10)
    assert cal.add_workdays(date(2026, 9, 28), 1) == date(2026, 9, 29)
    assert cal.add_workdays(date(2026, 9, 28), 3) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 9, 18), 1) == date(2026, 9, 20)
    assert cal.add_workdays(date(2026, 9, 24), 1) == date(2026, 9, 28)


def test_add_workdays_zero_and_negative(cal: WorkCalendar) -> None:
    assert cal.add_workdays(date(2026, 9, 28), 0) == date(2026, 9, 28)
    assert cal.add_workdays(date(2026, 10, 1), 0) == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 10, 10), -5) == date(2026, 9, 28)
    assert cal.add_workdays(date(2026, 10, 8), -1) == date(2026, 9, 30)


@pytest.mark.parametrize("n", [1, 2, 5, 10, 23])
def test_add_workdays_roundtrip(cal: WorkCalendar, n: int) -> None:
    for start in _days(date(2026, 9, 14), date(2026, 10, 16)):
        if cal.is_workday(start):
            assert cal.add_workdays(cal.add_workdays(start, n), -n) == start


def test_local_holiday_override_counts_as_day_off() -> None:
    # A local day off on Tuesday 2026-09-22 (weekday made a holiday).
    cal = WorkCalendar({**_overrides_2026_autumn(), date(2026, 9, 22): False})
    assert not cal.is_workday(date(2026, 9, 22))
    assert cal.add_workdays(date(2026, 9, 21), 1) == date(2026, 9, 23)
    assert cal.end_of_workday(sh(2026, 9, 21, 19)) == sh(2026, 9, 23, 18)
    assert cal.due_at(sh(2026, 9, 21, 10), "work_days", 5) == sh(2026, 9, 30, 18)
    assert cal.add_working_hours(sh(2026, 9, 21, 17), 2) == sh(2026, 9, 23, 10)


def test_no_workday_within_a_year_raises() -> None:
    start = date(2026, 1, 1)
    never = WorkCalendar(dict.fromkeys(_days(start, start + timedelta(days=MAX_SEARCH_DAYS + 5)), False))
    with pytest.raises(ValueError, match="No working day found"):
        never.next_workday(start)
    with pytest.raises(ValueError, match="No working day found"):
        never.add_working_hours(datetime(2026, 1, 1, 10, tzinfo=SHANGHAI), 1)


# ------------------------------------------------------------- end of workday


@pytest.mark.parametrize(
    ("reported", "due"),
    [
        (sh(2026, 9, 24, 11), sh(2026, 9, 24, 18)),  # during office hours
        (sh(2026, 9, 24, 7), sh(2026, 9, 24, 18)),  # before opening
        (sh(2026, 9, 24, 13), sh(2026, 9, 24, 18)),  # lunch break
        (sh(2026, 9, 24, 17, 59), sh(2026, 9, 24, 18)),
        (sh(2026, 9, 24, 18), sh(2026, 9, 28, 18)),  # exactly at close: next working day
        (sh(2026, 9, 24, 20), sh(2026, 9, 28, 18)),  # Thursday night before Mid-Autumn
        (sh(2026, 9, 26, 10), sh(2026, 9, 28, 18)),  # during the holiday
        (sh(2026, 9, 19, 10), sh(2026, 9, 20, 18)),  # Saturday before an adjusted Sunday
    ],
)
def test_end_of_workday(cal: WorkCalendar, reported: datetime, due: datetime) -> None:
    result = cal.end_of_workday(reported)
    assert result == due
    assert result.tzinfo == DEFAULT_TZ


def test_end_of_workday_converts_to_calendar_tz(cal: WorkCalendar) -> None:
    # 2026-09-24 12:00 UTC is 20:00 in Shanghai: after close.
    result = cal.end_of_workday(datetime(2026, 9, 24, 12, tzinfo=UTC))
    assert result == sh(2026, 9, 28, 18)
    assert result.utcoffset() == timedelta(hours=8)
    assert result.isoformat() == "2026-09-28T18:00:00+08:00"
    # 2026-09-23 23:00 UTC is already Thursday 07:00 in Shanghai.
    assert cal.end_of_workday(datetime(2026, 9, 23, 23, tzinfo=UTC)) == sh(2026, 9, 24, 18)


def test_naive_datetimes_are_rejected(cal: WorkCalendar) -> None:
    naive = datetime(2026, 9, 24, 11)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.end_of_workday(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add_working_hours(naive, 1)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_time_between(naive, sh(2026, 9, 25))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.working_time_between(sh(2026, 9, 24), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.due_at(naive, "same_day")


# ------------------------------------------------------------- working hours


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (sh(2026, 9, 24, 9), 3, sh(2026, 9, 24, 12)),  # exactly at the end of the morning stays there
        (sh(2026, 9, 24, 9), 4, sh(2026, 9, 24, 15, 30)),  # across lunch
        (sh(2026, 9, 24, 11), 1.5, sh(2026, 9, 24, 15)),
        (sh(2026, 9, 24, 13), 1, sh(2026, 9, 24, 15, 30)),  # start in lunch break
        (sh(2026, 9, 24, 7), 1, sh(2026, 9, 24, 10)),  # start before opening
        (sh(2026, 9, 24, 9), 6.5, sh(2026, 9, 24, 18)),  # one full day ends at close
        (sh(2026, 9, 22, 17), 2, sh(2026, 9, 23, 10)),  # across a night
        (sh(2026, 9, 22, 20), 1, sh(2026, 9, 23, 10)),  # start after close
        (sh(2026, 9, 18, 17), 2, sh(2026, 9, 20, 10)),  # Friday -> adjusted Sunday
        (sh(2026, 10, 9, 17), 2, sh(2026, 10, 10, 10)),  # Friday -> adjusted Saturday
        (sh(2026, 10, 10, 17), 2, sh(2026, 10, 12, 10)),  # across an ordinary weekend
        (sh(2026, 9, 24, 17), 2, sh(2026, 9, 28, 10)),  # across Mid-Autumn holiday and weekend
        (sh(2026, 9, 30, 17), 2, sh(2026, 10, 8, 10)),  # across National Day
        (sh(2026, 9, 24, 9), 13, sh(2026, 9, 28, 18)),  # two full working days
        (sh(2026, 9, 24, 9), timedelta(minutes=90), sh(2026, 9, 24, 10, 30)),
        (sh(2026, 9, 24, 10, 15), 0, sh(2026, 9, 24, 10, 15)),
        (sh(2026, 9, 24, 20), 0, sh(2026, 9, 24, 20)),  # zero hours does not move
    ],
)
def test_add_working_hours(cal: WorkCalendar, start: datetime, hours: float | timedelta, expected: datetime) -> None:
    result = cal.add_working_hours(start, hours)
    assert result == expected
    assert result.tzinfo == DEFAULT_TZ


def test_add_working_hours_rejects_negative(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add_working_hours(sh(2026, 9, 24, 10), -1)


def test_add_working_hours_custom_office_hours() -> None:
    cal = WorkCalendar(office_hours=OfficeHours.parse("08:30-17:30"))
    assert cal.add_working_hours(sh(2026, 9, 24, 16, 30), 2) == sh(2026, 9, 25, 9, 30)
    assert cal.end_of_workday(sh(2026, 9, 24, 17)) == sh(2026, 9, 24, 17, 30)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (sh(2026, 9, 24, 9), sh(2026, 9, 24, 18), timedelta(hours=6, minutes=30)),
        (sh(2026, 9, 24, 11), sh(2026, 9, 24, 15), timedelta(hours=1, minutes=30)),
        (sh(2026, 9, 24, 12, 30), sh(2026, 9, 24, 14), timedelta(0)),  # inside lunch
        (sh(2026, 9, 24, 17), sh(2026, 9, 28, 10), timedelta(hours=2)),  # across the holiday
        (sh(2026, 9, 28, 9), sh(2026, 10, 10, 18), timedelta(hours=6, minutes=30) * 6),
        (sh(2026, 9, 24, 15), sh(2026, 9, 24, 10), timedelta(0)),  # end before start
        (sh(2026, 9, 24, 15), sh(2026, 9, 24, 15), timedelta(0)),
        (sh(2026, 9, 26, 0), sh(2026, 9, 27, 23, 59), timedelta(0)),  # holiday only
    ],
)
def test_working_time_between(cal: WorkCalendar, start: datetime, end: datetime, expected: timedelta) -> None:
    assert cal.working_time_between(start, end) == expected


def test_working_time_between_mixed_time_zones(cal: WorkCalendar) -> None:
    # 01:00 UTC = 09:00 Shanghai; 04:00 UTC = 12:00 Shanghai.
    assert cal.working_time_between(datetime(2026, 9, 24, 1, tzinfo=UTC), sh(2026, 9, 24, 12)) == timedelta(hours=3)
    assert cal.working_time_between(sh(2026, 9, 24, 9), datetime(2026, 9, 24, 4, tzinfo=UTC)) == timedelta(hours=3)


_GRID_STARTS = [
    sh(2026, 9, 18, 8, 59),
    sh(2026, 9, 19, 10),  # Saturday
    sh(2026, 9, 20, 11, 59),  # adjusted Sunday
    sh(2026, 9, 24, 9),
    sh(2026, 9, 24, 12),
    sh(2026, 9, 24, 13, 17),
    sh(2026, 9, 24, 17, 45),
    sh(2026, 9, 24, 18),
    sh(2026, 9, 25, 10),  # Mid-Autumn holiday
    sh(2026, 9, 30, 23, 59),
    sh(2026, 10, 3, 12),  # National Day holiday
    sh(2026, 10, 10, 14, 30),  # adjusted Saturday
]
_GRID_DURATIONS = [
    timedelta(minutes=1),
    timedelta(minutes=45),
    timedelta(hours=3),
    timedelta(hours=3, minutes=30),
    timedelta(hours=6, minutes=30),
    timedelta(hours=7),
    timedelta(hours=26),
    timedelta(hours=40, seconds=1),
]


@pytest.mark.parametrize("start", _GRID_STARTS, ids=lambda value: value.strftime("%m%d-%H%M"))
@pytest.mark.parametrize("duration", _GRID_DURATIONS, ids=str)
def test_working_time_between_inverts_add_working_hours_grid(
    cal: WorkCalendar, start: datetime, duration: timedelta
) -> None:
    end = cal.add_working_hours(start, duration)
    assert end > start
    assert cal.working_time_between(start, end) == duration


try:  # hypothesis is optional; the grid above covers the same property.
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - depends on the environment
    pass
else:

    @settings(max_examples=200, deadline=None)
    @given(
        start=st.datetimes(
            min_value=datetime(2026, 9, 1),
            max_value=datetime(2026, 11, 1),
            timezones=st.just(SHANGHAI),
        ),
        minutes=st.integers(min_value=1, max_value=60 * 80),
    )
    def test_working_time_between_inverts_add_working_hours_property(start: datetime, minutes: int) -> None:
        cal = WorkCalendar(_overrides_2026_autumn())
        duration = timedelta(minutes=minutes)
        end = cal.add_working_hours(start, duration)
        assert cal.working_time_between(start, end) == duration
        # No earlier instant can already contain the whole duration.
        assert cal.working_time_between(start, end - timedelta(microseconds=1)) < duration


# --------------------------------------------------------------------- due_at


def test_due_at_big_case_five_working_days(cal: WorkCalendar) -> None:
    due = cal.due_at(sh(2026, 9, 28, 10), "work_days", 5)
    assert due == sh(2026, 10, 10, 18)
    assert due.isoformat() == "2026-10-10T18:00:00+08:00"


def test_due_at_small_case_same_day(cal: WorkCalendar) -> None:
    assert cal.due_at(sh(2026, 9, 24, 20), "same_day") == sh(2026, 9, 28, 18)
    assert cal.due_at(sh(2026, 9, 24, 11), "same_day") == sh(2026, 9, 24, 18)
    assert cal.due_at(sh(2026, 9, 24, 11), DueRule.SAME_DAY) == sh(2026, 9, 24, 18)


def test_due_at_other_rules(cal: WorkCalendar) -> None:
    assert cal.due_at(sh(2026, 9, 24, 9), "work_hours", 4) == sh(2026, 9, 24, 15, 30)
    assert cal.due_at(sh(2026, 9, 24, 17), "work_hours", 2) == sh(2026, 9, 28, 10)
    assert cal.due_at(sh(2026, 9, 26, 10), "work_days", 0) == sh(2026, 9, 28, 18)
    assert cal.due_at(sh(2026, 9, 24, 20), "work_days", 1) == sh(2026, 9, 28, 18)
    assert cal.due_at(sh(2026, 9, 24, 20, 15), "calendar_days", 3) == sh(2026, 9, 27, 20, 15)
    utc_due = cal.due_at(datetime(2026, 9, 24, 12, 15, tzinfo=UTC), "calendar_days", 3)
    assert utc_due == sh(2026, 9, 27, 20, 15)
    assert utc_due.tzinfo == DEFAULT_TZ


def test_due_at_unknown_rule(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="Unknown due rule 'next_week'"):
        cal.due_at(sh(2026, 9, 24, 11), "next_week")
