"""The timeliness report of cases (办结时效报表): exact figures from cases made through the workflow, the
scope of the figures, the page and its form errors, the XLSX download and the ``cases-report`` command."""

from __future__ import annotations

import datetime
import io
import json
from itertools import cycle

import openpyxl
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tongxin.cases import clock, report, services
from tongxin.cases.models import Case
from tongxin.cases.report_views import add_months, last_12_months, preset_period
from tongxin.org.models import Grid

from .helpers import at, category
from .helpers import report as report_case

pytestmark = pytest.mark.django_db
D = datetime.date
OCTOBER = (D(2026, 10, 1), D(2026, 10, 31))
NOW = at("2026-10-20 10:00")


def rows(data, table, key="name"):
    """A breakdown table as {name: row}."""
    return {r[key]: r for r in data[table]}


@pytest.fixture
def scenario(world):
    """Monday 2026-10-12 09:00 in community A's grid: three same-day cases (two on time, one late and
    escalated), two within-week cases (one on time, one still open, due 10-19 18:00), one rejected case;
    and one case in community B (another street)."""
    gm, worker, director = world.users["grid_member"], world.users["worker"], world.users["director"]
    cases = {}
    with time_machine.travel(at("2026-10-12 09:00"), tick=False):
        for key, code in (("s1", "sanitation"), ("s2", "sanitation"), ("s3", "sanitation-waste")):
            cases[key] = report_case(world, code=code)
            services.assign(director, cases[key], gm)
        for key in ("w1", "w2"):
            cases[key] = report_case(world, code="livelihood")
            services.assign(director, cases[key], worker)
        cases["r1"] = report_case(world)
        services.reject(director, cases["r1"], "不属于社区职责")
        cases["b"] = services.report(
            world.users["director_b"],
            community=world.b,
            grid=world.grid_b,
            category=category("sanitation"),
            description="B社区的垃圾",
        )
    with time_machine.travel(at("2026-10-12 10:30"), tick=False):
        services.resolve(gm, cases["s1"], "已清运")  # 90 working minutes, on time
        services.close(director, cases["s1"], "核实无误")
        services.follow_up(director, cases["s1"], 5)
    with time_machine.travel(at("2026-10-12 11:00"), tick=False):
        services.resolve(gm, cases["s2"], "已清运")  # 120 minutes, on time
        services.follow_up(director, cases["s2"], 4)
    with time_machine.travel(at("2026-10-12 19:00"), tick=False):
        clock.tick(at("2026-10-12 19:00"))  # s3 is overdue: escalated to the community
    cases["s3"].refresh_from_db()  # the steps save the whole object: do not write back the old level
    with time_machine.travel(at("2026-10-13 10:00"), tick=False):
        services.resolve(gm, cases["s3"], "已清运")  # 390 + 60 = 450 minutes, late
        services.follow_up(director, cases["s3"], 2, "太慢了")
    with time_machine.travel(at("2026-10-14 09:00"), tick=False):
        services.resolve(worker, cases["w1"], "已办理")  # 390 + 390 = 780 minutes, on time
    for case in cases.values():
        case.refresh_from_db()
    assert cases["s3"].level == Case.Level.COMMUNITY and cases["w2"].due_at == at("2026-10-19 18:00")
    return cases


def test_the_figures_of_a_community(world, scenario):
    data = report.timeliness(world.users["director"], world.a, *OCTOBER, now=NOW)
    json.dumps(data)  # serialisable as it is
    assert data["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    assert data["division"]["code"] == "530103002001" and data["division"]["name"] == "桃源社区"
    assert data["total"] == 6 and data["counted"] == 5 and data["rejected"] == 1 and data["merged"] == 0
    assert {r["kind"]: r["cases"] for r in data["by_kind"]} == {"event": 4, "request": 2, "dispute": 0}
    assert {r["group"]: r["cases"] for r in data["by_status"]} == {"open": 1, "resolved": 4, "rejected": 1, "merged": 0}
    same_day, week = data["same_day"], data["within_week"]
    assert (same_day["cases"], same_day["resolved"], same_day["resolved_on_time"]) == (3, 3, 2)
    assert same_day["on_time_rate"] == 66.7 and same_day["overdue_open"] == 0 and same_day["median_hours"] == 2.0
    assert (week["cases"], week["resolved"], week["resolved_on_time"]) == (2, 1, 1)
    assert week["on_time_rate"] == 100.0 and week["overdue_open"] == 1 and week["median_hours"] == 13.0
    assert data["on_time_rate"] == 75.0
    # 1.5, 2, 7.5 and 13 working hours
    assert data["median_hours"] == 4.8 and data["mean_hours"] == 6.0
    assert data["overdue"] == 2 and data["resolved_late"] == 1 and data["overdue_open"] == 1
    assert data["escalated"] == 1
    assert data["satisfaction"] == {"rated": 3, "average": 3.67, "high_share": 66.7}
    assert data["by_community"] == []  # a community: no roll-up table

    grid = rows(data, "by_grid")["A一网格"]
    assert (grid["cases"], grid["resolved"], grid["on_time_rate"], grid["median_hours"], grid["overdue"]) == (
        5,
        4,
        75.0,
        4.8,
        2,
    )
    people = rows(data, "by_assignee")
    assert [r["name"] for r in data["by_assignee"]] == ["grid_member", "worker"]
    gm, worker = people["grid_member"], people["worker"]
    assert (gm["cases"], gm["resolved"], gm["on_time_rate"], gm["median_hours"], gm["overdue"]) == (3, 3, 66.7, 2.0, 1)
    assert (worker["cases"], worker["resolved"], worker["on_time_rate"], worker["median_hours"], worker["overdue"]) == (
        2,
        1,
        100.0,
        13.0,
        1,
    )

    cats = rows(data, "by_category", "code")
    assert set(cats) == {"sanitation", "sanitation-waste", "livelihood"}
    assert cats["sanitation"]["cases"] == 2 and cats["sanitation"]["on_time_rate"] == 100.0
    assert cats["sanitation-waste"]["parent"] == "环境卫生" and cats["sanitation-waste"]["overdue"] == 1
    assert cats["sanitation-waste"]["tier"] == "same_day" and cats["livelihood"]["tier"] == "within_week"
    top = rows(data, "by_top_category", "code")
    assert top["sanitation"]["cases"] == 3 and top["sanitation"]["on_time_rate"] == 66.7


def test_overdue_depends_on_now_and_suspended_cases_are_not_overdue(world, scenario):
    before = report.timeliness(world.users["director"], world.a, *OCTOBER, now=at("2026-10-19 17:00"))
    assert before["within_week"]["overdue_open"] == 0 and before["overdue"] == 1
    with time_machine.travel(at("2026-10-15 09:00"), tick=False):
        services.suspend(world.users["worker"], scenario["w2"], "等待居民补充材料")
    data = report.timeliness(world.users["director"], world.a, *OCTOBER, now=NOW)
    assert data["overdue_open"] == 0 and data["by_status"][0]["cases"] == 1


def test_scope_community_director_and_street_official(world, scenario):
    director = report.timeliness(world.users["director"], world.county, *OCTOBER, now=NOW)
    assert director["total"] == 6  # the case in B is not the director's
    assert [r["name"] for r in director["by_community"]] == ["桃源社区"]
    other = report.timeliness(world.users["director_b"], world.county, *OCTOBER, now=NOW)
    assert other["total"] == 1
    official = report.timeliness(world.users["official"], world.street, *OCTOBER, now=NOW)
    assert official["total"] == 6 and official["on_time_rate"] == 75.0
    assert rows(official, "by_community")["桃源社区"]["cases"] == 5
    county = report.timeliness(world.users["admin"], world.county, *OCTOBER, now=NOW)
    assert county["total"] == 7 and set(rows(county, "by_community")) == {"桃源社区", "其他社区"}
    # no scoping user: nothing, unless the caller says so explicitly
    assert report.timeliness(None, world.county, *OCTOBER, now=NOW)["total"] == 0
    assert report.timeliness(None, world.county, *OCTOBER, now=NOW, unscoped=True)["total"] == 7


def test_period_is_by_local_reporting_date(world):
    with time_machine.travel(at("2026-10-12 09:00"), tick=False):
        report_case(world, reported_at=at("2026-09-30 23:59"))
        report_case(world, reported_at=at("2026-10-01 00:30"))  # still 09-30 in UTC
    director = world.users["director"]
    assert report.timeliness(director, world.a, D(2026, 10, 1), D(2026, 10, 1))["total"] == 1
    assert report.timeliness(director, world.a, D(2026, 9, 30), D(2026, 9, 30))["total"] == 1
    empty = report.timeliness(director, world.a, D(2026, 11, 1), D(2026, 11, 30))
    assert empty["total"] == 0 and empty["on_time_rate"] is None and empty["median_hours"] is None
    assert empty["satisfaction"] == {"rated": 0, "average": None, "high_share": None}


def test_periods_and_rounding():
    today = D(2026, 5, 15)
    assert preset_period("this_month", today) == (D(2026, 5, 1), today)
    assert preset_period("last_month", today) == (D(2026, 4, 1), D(2026, 4, 30))
    assert preset_period("this_quarter", today) == (D(2026, 4, 1), today)
    assert preset_period("this_year", today) == (D(2026, 1, 1), today)
    assert preset_period("last_12_months", today) == (D(2025, 5, 15), D(2026, 5, 14))
    assert preset_period("last_month", D(2026, 1, 10)) == (D(2025, 12, 1), D(2025, 12, 31))
    assert last_12_months(D(2024, 3, 1)) == (D(2023, 3, 1), D(2024, 2, 29))
    assert add_months(D(2026, 3, 31), -1) == D(2026, 2, 28)
    assert report.round_half_up(2.25) == 2.3 and report.percent(2, 3) == 66.7 and report.percent(1, 0) is None


# -- the page and the download ---------------------------------------------------------------------------


def url(name="cases:timeliness", **params):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return reverse(name) + (f"?{query}" if query else "")


def test_page_for_director_and_official_and_403_for_nobody(client, world, scenario):
    client.force_login(world.users["director"])
    response = client.get(url(start="2026-10-01", end="2026-10-31"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "办结时效报表" in html and "桃源社区" in html and "66.7%" in html and "75.0%" in html
    assert 'id="timeliness-xlsx"' in html and "table-assignee" in html and "table-community" not in html
    assert 'value="530103003001"' not in html  # community B is not offered

    client.force_login(world.users["official"])
    response = client.get(url(division=world.street.code, start="2026-10-01", end="2026-10-31"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "table-community" in html and "桃源社区" in html and "鼓楼街道" in html
    # the default division is the widest in scope, the default period this month
    response = client.get(url())
    assert response.status_code == 200 and response.context["data"]["division"]["code"] == world.street.code

    client.force_login(world.users["official_view"])
    response = client.get(url(start="2026-10-01", end="2026-10-31"))
    assert response.status_code == 200 and 'id="timeliness-xlsx"' not in response.content.decode()

    client.force_login(world.users["nobody"])
    assert client.get(url()).status_code == 403
    assert client.get(url("cases:timeliness_xlsx")).status_code == 403
    client.logout()
    assert client.get(url()).status_code == 302


def test_form_errors_name_the_field_and_the_value(client, world):
    client.force_login(world.users["director"])
    response = client.get(url(start="2026-13-01", end="2026-10-31"))
    assert response.status_code == 400
    assert "开始日期“2026-13-01”不是有效的日期" in response.content.decode()
    response = client.get(url(start="2026-10-31", end="2026-10-01"))
    assert response.status_code == 400 and "结束日期“2026-10-01”早于开始日期“2026-10-31”" in response.content.decode()
    response = client.get(url(start="2026-10-01"))
    assert response.status_code == 400 and "自定义期间请填写结束日期" in response.content.decode()
    response = client.get(url(division=world.b.code))
    assert response.status_code == 400
    assert "区划“530103003001”不存在或不在您的管辖范围内" in response.content.decode()
    response = client.get(url(period="someday"))
    assert response.status_code == 400 and "期间“someday”无效" in response.content.decode()
    response = client.get(url("cases:timeliness_xlsx", start="bad"))
    assert response.status_code == 400 and "开始日期“bad”不是有效的日期" in response.content.decode()


def test_xlsx_download(client, world, scenario):
    client.force_login(world.users["official"])
    october = {"start": "2026-10-01", "end": "2026-10-31"}
    response = client.get(url("cases:timeliness_xlsx", division=world.street.code, **october))
    assert response.status_code == 200 and response.content.startswith(b"PK")
    disposition = response["Content-Disposition"]
    assert "filename*=UTF-8''" in disposition and "%E5%8A%9E%E7%BB%93" in disposition  # 办结…
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == ["汇总", "按分类", "按社区", "按网格", "按承办人"]
    summary = {row[0].value: row[1] for row in wb["汇总"].iter_rows(min_row=2)}
    assert summary["上报总数"].value == 6
    assert summary["按时办结率"].value == 0.75 and summary["按时办结率"].number_format == "0.0%"
    assert summary["当天办结类：按时办结率"].value == 0.667
    assert summary["中位办理时长（工作小时）"].value == 4.8
    assert "鼓楼街道" in summary["统计区划"].value and "2026-10-01" in summary["统计期间"].value
    assert wb["汇总"]["A1"].font.bold and wb["汇总"].column_dimensions["A"].width > 10
    grid = wb["按网格"]
    assert [c.value for c in grid[1]][:3] == ["社区", "网格编号", "网格"]
    assert [c.value for c in grid[2]][:5] == ["桃源社区", "A01", "A一网格", 5, 4]
    people = {r[0].value: r for r in wb["按承办人"].iter_rows(min_row=2)}
    assert people["grid_member"][4].value == pytest.approx(0.667) and people["grid_member"][4].number_format == "0.0%"
    text = " ".join(str(c.value) for ws in wb for row in ws.iter_rows() for c in row if c.value is not None)
    assert "桃源社区3栋门口" not in text and "垃圾堆放" not in text  # no addresses, descriptions, reporters

    client.force_login(world.users["director"])
    response = client.get(url("cases:timeliness_xlsx", start="2026-10-01", end="2026-10-31"))
    wb = openpyxl.load_workbook(io.BytesIO(response.content))
    assert "按社区" not in wb.sheetnames  # a community: no roll-up sheet

    client.force_login(world.users["official_view"])  # view only, no export
    assert client.get(url("cases:timeliness_xlsx", start="2026-10-01", end="2026-10-31")).status_code == 403


def _more_cases(world, n):
    """``n`` more cases in October spread over two grids, three assignees, four categories and statuses."""
    grid2 = Grid.objects.get_or_create(community=world.a, code="A02", defaults={"name": "A二网格"})[0]
    director = world.users["director"]
    people = cycle([world.users["grid_member"], world.users["worker"], director])
    codes = cycle(["sanitation", "livelihood", "property", "policy"])
    grids = cycle([world.grid_a, grid2])
    with time_machine.travel(at("2026-10-13 09:00"), tick=False):
        for i in range(n):
            grid = next(grids)
            case = report_case(world, user_key="director", code=next(codes), grid=grid)
            if i % 3 == 2:
                services.reject(director, case, "重复")
                continue
            who = next(people)
            services.assign(director, case, who)
            if i % 3 == 0:
                services.resolve(who, case, "已办理")


def test_page_query_count_does_not_grow_with_the_cases(client, world):
    _more_cases(world, 3)
    client.force_login(world.users["official"])
    target = url(division=world.street.code, start="2026-10-01", end="2026-10-31")
    with CaptureQueriesContext(connection) as few:
        assert client.get(target).status_code == 200
    _more_cases(world, 9)
    with CaptureQueriesContext(connection) as many:
        response = client.get(target)
    assert response.context["data"]["total"] == 12 and len(response.context["data"]["by_grid"]) == 2
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(few.captured_queries) <= 12


# -- the command ------------------------------------------------------------------------------------------------


def test_command_prints_json_last_and_writes_the_workbook(world, scenario, tmp_path):
    out = io.StringIO()
    target = tmp_path / "report.xlsx"
    args = ("--division", world.street.code, "--from", "2026-10-01", "--to", "2026-10-31", "--xlsx", str(target))
    call_command("cases_report", *args, stdout=out)
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    assert data["total"] == 6 and data["division"]["code"] == world.street.code
    assert data["same_day"]["on_time_rate"] == 66.7
    wb = openpyxl.load_workbook(target)
    summary = {row[0].value: row[1].value for row in wb["汇总"].iter_rows(min_row=2)}
    assert summary["上报总数"] == 6 and summary["按时办结率"] == 0.75
    # unscoped: the county holds both communities
    out = io.StringIO()
    call_command("cases_report", "--division", world.county.code, *args[2:6], stdout=out)
    assert json.loads(out.getvalue().strip().splitlines()[-1])["total"] == 7


def test_command_default_period_and_errors(world):
    out = io.StringIO()
    with time_machine.travel(at("2026-10-21 08:00"), tick=False):
        call_command("cases_report", "--division", world.a.code, stdout=out)
    data = json.loads(out.getvalue().strip().splitlines()[-1])
    assert data["period"] == {"start": "2025-10-21", "end": "2026-10-20"} and data["total"] == 0
    with pytest.raises(CommandError, match="区划代码“999”不存在"):
        call_command("cases_report", "--division", "999", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--from 的日期“2026-02-30”无效"):
        call_command("cases_report", "--division", world.a.code, "--from", "2026-02-30", stdout=io.StringIO())
    with pytest.raises(CommandError, match="晚于结束日期"):
        args = ("--division", world.a.code, "--from", "2026-10-02", "--to", "2026-10-01")
        call_command("cases_report", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_cases_without_a_grid_stay_apart_per_community_in_a_rollup(world):
    import datetime

    from tongxin.cases import report as rep
    from tongxin.cases import services
    from tongxin.cases.models import Category
    from tongxin.core.models import User
    from tongxin.org.models import RoleAssignment

    admin = User.objects.create_user("rollup_admin", is_superuser=True)
    cat = Category.objects.get(code="policy", community__isnull=True)
    import time_machine

    from .helpers import at

    with time_machine.travel(at("2026-09-24 10:00"), tick=False):
        for community in (world.a, world.b):
            services.report(admin, community=community, category=cat, description="咨询")
        data = rep.timeliness(admin, world.county, datetime.date(2026, 9, 1), datetime.date(2026, 9, 30))
    assert RoleAssignment.objects.exists()
    no_grid = [r for r in data["by_grid"] if r["code"] == ""]
    assert sorted(r["community"] for r in no_grid) == sorted([world.a.name, world.b.name])
