"""The README lists what is built and how to reach it (issue 17, defect 13): every menu group and every list page
of the installed modules is named there, and it no longer says that the cases module is missing."""

from __future__ import annotations

from pathlib import Path

from tongxin.core import hooks
from tongxin.core.registry import registry

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_readme_names_every_menu_group_and_list_page():
    missing = [str(g.label) for g in hooks.menu_groups() if str(g.label) not in README]
    missing += [
        str(vs.model._meta.verbose_name_plural)
        for vs in registry.all()
        if vs.model.__module__.startswith("tongxin.") and str(vs.model._meta.verbose_name_plural) not in README
    ]
    assert missing == []


def test_the_readme_does_not_call_the_cases_module_unbuilt():
    built = README.split("Not built yet", 1)[0]
    assert "(`cases`)" in built
    assert "requests" not in README.split("Not built yet", 1)[1].split("\n\n", 1)[0]
