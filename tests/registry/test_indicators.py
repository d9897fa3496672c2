"""The registry's indicators give the statistics' figures, and the statistics page opens on the user's highest
division with a comparison of the communities below it (issue 17, defect 8)."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core.cache import cache

from tongxin.core import indicators
from tongxin.registry import stats

from .test_services_stats import login, town  # noqa: F401 - the small register of the statistics tests

pytestmark = pytest.mark.django_db
NOON = datetime.datetime(2025, 6, 15, 12, 0)


@pytest.fixture(autouse=True)
def _empty_cache():
    """The cache outlives each test's rolled-back rows: start every test without cached figures."""
    cache.clear()


def series(entry):
    return {s["name"]: s["value"] for s in entry["series"]}


@pytest.mark.parametrize("where", ["a", "street", "county"])
def test_the_indicators_give_the_statistics_figures(world, town, where):  # noqa: F811
    division = getattr(world, where)
    with time_machine.travel(NOON, tick=False):
        figures = stats.compute(division)
        found = indicators.by_key(indicators.evaluate(None, division, "2025-06-15", indicators.SystemActor()))
    assert found["registry.households"]["value"] == figures["households"]
    assert found["registry.persons"]["value"] == figures["persons"]
    assert found["registry.ethnic_groups"]["value"] == figures["ethnic_groups"]
    assert found["registry.minority_persons"]["value"] == figures["minority_persons"]
    assert found["registry.party_members"]["value"] == figures["party_members"]
    assert found["registry.party_members_probationary"]["value"] == figures["party_members_probationary"]
    assert found["registry.party_branches"]["value"] == figures["party_branches"]
    for key in ("by_sex", "by_ethnicity", "by_registration_status"):
        assert series(found[f"registry.persons_{key}"]) == {k: v for k, v in figures[key].items() if v}, key
    bands = series(found["registry.persons_by_age_band"])
    assert bands == {k: v for k, v in figures["by_age_band"].items() if v}


def test_a_street_rollup_sums_its_communities(world, town):  # noqa: F811
    with time_machine.travel(NOON, tick=False):
        street = indicators.by_key(indicators.evaluate(None, world.street, "", world.users["official"]))
    persons = street["registry.persons"]
    assert persons["value"] == 9
    assert {r["name"]: r["value"] for r in persons["children"]} == {"桃源社区": 7, "第二社区": 2}
    groups = street["registry.ethnic_groups"]  # distinct groups: not the sum of the communities' counts
    assert groups["value"] == 3 and {r["name"]: r["value"] for r in groups["children"]} == {
        "桃源社区": 3,
        "第二社区": 2,
    }


def test_a_street_official_opens_on_the_street_total_with_a_comparison_per_community(client, world, town):  # noqa: F811
    login(client, world, "official")
    with time_machine.travel(NOON, tick=False):
        html = client.get("/registry/stats/").content.decode()
    assert 'id="stat-persons">9<' in html and 'id="stat-households">3<' in html
    assert "鼓楼街道" in html
    table = html[html.index('id="stats-comparison"') :]
    rows = {
        code: [int(n) for n in re.findall(r">(\d+)<", cells)]
        for code, cells in re.findall(r'<tr data-division="(\d+)">(.*?)</tr>', table, re.S)
    }
    # households, persons, ethnic groups, minority persons, party members, branches
    assert rows == {world.a.code: [2, 7, 3, 3, 2, 1], town["c"].code: [1, 2, 2, 1, 0, 0]}
    # each community's number opens its filtered list
    assert f"community={town['c'].pk}" in table and "life_status=living" in table


def test_a_director_still_opens_on_their_community(client, world, town):  # noqa: F811
    login(client, world, "director")
    with time_machine.travel(NOON, tick=False):
        html = client.get("/registry/stats/").content.decode()
    assert 'id="stat-persons">7<' in html and 'id="stats-comparison"' not in html
