"""Visit and review windows (走访、复核周期): calendar months, quarters or years that never slide.

A programme that asks for a monthly visit owes one visit in every calendar month from the month of enrolment to
the month of the as-of day; a visit on 03-02 does not move April's window, and a missed February stays missed
(overdue) whatever happens in March. A quarterly review counts for the quarter it was done in: a review on 06-30
is Q2's, not Q3's. These are pure functions of dates, used by the pages, the warnings and the indicators.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

MONTH, QUARTER, YEAR = "month", "quarter", "year"
EVERY = (MONTH, QUARTER, YEAR)


@dataclass(frozen=True)
class Window:
    """One window: its first and last day, whether something was done in it, and its state on the as-of day."""

    start: datetime.date
    end: datetime.date
    done: bool
    state: str  # done, due (the current window, not yet done), overdue (ended without), ended, upcoming

    @property
    def label(self) -> str:
        """``2026-03``, ``2026-Q1`` or ``2026``."""
        months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1
        if months == 1:
            return f"{self.start:%Y-%m}"
        if months == 3:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)


def window_of(every: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The window of ``every`` (month, quarter or year) that contains ``day``."""
    if every == MONTH:
        first_month, months = day.month, 1
    elif every == QUARTER:
        first_month, months = 3 * ((day.month - 1) // 3) + 1, 3
    elif every == YEAR:
        first_month, months = 1, 12
    else:
        raise ValueError(f"unknown window {every!r}")
    start = datetime.date(day.year, first_month, 1)
    after = first_month + months
    end = datetime.date(day.year + (after > 12), (after - 1) % 12 + 1, 1) - datetime.timedelta(days=1)
    return start, end


def windows(
    every: str,
    start: datetime.date,
    as_of: datetime.date,
    done_on: Iterable[datetime.date],
    *,
    until: datetime.date | None = None,
) -> list[Window]:
    """Every window from the one containing ``start`` (enrolment) to the one containing ``as_of`` (or ``until``,
    the day the enrolment ended, when earlier), each marked done when a day of ``done_on`` falls inside it."""
    if every not in EVERY:
        return []
    last = min(as_of, until) if until else as_of
    if last < start:
        return []
    days = sorted(done_on)
    out: list[Window] = []
    lo, hi = window_of(every, start)
    i = 0
    while lo <= last:
        while i < len(days) and days[i] < lo:
            i += 1
        done = i < len(days) and days[i] <= hi
        if done:
            state = "done"
        elif until is not None and hi > until:
            state = "ended"  # the enrolment ended inside the window: nothing was owed for it
        elif hi < as_of:
            state = "overdue"
        elif lo <= as_of <= hi:
            state = "due"
        else:
            state = "upcoming"
        out.append(Window(lo, hi, done, state))
        lo, hi = window_of(every, hi + datetime.timedelta(days=1))
    return out


def summary(found: list[Window]) -> dict[str, int]:
    """How many windows are done, due and overdue."""
    out = {"done": 0, "due": 0, "overdue": 0, "ended": 0, "upcoming": 0}
    for w in found:
        out[w.state] += 1
    return out
