"""Content-Security-Policy in a real browser (issue 16, finding 12): clicking through the main pages — login,
home, lists with their select-all box, details with the htmx reveal, forms, selects that submit themselves, an
import's progress bar, the API docs, the Django admin and, at phone width, the three screens of the event report
with a photo preview and the phone's position — Chromium reports no violation of the strict policy and no
script error, while the same watcher does catch an injected inline style."""

from __future__ import annotations

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import PASSWORD, login, screenshot

pytestmark = pytest.mark.browser

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.effectiveDirective + " blocked " + (e.blockedURI || "inline") + " at " +
                    (e.sourceFile || document.location.pathname) + ":" + e.lineNumber);
});
"""


class Watcher:
    """Collects, per browser context, every CSP violation (DOM events and console reports) and script error."""

    def __init__(self, context) -> None:
        self.violations: list[str] = []
        self.errors: list[str] = []
        context.add_init_script(WATCH)
        context.on("console", self._console)
        context.on("weberror", lambda err: self.errors.append(str(err.error)))

    def _console(self, msg) -> None:
        if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text:
            self.violations.append(f"console: {msg.text[:200]}")

    def visit(self, page, url: str) -> None:
        """Open ``url``, check it carries the policy, and collect what it reported."""
        response = page.goto(url)
        assert response is not None and response.ok, url
        assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url
        self.collect(page)

    def collect(self, page) -> None:
        """Move the violations the current document has seen so far into the list (and clear them there)."""
        page.wait_for_load_state("load")
        self.violations += page.evaluate("window.__csp.splice(0)")

    def assert_clean(self, page) -> None:
        self.collect(page)
        assert not self.violations, "\n".join(self.violations)
        assert not self.errors, "\n".join(self.errors)


def _switch(page, username: str) -> None:
    page.context.clear_cookies()
    login(page, username)


def test_main_pages_report_no_csp_violation(browser, live_server, world_live, tmp_path):
    from tests.registry.helpers import base_rows, run_import, write
    from tongxin.core.models import ImportJob, User
    from tongxin.org.models import Grid
    from tongxin.registry.models import Person

    root = User.objects.create_superuser(username="root", password=PASSWORD, name="root")
    run_import(write(tmp_path, "register.csv", base_rows()))
    job = ImportJob.objects.create(
        user=root, community=world_live.a, target="registry.Person", file_name="register.csv", status="failed"
    )
    ImportJob.objects.filter(pk=job.pk).update(total=4, processed=2, error="测试：第 3 行后中断")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.set_default_timeout(5_000)
    watcher = Watcher(context)
    page = context.new_page()
    try:
        # The watcher works: an injected style="" attribute is refused and reported.
        watcher.visit(page, "/login/")
        page.evaluate("document.body.insertAdjacentHTML('beforeend', '<div id=\"probe\" style=\"color: red\">x</div>')")
        page.wait_for_function("window.__csp.length > 0")
        assert page.evaluate("getComputedStyle(document.getElementById('probe')).color") != "rgb(255, 0, 0)"
        assert "style-src-attr" in page.evaluate("window.__csp.splice(0)")[0]
        watcher.violations.clear()

        login(page, "director")
        watcher.collect(page)
        for url in ("/", "/org/grids/add/", f"/org/grids/{Grid.objects.get(code='A01').pk}/", "/registry/households/"):
            watcher.visit(page, url)
        watcher.visit(page, "/registry/persons/")
        page.locator("th input[data-select-all]").check()  # the select-all box, wired from tongxin.js
        boxes = page.locator("tbody input[name=pk]")
        expect(boxes.first).to_be_checked()
        assert boxes.count() == 4 and all(b.is_checked() for b in boxes.all())
        watcher.visit(page, Person.objects.order_by("pk").first().get_absolute_url())
        if page.locator("#reveal-button").count():  # the htmx POST with the CSRF header from hx-headers
            with page.expect_response(re.compile(r"/reveal/?")) as revealed:
                page.locator("#reveal-button").click()
            assert revealed.value.ok
        watcher.collect(page)

        # A superuser: selects that submit themselves, the board, a progress bar, the API docs, the admin.
        _switch(page, "root")
        watcher.visit(page, "/calendar/")
        page.locator("select[data-autosubmit]").select_option(label="其他社区")
        page.wait_for_url(re.compile(rf"division={world_live.b.pk}"))
        watcher.visit(page, "/registry/stats/")
        page.locator("select[data-autosubmit]").select_option(value=world_live.a.code)
        page.wait_for_url(re.compile(rf"division={world_live.a.code}"))
        watcher.visit(page, "/cases/board/")
        watcher.visit(page, job.get_absolute_url())
        assert page.locator("#import-job .progress-bar").evaluate("e => e.style.width") == "50%"
        watcher.visit(page, "/api/v1/docs")
        expect(page.locator(".swagger-ui .info .title")).to_contain_text("同心 Tongxin API", timeout=10_000)
        watcher.collect(page)
        page.context.clear_cookies()
        watcher.visit(page, "/admin/login/")
        page.fill("#id_username", "root")
        page.fill("#id_password", PASSWORD)
        page.locator("input[type=submit]").click()
        page.wait_for_url(re.compile(r"/admin/$"))
        for url in ("/admin/", "/admin/core/user/", f"/admin/core/user/{root.pk}/change/", "/admin/core/holiday/add/"):
            watcher.visit(page, url)
        page.locator("#changelist-form, #holiday_form").first.wait_for()
        screenshot(page, "csp-admin")
        watcher.assert_clean(page)
    finally:
        context.close()


def test_phone_report_reports_no_csp_violation(browser, live_server, world_live, tmp_path):
    """The report page's script now lives in tongxin.js: its three screens, the photo preview (a blob: image), the
    duplicates (htmx) and the position, with messages from data-* attributes, all under the policy."""
    from tests.cases.helpers import report
    from tongxin.cases.defaults import load_default_categories

    load_default_categories()  # a flush between transactional tests may have dropped them
    report(world_live, address="桃源社区3栋门口")  # an open case at the same place: the duplicates panel shows it
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 375, "height": 812},
        locale="zh-CN",
        geolocation={"latitude": 25.04, "longitude": 102.71, "accuracy": 12},
        permissions=["geolocation"],
    )
    context.set_default_timeout(5_000)
    watcher = Watcher(context)
    page = context.new_page()
    photo = tmp_path / "p.jpg"
    Image.new("RGB", (1600, 1200), (150, 120, 90)).save(photo, "JPEG")
    try:
        login(page, "grid_member")
        watcher.visit(page, "/cases/report/")
        page.get_by_label("环境卫生").check()
        page.locator("[data-screen='1'] [data-next='2']").click()
        expect(page.locator("[data-screen='2']")).to_be_visible()
        page.locator("input[name=photos]").set_input_files(str(photo))
        expect(page.locator("#photo-preview img")).to_have_count(1)
        page.fill("#id_description", "3栋门口垃圾桶满溢")
        page.locator("[data-screen='2'] [data-next='3']").click()
        expect(page.locator("[data-screen='3']")).to_be_visible()
        page.fill("#id_address", "桃源社区3栋门口")
        page.locator("#locate").click()
        expect(page.locator("#locate-status")).to_have_text(re.compile(r"^已定位 25\.040000, 102\.710000 \(±12 m\)$"))
        expect(page.locator("#duplicate-list")).to_be_visible()
        screenshot(page, "csp-report-phone")
        watcher.assert_clean(page)
    finally:
        context.close()
