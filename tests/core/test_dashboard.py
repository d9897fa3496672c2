"""Dashboards (issue 17): the director's home shows the community's figures and charts, the street official's home
the street's total with a comparison of its communities (worst on-time rate first); every number and every chart
element drills down to the filtered list behind it, and that list holds as many rows as the number says."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.cases.test_report import NOW, scenario  # noqa: F401 - the cases of the report's tests
from tests.registry.test_services_stats import town  # noqa: F401 - the small register of the statistics tests
from tongxin.core import dashboard, indicators

pytestmark = pytest.mark.django_db


def get(client, world, key, url="/"):
    client.force_login(world.users[key])
    with time_machine.travel(NOW, tick=False):
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return response


def charts(html: str) -> dict[str, dict]:
    """The chart specs of a page by key (the JSON the chart script draws)."""
    found = re.findall(r'<script id="chart-data-([\w-]+)" type="application/json">(.*?)</script>', html, re.S)
    return {key: json.loads(text) for key, text in found}


def figure(html: str, key: str) -> tuple[str, str]:
    """A headline figure's value and link."""
    m = re.search(rf'<a [^>]*href="([^"]*)" data-figure="{re.escape(key)}">([^<]*)</a>', html)
    assert m, key
    return m[2], unescape(m[1])


def list_count(client, url: str) -> int:
    """How many rows the list behind a link holds (the count beside its title)."""
    with time_machine.travel(NOW, tick=False):
        html = client.get(url).content.decode()
    m = re.search(r'id="total-count">([\d,]+)<', html)
    assert m, url
    return int(m[1].replace(",", ""))


def test_the_director_sees_the_community_figures_and_charts_and_each_drills_down(client, world, town, scenario):  # noqa: F811
    html = get(client, world, "director").content.decode()
    assert 'id="dashboard"' in html and 'data-level="community"' in html
    assert "dashboard-comparison" not in html  # one community: nothing below it to compare
    persons, url = figure(html, "registry.persons")
    assert persons == "7" and f"community={world.a.pk}" in url and list_count(client, url) == 7
    cases, url = figure(html, "cases.cases")
    assert cases == "6" and list_count(client, url) == 6
    rate, _url = figure(html, "cases.on_time_rate")
    assert rate == "75.0"  # 3 of the 4 resolved cases
    overdue, url = figure(html, "cases.overdue_open")
    assert overdue == "1" and list_count(client, url) == 1

    specs = charts(html)
    assert set(specs) >= {"pyramid", "ethnicity", "registration", "cases_by_month", "cases_by_grid"}
    pyramid = specs["pyramid"]
    assert pyramid["type"] == "pyramid" and [s["name"] for s in pyramid["series"]] == ["男", "女"]
    men, women = pyramid["series"]
    # every person with a birth date is on one side (庚 has none; the pyramid counts men and women)
    assert sum(men["values"]) + sum(women["values"]) == 6
    for side in (men, women):
        for value, link in zip(side["values"], side["urls"], strict=True):
            if value:
                assert "age_band=" in link and list_count(client, link) == value
    months = specs["cases_by_month"]
    assert months["categories"][0] == "2025-11" and months["categories"][-1] == "2026-10"  # the last 12 months
    bars, line = months["series"]
    assert bars["values"][-1] == 6 and sum(bars["values"]) == 6 and line["values"][-1] == 75.0
    assert line["values"][0] is None  # no case resolved in 2025-11: no rate, not 0 %
    assert "reported_after=2026-10-01" in bars["urls"][-1] and list_count(client, bars["urls"][-1]) == 6
    grids = specs["cases_by_grid"]
    assert grids["categories"] == ["A一网格"]
    open_, overdue = grids["series"]
    assert open_["values"] == [1] and overdue["values"] == [1]
    assert f"grid={world.grid_a.pk}" in open_["urls"][0] and list_count(client, open_["urls"][0]) == 1
    # the same figures as a table (accessibility, and what is seen without scripts), with the same links
    table = html[html.index('id="chart-pyramid"') : html.index("</figure>", html.index('id="chart-pyramid"'))]
    assert "<table" in table and men["urls"][1].replace("&", "&amp;") in table


def test_the_street_official_sees_the_total_and_each_community_worst_on_time_first(client, world, town, scenario):  # noqa: F811
    html = get(client, world, "official").content.decode()
    assert 'data-level="street"' in html and "鼓楼街道" in html
    persons, _url = figure(html, "registry.persons")
    table = html[html.index('id="dashboard-comparison"') : html.index("</table>", html.index("dashboard-comparison"))]
    rows = re.findall(r'<tr data-division="(\d+)">(.*?)</tr>', table, re.S)
    assert [code for code, _cells in rows] == [world.a.code, town["c"].code]  # C has no rate: last
    values = {code: re.findall(r">([\d.—]+)<", cells) for code, cells in rows}
    # persons, households, cases, on-time rate, overdue open, satisfaction
    assert values[world.a.code][:5] == ["7", "2", "6", "75.0", "1"]
    assert values[town["c"].code][:5] == ["2", "1", "0", "—", "0"]
    assert int(persons) == 7 + 2  # the street total is the sum of its communities
    assert f'data-total="registry.persons">{persons}<' in table
    # a community's name opens its own dashboard, its numbers their lists
    assert f"/core/dashboard/?division={world.a.code}" in table
    assert f"community={town['c'].pk}" in table
    specs = charts(html)
    by_division = specs["persons_by_division"]
    assert by_division["categories"] == ["桃源社区", "第二社区"] and by_division["series"][0]["values"] == [7, 2]
    link = by_division["series"][0]["urls"][1]
    assert f"community={town['c'].pk}" in link and list_count(client, link) == 2
    on_time = specs["on_time_by_division"]
    assert on_time["series"][0]["values"] == [75.0, None]
    assert "cases_by_grid" not in specs  # grids are a community's chart
    assert "community B" not in html and world.b.name not in table  # another street's community is not there


def test_a_county_row_is_a_street_that_opens_its_dashboard(client, world, town, scenario):  # noqa: F811
    with time_machine.travel(NOW, tick=False):
        board = dashboard.build(world.users["admin"], world.county, dashboard.default_period(NOW.date()), now=NOW)
    rows = {r["name"]: r for r in board["rows"]}
    assert set(rows) == {"鼓楼街道", "东华街道"}
    assert rows["鼓楼街道"]["url"].startswith("/core/dashboard/?division=" + world.street.code)
    assert all(not cell["url"] for cell in rows["鼓楼街道"]["cells"])  # the lists have no street filter
    persons = board["columns"].index(next(c for c in board["columns"] if c["key"] == "registry.persons"))
    assert sum(r["cells"][persons]["value"] for r in board["rows"]) == board["totals"][persons]["value"] == 12
    response = get(client, world, "admin", rows["鼓楼街道"]["url"])
    assert 'data-level="street"' in response.content.decode()


def test_a_grid_member_gets_the_launcher_and_no_dashboard_nor_its_scripts(client, world, town, scenario):  # noqa: F811
    html = get(client, world, "grid_member").content.decode()
    assert 'id="dashboard"' not in html and "echarts" not in html
    assert 'id="launcher"' in html


def test_the_dashboard_page_chooses_a_division_and_a_period_in_scope(client, world, town, scenario):  # noqa: F811
    html = get(client, world, "official", "/").content.decode()
    assert 'href="/core/dashboard/"' in html  # reached by clicking from home
    page = get(client, world, "official", f"/core/dashboard/?division={world.a.code}&period=2026-10").content
    html = page.decode()
    assert 'data-level="community"' in html and "2026-10-01 至 2026-10-31" in html
    assert figure(html, "cases.cases")[0] == "6"
    assert charts(html)["cases_by_month"]["categories"] == ["2026-10"]
    client.force_login(world.users["official"])
    with time_machine.travel(NOW, tick=False):
        assert client.get(f"/core/dashboard/?division={world.b.code}").status_code == 404  # another street
        bad = client.get("/core/dashboard/?period=2026-13")
        assert "期间“2026-13”无效" in bad.content.decode()
        client.force_login(world.users["nobody"])
        assert client.get("/core/dashboard/").status_code == 403


def test_the_pages_carry_no_inline_script_and_load_the_vendored_charts(client, world, town, scenario):  # noqa: F811
    html = get(client, world, "director").content.decode()
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or "src=" in tag, tag
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/tongxin/charts.js" in html
    assert " on" + "click=" not in html and "style=" not in html.split('id="dashboard"', 1)[1]


def test_the_home_dashboard_runs_a_bounded_number_of_queries(client, world, town, scenario):  # noqa: F811
    client.force_login(world.users["official"])
    with time_machine.travel(NOW, tick=False):
        client.get("/")  # warm: sessions, content types, code tables
        indicators.invalidate()
        with CaptureQueriesContext(connection) as cold:
            assert client.get("/").status_code == 200
        with CaptureQueriesContext(connection) as cached:
            assert client.get("/").status_code == 200
    assert len(cold) <= 60, [q["sql"][:120] for q in cold]
    assert len(cached) <= len(cold) - 10  # the figures come from the cache
