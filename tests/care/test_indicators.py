"""The care indicators (issue 18): counts per programme on a day, aid given in a period, visit windows owed, made
and missed, for any division; an official without the sensitive permission reads the counts, never the rows."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.cache import cache

from tests.care.helpers import enrol
from tests.cases.helpers import at
from tongxin.care.models import Enrolment, Visit
from tongxin.core import indicators

pytestmark = pytest.mark.django_db
D = datetime.date
NOW = at("2026-04-02 10:00")


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()


@pytest.fixture
def care(world):
    active = {"status": Enrolment.Status.ACTIVE, "approved_on": D(2026, 1, 10)}
    for _i in range(2):
        enrol(world, "dibao", persons_covered=3, **active)  # households of 3 persons
    enrol(world, "dibao", community=world.b, persons_covered=3, **active)
    enrol(world, "dibao", status=Enrolment.Status.EXITED, approved_on=D(2025, 6, 1), ended_on=D(2026, 2, 15))
    enrol(world, "dibao")  # applied, not approved: not counted
    elder = enrol(world, "left_behind_elderly", **active)
    for day in (D(2026, 1, 15), D(2026, 3, 20)):  # February missed
        Visit.objects.create(community=world.a, grid=world.grid_a, person=elder.person, visited_on=day)
    Visit.objects.create(
        community=world.a, grid=world.grid_a, person=elder.person, visited_on=D(2026, 2, 1), kind=Visit.Kind.HOLIDAY
    )  # fmt: skip  (a holiday visit counts as a visit: February done)
    enrol(world, "medical_aid", status=Enrolment.Status.ACTIVE, approved_on=D(2026, 3, 3))
    return elder


def figures(world, key, division, period):
    with time_machine.travel(NOW, tick=False):
        return indicators.by_key(indicators.evaluate(None, division, period, world.users[key], now=NOW))


def test_programme_counts_on_a_day_and_aid_in_a_period(world, care):
    county = figures(world, "admin", world.county, "2026-Q1")
    assert county["care.dibao_households"]["value"] == 3  # A's two and B's one on 03-31; the exited one left 02-15
    assert county["care.dibao_persons"]["value"] == 9
    assert {r["name"]: r["value"] for r in county["care.dibao_households"]["children"]} == {
        "鼓楼街道": 2,
        "东华街道": 1,
    }
    january = figures(world, "admin", world.county, "2026-01")
    assert january["care.dibao_households"]["value"] == 4  # the exited household was still on it in January
    assert county["care.medical_aid_households"]["value"] == 1
    assert figures(world, "admin", world.county, "2026-02")["care.medical_aid_households"]["value"] == 0
    assert county["care.left_behind_elderly"]["value"] == 1


def test_visit_windows_owed_done_and_missed(world, care):
    q1 = figures(world, "director", world.a, "2026-Q1")
    # the elder owes January, February (its holiday visit counts), March: done; the two 低保 households owe Q1
    # (quarterly, not visited), still open on 03-31, the as-of day
    assert (q1["care.visits_due"]["value"], q1["care.visits_done"]["value"]) == (3 + 2, 3)
    assert q1["care.visits_overdue"]["value"] == 0
    assert q1["care.visits_made"]["value"] == 3
    assert q1["care.holiday_visit_households"]["value"] == 1
    assert "kind=holiday" in q1["care.holiday_visit_households"]["url"]
    year = figures(world, "director", world.a, "2026")  # as of 04-02: Q1 has ended without the households' visits
    assert (year["care.visits_due"]["value"], year["care.visits_done"]["value"]) == (4 + 4, 3)
    assert year["care.visits_overdue"]["value"] == 2


def test_an_official_reads_the_counts_and_the_drill_down_stays_gated(client, world, care):
    street = figures(world, "official", world.street, "2026-Q1")
    assert street["care.dibao_households"]["value"] == 2
    url = street["care.dibao_households"]["children"][0]["url"]
    assert "programme_code=dibao" in url
    client.force_login(world.users["official"])
    html = client.get(url).content.decode()
    assert 'id="total-count">0<' in html  # the list itself stays sensitive
    client.force_login(world.users["director"])
    assert 'id="total-count">2<' in client.get(url).content.decode()
