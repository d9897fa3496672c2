"""The official working calendar (mainland China) used to compute case deadlines.

Weekends are days off and Monday to Friday are working days, unless an override says otherwise:
the State Council publishes every year a notice listing statutory holidays (days off even on a
weekday) and adjusted working days (调休, working days even on a weekend).  Local governments may
add their own days off.  All of this is passed to :class:`WorkCalendar` as ``overrides``.

Working time only counts inside the office periods (:class:`OfficeHours`) of working days.

This module is pure Python (no Django imports) so it can be unit-tested and reused anywhere.
All loops step at most one day at a time and are bounded: a search that finds no working day
within :data:`MAX_SEARCH_DAYS` days raises :class:`ValueError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from types import MappingProxyType
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_OFFICE_HOURS",
    "DEFAULT_OFFICE_PERIODS",
    "DEFAULT_TZ",
    "MAX_SEARCH_DAYS",
    "DueRule",
    "OfficeHours",
    "WorkCalendar",
]

#: Time zone of the official calendar.
DEFAULT_TZ = ZoneInfo("Asia/Shanghai")

#: Default office periods: 09:00-12:00 and 14:30-18:00.
DEFAULT_OFFICE_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(14, 30), time(18, 0)),
)

#: Maximum number of consecutive days searched for a working day before giving up.
MAX_SEARCH_DAYS = 366

_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


class DueRule(StrEnum):
    """Deadline rules understood by :meth:`WorkCalendar.due_at`."""

    SAME_DAY = "same_day"
    """Due at the close of the reporting working day (or of the next working day if reported after it)."""
    WORK_HOURS = "work_hours"
    """Due after ``amount`` working hours."""
    WORK_DAYS = "work_days"
    """Due at the close of the ``amount``-th working day after the reporting day."""
    CALENDAR_DAYS = "calendar_days"
    """Due exactly ``amount`` calendar days (24 h each) after the report."""


def _parse_hhmm(text: str, source: str) -> time:
    """Parse ``HH:MM`` into a :class:`datetime.time`, raising a descriptive ValueError."""
    match = _HHMM.match(text.strip())
    if match is None:
        raise ValueError(f"Invalid office hours {source!r}: {text.strip()!r} is not a time in HH:MM format")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(f"Invalid office hours {source!r}: {text.strip()!r} is out of range (00:00-23:59)")
    return time(hour, minute)


@dataclass(frozen=True)
class OfficeHours:
    """The office periods of a working day, as wall-clock times in the calendar's time zone.

    Periods must be non-empty, each must start before it ends, and they must be sorted and must not
    overlap (a period may start exactly when the previous one ends).
    """

    periods: tuple[tuple[time, time], ...] = DEFAULT_OFFICE_PERIODS

    def __post_init__(self) -> None:
        """Normalise ``periods`` to a tuple of tuples and validate them."""
        periods = tuple((start, end) for start, end in self.periods)
        object.__setattr__(self, "periods", periods)
        if not periods:
            raise ValueError("Office hours need at least one period")
        previous_end: time | None = None
        for start, end in periods:
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(f"Office period ({start!r}, {end!r}) must be made of datetime.time values")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("Office period times must be naive wall-clock times (no tzinfo)")
            if start >= end:
                raise ValueError(f"Office period {start:%H:%M}-{end:%H:%M} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"Office period {start:%H:%M}-{end:%H:%M} overlaps or precedes the previous period "
                    f"(ending {previous_end:%H:%M}); periods must be sorted and disjoint"
                )
            previous_end = end

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Build office hours from text such as ``"09:00-12:00,14:30-18:00"``.

        Whitespace around times and separators is ignored; hours may have one digit (``9:00``).
        Raises :class:`ValueError` with a message naming the offending part on bad input.
        """
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"Invalid office hours {text!r}: expected e.g. '09:00-12:00,14:30-18:00'")
        periods: list[tuple[time, time]] = []
        for chunk in text.split(","):
            parts = chunk.split("-")
            if len(parts) != 2:
                raise ValueError(f"Invalid office hours {text!r}: {chunk.strip()!r} is not a 'HH:MM-HH:MM' period")
            periods.append((_parse_hhmm(parts[0], text), _parse_hhmm(parts[1], text)))
        try:
            return cls(tuple(periods))
        except ValueError as exc:
            raise ValueError(f"Invalid office hours {text!r}: {exc}") from exc

    @property
    def day_length(self) -> timedelta:
        """Total office time of one working day (7 h 30 min with the default periods)."""
        return sum((_wall_duration(start, end) for start, end in self.periods), _ZERO)

    @property
    def close(self) -> time:
        """Closing time of the office (end of the last period)."""
        return self.periods[-1][1]

    def __str__(self) -> str:
        """Render in the format accepted by :meth:`parse`."""
        return ",".join(f"{start:%H:%M}-{end:%H:%M}" for start, end in self.periods)


def _wall_duration(start: time, end: time) -> timedelta:
    """Wall-clock duration between two times of the same day."""
    day = date(2000, 1, 1)
    return datetime.combine(day, end) - datetime.combine(day, start)


#: Default office hours (09:00-12:00, 14:30-18:00).
DEFAULT_OFFICE_HOURS = OfficeHours()


class WorkCalendar:
    """Working days and office hours, with helpers to compute deadlines.

    ``overrides`` maps a date to whether it is a working day: ``True`` for an adjusted working day
    (调休, even on a weekend), ``False`` for a holiday (even on a weekday).  Dates without an
    override follow the week: Monday to Friday work, Saturday and Sunday off.

    Datetimes passed in must be timezone-aware (naive ones raise :class:`ValueError`); they are
    converted to ``tz`` and every datetime returned is aware and in ``tz``.  Office time is
    measured in wall-clock time of ``tz`` (Asia/Shanghai has no daylight saving time).
    """

    __slots__ = ("_office_hours", "_overrides", "_tz")

    def __init__(
        self,
        overrides: Mapping[date, bool] | None = None,
        office_hours: OfficeHours = DEFAULT_OFFICE_HOURS,
        tz: ZoneInfo = DEFAULT_TZ,
    ) -> None:
        """Create a calendar; ``overrides`` is copied so later changes to the argument have no effect."""
        copied: dict[date, bool] = {}
        for day, is_work in (overrides or {}).items():
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"Override keys must be dates, got {day!r}")
            copied[day] = bool(is_work)
        self._overrides: Mapping[date, bool] = MappingProxyType(copied)
        self._office_hours = office_hours
        self._tz = tz

    @property
    def overrides(self) -> Mapping[date, bool]:
        """Read-only mapping of date to is-working-day overrides."""
        return self._overrides

    @property
    def office_hours(self) -> OfficeHours:
        """Office periods of a working day."""
        return self._office_hours

    @property
    def tz(self) -> ZoneInfo:
        """Time zone in which days and office hours are defined."""
        return self._tz

    def __repr__(self) -> str:
        """Short description (the overrides can be long, so only their count is shown)."""
        return (
            f"WorkCalendar(overrides=<{len(self._overrides)} dates>, "
            f"office_hours='{self._office_hours}', tz={self._tz})"
        )

    # ------------------------------------------------------------------ days

    def is_workday(self, d: date) -> bool:
        """Whether ``d`` is a working day (override first, else Monday to Friday)."""
        if isinstance(d, datetime):
            raise TypeError("is_workday() expects a date; pass dt.astimezone(calendar.tz).date() for a datetime")
        override = self.overrides.get(d)
        if override is not None:
            return override
        return d.weekday() < 5

    def next_workday(self, d: date, *, include: bool = False) -> date:
        """Return the first working day after ``d`` (or ``d`` itself if ``include`` and it is a working day)."""
        return self._step_to_workday(d, _ONE_DAY, include=include)

    def previous_workday(self, d: date, *, include: bool = False) -> date:
        """Return the last working day before ``d`` (or ``d`` itself if ``include`` and it is a working day)."""
        return self._step_to_workday(d, -_ONE_DAY, include=include)

    def _step_to_workday(self, d: date, step: timedelta, *, include: bool) -> date:
        """Walk day by day in the direction of ``step`` until a working day is found (bounded)."""
        if include and self.is_workday(d):
            return d
        current = d
        for _ in range(MAX_SEARCH_DAYS):
            current += step
            if self.is_workday(current):
                return current
        direction = "after" if step > _ZERO else "before"
        raise ValueError(f"No working day found within {MAX_SEARCH_DAYS} days {direction} {d.isoformat()}")

    def add_workdays(self, d: date, n: int) -> date:
        """Return the ``n``-th working day after ``d`` (``d`` itself never counts).

        ``n == 0`` returns ``d`` if it is a working day, else the next working day; a negative ``n``
        counts backwards (``-1`` is the previous working day).
        """
        if n == 0:
            return self.next_workday(d, include=True)
        current = d
        for _ in range(abs(n)):
            current = self.next_workday(current) if n > 0 else self.previous_workday(current)
        return current

    # ------------------------------------------------------------- instants

    def _local(self, dt: datetime, name: str = "datetime") -> datetime:
        """Convert an aware datetime to the calendar's time zone; reject naive ones."""
        if not isinstance(dt, datetime):
            raise TypeError(f"{name} must be a datetime, got {type(dt).__name__}")
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware, got naive {dt.isoformat()}")
        return dt.astimezone(self.tz)

    def _at(self, d: date, t: time) -> datetime:
        """Return the aware datetime at wall-clock time ``t`` of day ``d`` in the calendar's time zone."""
        return datetime.combine(d, t, tzinfo=self.tz)

    def end_of_workday(self, dt: datetime) -> datetime:
        """Close of the working day of ``dt``.

        If ``dt`` is on a working day and strictly before that day's close, the result is that day
        at close; otherwise (after close, exactly at close, or on a day off) it is the close of the next
        working day.
        """
        local = self._local(dt)
        close = self.office_hours.close
        day = local.date()
        if self.is_workday(day) and local.time() < close:
            return self._at(day, close)
        return self._at(self.next_workday(day), close)

    def add_working_hours(self, dt: datetime, hours: float | timedelta) -> datetime:
        """Advance ``dt`` by ``hours`` of office time on working days.

        Time outside the office periods does not count: a start outside hours begins at the next
        period start.  A deadline that falls exactly at the end of a period stays there (3 hours from
        09:00 is 12:00, not 14:30).  Zero hours returns ``dt`` (converted to the calendar's zone).
        Negative durations raise :class:`ValueError`.
        """
        remaining = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        local = self._local(dt)
        if remaining < _ZERO:
            raise ValueError(f"Working hours must not be negative, got {remaining}")
        if remaining == _ZERO:
            return local
        day = local.date()
        cursor = local
        idle_days = 0
        while True:
            if self.is_workday(day):
                idle_days = 0
                for start, end in self.office_hours.periods:
                    period_end = self._at(day, end)
                    if cursor >= period_end:
                        continue
                    segment_start = max(cursor, self._at(day, start))
                    available = period_end - segment_start
                    if remaining <= available:
                        return segment_start + remaining
                    remaining -= available
                    cursor = period_end
            else:
                idle_days += 1
                if idle_days > MAX_SEARCH_DAYS:
                    raise ValueError(f"No working day found within {MAX_SEARCH_DAYS} days after {day.isoformat()}")
            day += _ONE_DAY
            cursor = self._at(day, time(0, 0))

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Office time on working days between two instants (zero if ``end <= start``).

        This is the inverse of :meth:`add_working_hours`: for a positive duration ``h``,
        ``working_time_between(s, add_working_hours(s, h)) == h``.  The loop runs once per calendar day
        of the interval.
        """
        local_start = self._local(start, "start")
        local_end = self._local(end, "end")
        total = _ZERO
        if local_end <= local_start:
            return total
        day = local_start.date()
        last_day = local_end.date()
        while day <= last_day:
            if self.is_workday(day):
                for period_start, period_end in self.office_hours.periods:
                    lower = max(local_start, self._at(day, period_start))
                    upper = min(local_end, self._at(day, period_end))
                    if upper > lower:
                        total += upper - lower
            day += _ONE_DAY
        return total

    # ------------------------------------------------------------ deadlines

    def due_at(self, reported_at: datetime, rule: str, amount: int = 0) -> datetime:
        """Deadline of a case reported at ``reported_at`` under ``rule`` (see :class:`DueRule`).

        - ``"same_day"``: :meth:`end_of_workday` (``amount`` is ignored);
        - ``"work_hours"``: :meth:`add_working_hours` by ``amount`` hours;
        - ``"work_days"``: close of ``add_workdays(local date of reported_at, amount)``;
        - ``"calendar_days"``: exactly ``reported_at + amount`` days.

        Unknown rules raise :class:`ValueError`.
        """
        try:
            due_rule = DueRule(rule)
        except ValueError:
            known = ", ".join(repr(r.value) for r in DueRule)
            raise ValueError(f"Unknown due rule {rule!r}; expected one of {known}") from None
        local = self._local(reported_at, "reported_at")
        if due_rule is DueRule.SAME_DAY:
            return self.end_of_workday(local)
        if due_rule is DueRule.WORK_HOURS:
            return self.add_working_hours(local, amount)
        if due_rule is DueRule.WORK_DAYS:
            return self._at(self.add_workdays(local.date(), amount), self.office_hours.close)
        return (local + timedelta(days=amount)).astimezone(self.tz)
