"""Indicators (issue 17): figures rolled up the division tree with rates recomputed at every level, the same as the
timeliness report, the API and the command giving the same figures, the cache forgetting after a write, and the
scope (a director of A cannot ask for B)."""

from __future__ import annotations

import datetime
import io
import json

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cases.helpers import at
from tests.cases.test_report import NOW, OCTOBER, scenario  # noqa: F401 - the cases of the report's tests
from tongxin.cases import report, services
from tongxin.core import indicators
from tongxin.registry.models import Person

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache outlives each test's rolled-back rows: start every test without cached figures."""
    cache.clear()


def evaluate(world, key, division, period="2026-10", keys=None):
    user = world.users[key] if isinstance(key, str) else key
    with time_machine.travel(NOW, tick=False):
        return indicators.by_key(indicators.evaluate(keys, division, period, user, now=NOW))


def api(client, world, key, **params):
    headers = {"Authorization": f"Bearer {world.tokens[key]}"}
    with time_machine.travel(NOW, tick=False):
        return client.get("/api/v1/indicators/", params, headers=headers)


@pytest.fixture
def late_in_b(world, scenario):  # noqa: F811 - the fixture imported above
    """Community B's case resolved late (reported 10-12, a same-day category, resolved 10-14)."""
    case = scenario["b"]
    with time_machine.travel(at("2026-10-14 10:00"), tick=False):
        services.assign(world.users["director_b"], case, world.users["director_b"])
        services.resolve(world.users["director_b"], case, "已清运")
    case.refresh_from_db()
    assert case.on_time is False
    return scenario


def test_a_county_rate_is_recomputed_from_summed_counts_not_averaged(world, late_in_b):
    county = evaluate(world, "admin", world.county)
    rate = county["cases.on_time_rate"]
    # A: 3 of 4 resolved on time (75 %), B: 0 of 1 (0 %): the county is 3 of 5 = 60 %, not (75 + 0) / 2
    assert (rate["numerator_value"], rate["denominator_value"], rate["value"]) == (3, 5, 60.0)
    streets = {row["name"]: row for row in rate["children"]}
    assert streets["鼓楼街道"]["value"] == 75.0 and streets["东华街道"]["value"] == 0.0
    assert county["cases.cases"]["value"] == 7
    assert {r["name"]: r["value"] for r in county["cases.cases"]["children"]} == {"鼓楼街道": 6, "东华街道": 1}
    # the median of every resolved case below, not a median of medians
    minutes = list(late_in_b["b"].__class__.objects.filter(work_minutes__isnull=False).values_list("work_minutes"))
    assert county["cases.median_hours"]["n"] == len(minutes) == 5
    assert county["cases.median_hours"]["value"] == report.hours(m for (m,) in minutes)[0]


def test_case_indicators_equal_the_timeliness_report(world, scenario):  # noqa: F811
    figures = evaluate(world, "director", world.a)
    data = report.timeliness(world.users["director"], world.a, *OCTOBER, now=NOW)
    assert figures["cases.cases"]["value"] == data["total"] == 6
    assert figures["cases.on_time_rate"]["value"] == data["on_time_rate"] == 75.0
    assert figures["cases.on_time_rate_same_day"]["value"] == data["same_day"]["on_time_rate"] == 66.7
    assert figures["cases.on_time_rate_within_week"]["value"] == data["within_week"]["on_time_rate"] == 100.0
    assert figures["cases.median_hours"]["value"] == data["median_hours"] == 4.8
    assert figures["cases.overdue"]["value"] == data["overdue"] == 2
    assert figures["cases.overdue_open"]["value"] == data["overdue_open"] == 1
    assert figures["cases.satisfaction"]["value"] == data["satisfaction"]["average"] == 3.67
    assert figures["cases.satisfaction_high_share"]["value"] == data["satisfaction"]["high_share"] == 66.7
    kinds = {s["key"]: s["value"] for s in figures["cases.by_kind"]["series"]}
    assert kinds == {r["kind"]: r["cases"] for r in data["by_kind"] if r["cases"]}
    tops = {s["name"]: s["value"] for s in figures["cases.by_category"]["series"]}
    assert tops == {r["name"]: r["cases"] for r in data["by_top_category"]}
    # every number drills down to its filtered list
    assert figures["cases.overdue_open"]["url"].startswith("/cases/cases/?")
    assert f"community={world.a.pk}" in figures["cases.overdue_open"]["url"]
    assert "due=overdue" in figures["cases.overdue_open"]["url"]


def test_the_api_and_the_command_give_the_same_figures(client, world, scenario):  # noqa: F811
    response = api(client, world, "admin", division=world.county.code, period="2026-10")
    assert response.status_code == 200
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("indicators", "--division", world.county.code, "--period", "2026-10", "--json", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed == response.json()
    assert printed["period"] == {"start": "2026-10-01", "end": "2026-10-31", "as_of": "2026-10-20", "label": "2026-10"}
    assert {e["key"] for e in printed["indicators"]} == set(indicators.declared())


def test_the_command_prints_a_readable_table(world):
    Person.objects.create(community=world.a, name="甲", sex="1")
    out = io.StringIO()
    call_command("indicators", "--division", world.a.code, "--user", "director", stdout=out)
    text = out.getvalue()
    assert "桃源社区" in text and "人数（registry.persons）: 1 人" in text and "男: 1" in text


def test_the_command_names_an_unknown_division_and_a_bad_period(world):
    with pytest.raises(CommandError, match="000000"):
        call_command("indicators", "--division", "000000", stdout=io.StringIO())
    with pytest.raises(CommandError, match="2026-13"):
        call_command("indicators", "--division", world.a.code, "--period", "2026-13", stdout=io.StringIO())


def test_cached_figures_are_forgotten_after_a_write(world):
    Person.objects.create(community=world.a, name="甲", sex="1")
    first = evaluate(world, "director", world.a, keys=["registry.persons"])
    assert first["registry.persons"]["value"] == 1
    with CaptureQueriesContext(connection) as queries:
        again = evaluate(world, "director", world.a, keys=["registry.persons"])
    assert again == first
    assert not [q for q in queries.captured_queries if "registry_person" in q["sql"]]  # served from the cache
    person = Person.objects.create(community=world.a, name="乙", sex="2")
    assert evaluate(world, "director", world.a, keys=["registry.persons"])["registry.persons"]["value"] == 2
    person.delete()
    assert evaluate(world, "director", world.a, keys=["registry.persons"])["registry.persons"]["value"] == 1


def test_a_director_of_a_cannot_ask_for_b(client, world):
    assert api(client, world, "director", division=world.a.code).status_code == 200
    assert api(client, world, "director", division=world.b.code).status_code == 404
    assert api(client, world, "director", division=world.street.code).status_code == 404
    assert api(client, world, "director", division="*").status_code == 404
    assert api(client, world, "director", division="999999999999").status_code == 404
    assert api(client, world, "director", division="5301\x0003").status_code == 404  # NUL: PostgreSQL would refuse it
    assert api(client, world, "nobody", division=world.a.code).status_code == 403
    bad = api(client, world, "director", division=world.a.code, period="2026-13")
    assert bad.status_code == 422 and "2026-13" in bad.json()["errors"]["period"][0]


def test_a_grid_member_counts_only_their_grid(client, world):
    Person.objects.create(community=world.a, grid=world.grid_a, name="网格内", sex="1")
    Person.objects.create(community=world.a, name="网格外", sex="2")
    mine = api(client, world, "grid_member").json()
    assert mine["division"]["code"] == world.a.code  # their grid's community by default
    persons = indicators.by_key(mine)["registry.persons"]
    assert persons["value"] == 1
    director = indicators.by_key(api(client, world, "director").json())["registry.persons"]
    assert director["value"] == 2  # another scope, another cache entry


def test_the_default_division_is_the_users_highest_and_the_whole_deployment_for_an_administrator(client, world):
    Person.objects.create(community=world.a, name="甲", sex="1")
    Person.objects.create(community=world.b, name="乙", sex="2")
    assert api(client, world, "official").json()["division"]["code"] == world.street.code
    everything = api(client, world, "admin").json()
    assert everything["division"]["level"] == "root"
    persons = indicators.by_key(everything)["registry.persons"]
    assert persons["value"] == 2 and [r["name"] for r in persons["children"]] == ["云南省"]


def test_breakdowns_are_series_ready_to_chart(client, world):
    Person.objects.create(community=world.a, name="甲", sex="1", ethnicity="01")
    Person.objects.create(community=world.a, name="乙", sex="2", ethnicity="07")
    Person.objects.create(community=world.a, name="丙", sex="2", ethnicity="07")
    figures = indicators.by_key(api(client, world, "director", division=world.a.code).json())
    sex = figures["registry.persons_by_sex"]
    assert [(s["name"], s["value"]) for s in sex["series"]] == [("男", 1), ("女", 2)]
    assert "sex=2" in sex["series"][1]["url"] and f"community={world.a.pk}" in sex["series"][1]["url"]
    assert figures["registry.ethnic_groups"]["value"] == 2 and figures["registry.minority_persons"]["value"] == 2
    bands = {s["key"]: s for s in figures["registry.persons_by_age_band"]["series"]}
    assert bands["unknown"]["value"] == 3 and bands["unknown"]["url"] == ""  # the list has no such filter


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026", "2026-01-01", "2026-12-31"),
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2026-Q4", "2026-10-01", "2026-12-31"),
        ("2026-03-05", "2026-03-05", "2026-03-05"),
        ("2026-01-01..2026-03-31", "2026-01-01", "2026-03-31"),
    ],
)
def test_periods(text, start, end):
    period = indicators.parse_period(text, datetime.date(2026, 6, 1))
    assert (period.start.isoformat(), period.end.isoformat()) == (start, end)
    assert period.as_of == min(period.end, datetime.date(2026, 6, 1)) or period.as_of == period.start


def test_a_bad_period_names_its_value():
    with pytest.raises(ValueError, match="2026-Q5"):
        indicators.parse_period("2026-Q5", datetime.date(2026, 6, 1))


def test_the_number_of_queries_does_not_grow_with_the_communities(world):
    from tongxin.org.models import Division

    def queries_for_the_county() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            indicators.evaluate(None, world.county, "2026-10", world.users["admin"], now=NOW)
        return len(captured.captured_queries)

    Person.objects.create(community=world.a, name="甲", sex="1")
    queries_for_the_county()  # the user's grants are read once per user object
    few = queries_for_the_county()
    for i in range(2, 6):
        c = Division.objects.create(code=f"53010300200{i}", name=f"社区{i}", level="community", parent=world.street)
        Person.objects.create(community=c, name=f"居民{i}", sex="2")
    assert queries_for_the_county() == few  # one grouped query per figure family, whatever the communities
