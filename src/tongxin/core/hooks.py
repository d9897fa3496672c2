"""App hooks: what a module adds to the platform, declared on its ``AppConfig``; ``core`` never imports a module.

A module's ``apps.py`` subclasses :class:`ModuleConfig` and declares::

    class CasesConfig(hooks.ModuleConfig):
        name = "tongxin.cases"
        menu_group = hooks.MenuGroup("cases", _("网格事件与诉求"), "bi-megaphone", order=30)
        periodic_jobs = (hooks.PeriodicJob("tongxin.cases.clock.tick"),)
        home_items = "tongxin.cases.home.attention"
        indicators = "tongxin.cases.indicators.INDICATORS"
        depends_on = ("registry",)

Everything is named by dotted path, so that the declaration imports nothing at start-up; the worker, the menu
and the home page resolve the paths when they run. ``depends_on`` names the modules whose code this one may
import besides the platform; the import-linter contract in ``pyproject.toml`` enforces the same layers.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from django.apps import AppConfig, apps
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MenuGroup:
    """A group of the main menu: its key (viewsets name it in ``menu_group``), label, icon and place."""

    key: str
    label: Any
    icon: str = "bi-list"
    order: int = 100


@dataclass(frozen=True)
class PeriodicJob:
    """Work the worker's clock runs: ``func(now=None) -> dict`` of counts, at most once per ``every`` seconds
    (0: at every tick of the clock). Errors are logged and never stop the clock or the other jobs."""

    func: str
    every: float = 0.0

    @property
    def name(self) -> str:
        return self.func.rsplit(".", 1)[-1]


class ModuleConfig(AppConfig):
    """The ``AppConfig`` of a Tongxin module, with the hooks through which it plugs into the platform.

    Subclass it as ``hooks.ModuleConfig`` (import the module, not the class): Django picks the one ``AppConfig``
    class that an ``apps.py`` holds, and an imported base class would make two."""

    menu_group: ClassVar[MenuGroup | None] = None
    periodic_jobs: ClassVar[tuple[PeriodicJob, ...]] = ()
    #: dotted path of ``items(request) -> list[{"text", "url"}]``: what needs the user's attention on the home page
    home_items: ClassVar[str] = ""
    #: dotted path of a module-level list of :class:`tongxin.core.indicators.Indicator`: the module's figures
    indicators: ClassVar[str] = ""
    #: dotted path of a :class:`tongxin.core.dashboard.Part`: the module's figures and charts on the dashboards
    dashboard: ClassVar[str] = ""
    #: labels of the modules (besides the platform, ``core`` and ``org``) whose code this module may import
    depends_on: ClassVar[tuple[str, ...]] = ()
    #: dotted path of ``run(stdout) -> list of (username, role, password, where)``: the module's demo data,
    #: which ``tongxin demo`` runs module by module in INSTALLED_APPS order
    demo: ClassVar[str] = ""
    #: panels the module adds to other modules' detail pages: a model label (``"registry.Person"``) → the dotted
    #: path of ``panel(request, obj) -> dict | None`` (see :func:`detail_panels`), or a tuple of such paths
    detail_panels: ClassVar[dict[str, str | tuple[str, ...]]] = {}


def modules() -> list[ModuleConfig]:
    """Every installed Tongxin module, in ``INSTALLED_APPS`` order."""
    return [c for c in apps.get_app_configs() if isinstance(c, ModuleConfig)]


def menu_groups() -> list[MenuGroup]:
    """The menu's groups, by their declared order."""
    return sorted((m.menu_group for m in modules() if m.menu_group is not None), key=lambda g: g.order)


def periodic_jobs() -> list[PeriodicJob]:
    """Every module's periodic jobs."""
    return [job for m in modules() for job in m.periodic_jobs]


def demos() -> list[Callable[[Any], list]]:
    """Every module's demo loader, in INSTALLED_APPS order (the registers need the divisions first)."""
    return [import_string(m.demo) for m in modules() if m.demo]


def home_items(request: Any) -> list[dict[str, str]]:
    """What every module wants the user to see on the home page, module by module."""
    items: list[dict[str, str]] = []
    for module in modules():
        if module.home_items:
            func: Callable[[Any], list[dict[str, str]]] = import_string(module.home_items)
            items += func(request)
    return items


def detail_panels(request: Any, obj: Any) -> list[dict[str, Any]]:
    """The panels every module adds to ``obj``'s detail page (``core/_detail_panels.html``), module by module.

    A panel function returns None to show nothing (e.g. the user may not see the module's rows), else a dict:
    ``id`` (the card's HTML id), ``title``, ``items`` (each ``{"text", "url", "badge", "note"}``), ``count`` (all
    the rows, of which ``items`` shows the first), ``more_url`` (the filtered list of all of them) and
    ``empty`` (the text shown without items). The module scopes its rows itself (core.scoping)."""
    label = obj._meta.label
    panels: list[dict[str, Any]] = []
    for module in modules():
        paths = module.detail_panels.get(label, ())
        for path in (paths,) if isinstance(paths, str) else paths:
            func: Callable[[Any, Any], dict[str, Any] | None] = import_string(path)
            panel = func(request, obj)
            if panel:
                panels.append(panel)
    return panels
