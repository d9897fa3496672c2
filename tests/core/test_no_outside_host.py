"""The platform works without internet (issue 17, defect 4; DESIGN rule 8): no page a user opens and no static file
refers to another host — ``/api/v1/docs`` is django-ninja's Swagger UI from its own bundled files, not a CDN.

Allowed: URLs inside licence comments and licence files of vendored libraries, XML namespace names (``xmlns``:
identifiers, never fetched) and the site's own address. One exception is named: Bootstrap's bundle throws an error
that links Popper's documentation if Popper is missing (it is bundled, so the error never happens; the vendored file
stays byte for byte as released)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, reverse

from tongxin.core.models import User
from tongxin.core.registry import registry
from tongxin.org.models import Grid

STATIC = Path(__file__).resolve().parents[2] / "src" / "tongxin" / "static"
URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'<>)\\]*""")
NAMESPACES = re.compile(r"^(?:https?:)?//www\.w3\.org/")
ALLOWED = {"https://github.com/floating-ui/popper-docs/blob/main/docs/v2/index.md"}
LICENCE_FILES = ("LICENSE", "NOTICE", "COPYING")
COMMENTS = re.compile(r"/\*.*?\*/|<!--.*?-->", re.S)


def outside(text: str, own: str = "testserver") -> list[str]:
    """The URLs of ``text`` (comments removed) that point to another host."""
    found = []
    for url in URL.findall(COMMENTS.sub("", text)):
        if NAMESPACES.match(url) or url in ALLOWED:
            continue
        host = url.split("//", 1)[1].split("/", 1)[0].split(":", 1)[0]
        if host != own:
            found.append(url)
    return found


def test_no_static_file_refers_to_another_host():
    offenders = {}
    for path in STATIC.rglob("*"):
        if (
            not path.is_file()
            or path.suffix in (".woff", ".woff2", ".png", ".ico", ".jpg")
            or path.name.startswith(LICENCE_FILES)
        ):
            continue
        if path.suffix == ".md":  # notes on the vendored versions, not served to pages
            continue
        urls = outside(path.read_text(encoding="utf-8", errors="replace"))
        if urls:
            offenders[str(path.relative_to(STATIC))] = urls[:3]
    assert offenders == {}


def test_the_outside_host_check_finds_a_cdn():
    assert outside('<script src="https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js"></script>')
    assert outside('<link href="//unpkg.com/x.css">')
    assert not outside('<svg xmlns="http://www.w3.org/2000/svg"></svg> /*! MIT https://example.org/LICENSE */')
    assert not outside('<a href="http://testserver/core/">')


@pytest.fixture
def crawl_urls(world) -> list[str]:
    """Home, every list page, a detail page and the API docs."""
    urls = ["/", "/api/v1/docs", reverse("org:grid_detail", kwargs={"pk": Grid.objects.get(code="A01").pk})]
    for vs in registry.all():
        try:
            urls.append(reverse(vs.url_name("list")))
        except NoReverseMatch:
            continue
    return urls


def test_no_page_refers_to_another_host(client, world, crawl_urls):
    root = User.objects.create_user(username="root", password="pw-Strong-12345", is_superuser=True, is_staff=True)
    client.force_login(root)
    offenders = {}
    for url in crawl_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        if "html" in response.get("Content-Type", ""):
            urls = outside(response.content.decode())
            if urls:
                offenders[url] = urls[:3]
    assert offenders == {}


def test_the_api_docs_load_swagger_from_the_site(client, world):
    client.force_login(world.users["director"])
    html = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui" in html.lower()
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert scripts and all(s.startswith("/static/") for s in scripts), scripts
