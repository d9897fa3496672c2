"""The street official's dashboard in a real browser (issue 17, acceptance): the street total equals the sum of its
communities, the charts render (canvas) with no script error and no CSP violation, clicking a community's bar
opens that community's filtered list, the table view and the PNG download work, and at phone width the charts
stack."""

from __future__ import annotations

import datetime

import pytest

from tests.browser.conftest import _new_page, login, screenshot
from tests.browser.test_csp import Watcher
from tongxin.org.models import Division
from tongxin.registry.models import Person

pytestmark = pytest.mark.browser


def _street(world) -> Division:
    """Community A with 5 living persons, a second community C of the same street with 3 (one deceased, not
    counted), and community B of another street with 4 (not on the street's dashboard)."""
    c = Division.objects.create(code="530103002002", name="第二社区", level="community", parent=world.street)
    for i in range(5):
        born = datetime.date(1960 + i, 1, 1)
        Person.objects.create(community=world.a, name=f"甲{i}", sex="12"[i % 2], birth_date=born)
    for i in range(3):
        Person.objects.create(community=c, name=f"丙{i}", sex="1", birth_date=datetime.date(1990, 1, 1))
    Person.objects.create(community=c, name="故", sex="1", life_status="deceased")
    for i in range(4):
        Person.objects.create(community=world.b, name=f"乙{i}", sex="2")
    return c


def _bar_point(page, chart_id: str, index: int) -> tuple[float, float]:
    """The page coordinates of the middle of bar ``index`` of a chart's first series."""
    box = page.locator(f"#{chart_id} [data-chart]").bounding_box()
    x, y = page.evaluate(
        """([id, i]) => {
            const el = document.querySelector('#' + id + ' [data-chart]');
            const chart = echarts.getInstanceByDom(el);
            const option = chart.getOption();
            const value = option.series[0].data[i];
            const horizontal = option.yAxis[0].type === 'category';
            return chart.convertToPixel({seriesIndex: 0}, horizontal ? [value / 2, i] : [i, value / 2]);
        }""",
        [chart_id, index],
    )
    return box["x"] + x, box["y"] + y


def test_the_street_dashboard_sums_its_communities_draws_and_drills_down(browser, live_server, world_live):
    world = world_live
    c = _street(world)
    context, page = _new_page(browser, live_server, 1280, 900)
    watcher = Watcher(context)
    try:
        login(page, "official")
        watcher.collect(page)
        total = int(page.locator('[data-figure="registry.persons"]').inner_text())
        rows = page.locator("#dashboard-comparison tbody tr")
        assert rows.count() == 2
        per_community = [int(rows.nth(i).locator("td").first.inner_text()) for i in range(rows.count())]
        assert total == sum(per_community) == 5 + 3
        # the chart is drawn (a canvas), its table hidden behind the 表格 button
        chart = page.locator("#chart-persons_by_division")
        assert chart.locator("canvas").count() >= 1
        assert chart.locator(".tx-chart-table").is_hidden()
        chart.locator("[data-chart-toggle]").click()
        assert chart.locator(".tx-chart-table").is_visible() and chart.locator("[data-chart]").is_hidden()
        chart.locator("[data-chart-toggle]").click()
        assert chart.locator("[data-chart]").is_visible()
        with page.expect_download() as download:
            chart.locator("[data-chart-png]").click()
        assert download.value.suggested_filename.endswith(".png")
        screenshot(page, "dashboard-street")
        watcher.assert_clean(page)
        # clicking the second community's bar opens that community's list
        names = page.evaluate(
            "echarts.getInstanceByDom(document.querySelector('#chart-persons_by_division [data-chart]'))"
            ".getOption().yAxis[0].data || []"
        ) or page.evaluate(
            "echarts.getInstanceByDom(document.querySelector('#chart-persons_by_division [data-chart]'))"
            ".getOption().xAxis[0].data"
        )
        index = names.index("第二社区")
        x, y = _bar_point(page, "chart-persons_by_division", index)
        page.mouse.click(x, y)
        page.wait_for_url(f"**/registry/persons/?*community={c.pk}*")
        assert page.locator("#total-count").inner_text() == "3"
        watcher.assert_clean(page)
    finally:
        context.close()


def test_the_dashboard_stacks_its_charts_at_phone_width(browser, live_server, world_live):
    _street(world_live)
    context, page = _new_page(browser, live_server, 390, 844)
    watcher = Watcher(context)
    try:
        login(page, "official")
        boxes = [b.bounding_box() for b in page.locator("[data-chart-box]").all()]
        assert len(boxes) >= 3
        assert len({round(b["x"]) for b in boxes}) == 1  # one column
        assert all(b["width"] <= 390 for b in boxes)
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        screenshot(page, "dashboard-street-phone")
        watcher.assert_clean(page)
    finally:
        context.close()
