"""Visit and review windows never slide (issue 18, acceptance): a missed month stays missed, a review counts for
the quarter it was done in."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from tests.care.helpers import enrol
from tongxin.care import services, windows
from tongxin.care.models import Visit

D = datetime.date


def states(found):
    return {w.label: w.state for w in found}


def test_a_monthly_programme_has_february_overdue_and_january_and_march_done():
    found = windows.windows("month", D(2026, 1, 15), D(2026, 3, 31), [D(2026, 1, 20), D(2026, 3, 2), D(2026, 3, 30)])
    assert states(found) == {"2026-01": "done", "2026-02": "overdue", "2026-03": "done"}


def test_two_visits_in_march_do_not_make_up_for_february_nor_count_for_april():
    found = windows.windows("month", D(2026, 1, 15), D(2026, 4, 10), [D(2026, 1, 20), D(2026, 3, 2), D(2026, 3, 30)])
    assert states(found) == {"2026-01": "done", "2026-02": "overdue", "2026-03": "done", "2026-04": "due"}


def test_a_quarterly_review_on_june_30_does_not_count_for_q3():
    found = windows.windows("quarter", D(2026, 4, 1), D(2026, 10, 5), [D(2026, 6, 30)])
    assert states(found) == {"2026-Q2": "done", "2026-Q3": "overdue", "2026-Q4": "due"}


def test_windows_end_with_the_enrolment_and_start_with_it():
    found = windows.windows("month", D(2026, 1, 31), D(2026, 6, 1), [], until=D(2026, 3, 15))
    assert states(found) == {"2026-01": "overdue", "2026-02": "overdue", "2026-03": "ended"}
    assert windows.windows("month", D(2026, 5, 1), D(2026, 4, 1), []) == []
    assert windows.window_of("quarter", D(2026, 11, 30)) == (D(2026, 10, 1), D(2026, 12, 31))
    assert windows.window_of("year", D(2024, 2, 29)) == (D(2024, 1, 1), D(2024, 12, 31))


@pytest.mark.django_db
def test_an_enrolments_page_shows_its_windows_from_the_visits_recorded(client, world):
    enrolment = enrol(world, "left_behind_elderly", status="active", approved_on=D(2026, 1, 15))
    for day in (D(2026, 1, 20), D(2026, 3, 2), D(2026, 3, 30)):
        Visit.objects.create(community=world.a, grid=world.grid_a, person=enrolment.person, visited_on=day)
    Visit.objects.create(community=world.a, grid=world.grid_a, person=enrolment.person, visited_on=D(2026, 3, 31),
                         kind=Visit.Kind.REVIEW)  # fmt: skip
    assert states(services.visit_windows(enrolment, D(2026, 3, 31))) == {
        "2026-01": "done", "2026-02": "overdue", "2026-03": "done",
    }  # fmt: skip
    client.force_login(world.users["director"])
    with time_machine.travel(datetime.datetime(2026, 4, 2, 10, 0), tick=False):
        html = client.get(enrolment.get_absolute_url()).content.decode()
    assert 'data-window="2026-02" data-state="overdue"' in html
    assert 'data-window="2026-04" data-state="due"' in html
    assert 'data-window="2026-Q1" data-state="done"' in html  # the review of 03-31 is Q1's
