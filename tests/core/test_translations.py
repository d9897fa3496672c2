"""Every user-facing string has an English translation, and the compiled catalogue is current."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "src" / "tongxin" / "locale" / "en" / "LC_MESSAGES"


def _entries() -> list[str]:
    return (LOCALE / "django.po").read_text(encoding="utf-8").split("\n\n")[1:]


def test_english_catalogue_is_complete():
    untranslated = [
        e for e in _entries() if re.search(r'^msgstr ""\s*$', e, re.M) and not re.search(r'^msgstr ""\n"', e, re.M)
    ]
    fuzzy = [e for e in _entries() if "#, fuzzy" in e]
    assert not untranslated, untranslated[:3]
    assert not fuzzy, fuzzy[:3]


def test_compiled_catalogue_matches_the_source(tmp_path):
    po, mo = LOCALE / "django.po", LOCALE / "django.mo"
    assert mo.exists(), "run `make messages`"
    if shutil.which("msgfmt"):
        subprocess.run(["msgfmt", "-o", str(tmp_path / "x.mo"), str(po)], check=True)
        assert (tmp_path / "x.mo").read_bytes() == mo.read_bytes(), "django.mo is stale: run `make messages`"
    with translation.override("en"):
        assert translation.gettext("网格") != "网格"


@pytest.mark.django_db
def test_chinese_by_default_and_english_on_request(world):
    client = Client(headers={"accept-language": "en-US,en;q=0.9"})
    client.force_login(world.users["director"])
    page = client.get("/org/grids/").content.decode()
    assert 'lang="zh-hans"' in page and "网格" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/org/grids/"})
    page = client.get("/org/grids/").content.decode()
    assert 'lang="en"' in page and "Grid" in page
