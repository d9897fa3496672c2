"""Content-Security-Policy (issue 16, finding 12): every response carries the strict policy, it can be replaced or
only reported, and the pages the policy would break — inline scripts, on*= handlers, style="" attributes, <style>
blocks, javascript: links — exist nowhere: neither in the rendered pages nor in any template."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tongxin.core.models import ImportJob, User
from tongxin.core.registry import registry

SRC = Path(__file__).resolve().parents[2] / "src" / "tongxin"
STRICT = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; object-src 'none'; "
    "base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)


class InlineFinder(HTMLParser):
    """Collects what a ``script-src 'self'; style-src 'self'`` policy refuses to run or apply."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note inline scripts, <style> blocks, style and on*= attributes and javascript: URLs."""
        values = dict(attrs)
        if tag == "script" and "src" not in values and values.get("type") != "application/json":
            self._in_script = True
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            url = name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:")
            if name == "style" or name.startswith("on") or url:
                self.found.append(f'<{tag} {name}="{value}">')

    def handle_data(self, data: str) -> None:
        """The text of an inline script."""
        if self._in_script and data.strip():
            self.found.append(f"inline <script>: {data.strip()[:60]}")

    def handle_endtag(self, tag: str) -> None:
        """Leave a script."""
        if tag == "script":
            self._in_script = False


def inline_parts(html: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(html)
    return finder.found


# --- the header --------------------------------------------------------------------------------------


def test_every_response_carries_the_strict_policy(world):
    assert settings.CSP == STRICT
    anonymous = Client()
    for url in ("/login/", "/healthz", "/no-such-page/"):
        response = anonymous.get(url)
        assert response["Content-Security-Policy"] == STRICT, url
    director = Client()
    director.force_login(world.users["director"])
    assert director.get("/").headers["Content-Security-Policy"] == STRICT
    api = Client().get("/api/v1/org/grids/", HTTP_AUTHORIZATION=f"Bearer {world.tokens['director']}")
    assert api.status_code == 200 and api["Content-Security-Policy"] == STRICT


def test_the_policy_can_be_replaced_only_reported_or_turned_off(world, settings):
    settings.CSP = "default-src 'self'"
    assert Client().get("/login/")["Content-Security-Policy"] == "default-src 'self'"
    settings.CSP_REPORT_ONLY = True
    response = Client().get("/login/")
    assert response["Content-Security-Policy-Report-Only"] == "default-src 'self'"
    assert "Content-Security-Policy" not in response
    settings.CSP = ""
    response = Client().get("/login/")
    assert "Content-Security-Policy" not in response and "Content-Security-Policy-Report-Only" not in response


# --- nothing inline: the rendered pages ----------------------------------------------------------------


def _plain_urls(resolvers=None, prefix: str = "") -> list[str]:
    """Every URL of the project without a parameter (the pages one reaches from the menu)."""
    urls = []
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = str(entry.pattern)
        if "<" in route or "(" in route or route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            urls += _plain_urls(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            urls.append("/" + prefix + route)
    return urls


SKIP = ("/logout/", "/i18n/", "/api/", "/open311/")


@pytest.fixture
def root(world):
    """A superuser (sees every page and every row)."""
    return User.objects.create_superuser(username="root", password="pw-Strong-12345", name="root")


def test_no_page_has_inline_script_or_style(world, root):
    from tests.cases.helpers import report

    case = report(world)
    job = ImportJob.objects.create(
        user=root, community=world.a, target="registry.Person", file_name="花名册.csv", status="failed", total=4
    )
    client = Client()
    client.force_login(root)
    urls = [u for u in _plain_urls() if not u.startswith(SKIP)]
    urls += [case.get_absolute_url(), job.get_absolute_url(), f"/admin/core/user/{root.pk}/change/", "/api/v1/docs"]
    for viewset in registry.all():  # a detail page of every model that has a row
        obj = viewset.model._default_manager.first()
        if obj is not None and hasattr(obj, "get_absolute_url"):
            urls.append(obj.get_absolute_url())
    checked, offending = 0, {}
    for url in urls:
        response = client.get(url)
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            continue
        checked += 1
        parts = inline_parts(response.content.decode())
        if parts:
            offending[url] = parts
    assert checked > 40, f"only {checked} pages were checked"
    assert not offending, offending
    # The report page's three screens, its messages and the progress bar's width travel as data-* attributes.
    page = client.get("/cases/report/").content.decode()
    assert 'data-duplicates-url="/cases/duplicates/"' in page and 'data-msg-locating="正在定位…"' in page
    assert 'data-tx-width="0"' in client.get(job.get_absolute_url()).content.decode()


# --- nothing inline: the templates (pages no test reaches, e.g. with photos) ------------------------------

INLINE = re.compile(
    r"""<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|javascript:"""
)


def test_no_template_has_inline_script_or_style():
    templates = [p for p in SRC.rglob("*.html") if "static" not in p.parts]
    assert len(templates) > 20
    offending = {
        str(p.relative_to(SRC)): INLINE.findall(p.read_text(encoding="utf-8"))
        for p in templates
        if INLINE.search(p.read_text(encoding="utf-8"))
    }
    assert not offending, offending
