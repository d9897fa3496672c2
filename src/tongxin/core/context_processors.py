"""Template context: the navigation menu (the groups the modules declare), filtered by what the user can use.

A list is in the user's menu when a role lets them view it somewhere (:func:`in_menu`), and — for a user who holds
that permission only on grids (a grid member) — when its rows live in grids (the model declares ``scope_grid``:
residents, households, cases...). A grid member's role grants ``*.view_*``, but the platform's reference and
administration lists (users, divisions, party branches, compounds, buildings, dwellings, tags, import jobs,
holidays) are scoped to communities, so a grid grant reaches none of their rows: those entries would open empty
pages, and are left out rather than declared role by role (roles are data an administrator may edit).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse

from tongxin.core import hooks, scoping


def in_menu(user: Any, model: type[models.Model]) -> bool:
    """True when the user may view ``model`` through a grant that reaches its rows: any grant on a division or
    the whole deployment, or a grid grant when the model's rows live in grids."""
    perm = scoping.perm_name(model, "view")
    granting = [g for g in scoping.grants(user) if g.allows(perm)]
    if getattr(model, "scope_grid", None) is not None:
        return bool(granting)
    return any(g.grid_id is None for g in granting)


def navigation(request) -> dict:
    """Menu entries the user may open, grouped by module."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from tongxin.core.registry import registry

    groups = []
    for group in hooks.menu_groups():  # each module declares its group in its AppConfig
        key, label, icon = group.key, group.label, group.icon
        items = []
        for vs in registry.all():
            if vs.group() != key or not in_menu(user, vs.model):
                continue
            url = reverse(vs.url_name("list"))
            items.append(
                {
                    "label": vs.model._meta.verbose_name_plural,
                    "url": url,
                    "icon": vs.icon,
                    "active": request.path.startswith(url),
                }
            )
            for label_, url_name, icon_, action in getattr(vs, "menu_extra", ()):
                if scoping.has_perm(user, vs.model, action):
                    extra = reverse(url_name)
                    items.append({"label": label_, "url": extra, "icon": icon_, "active": request.path == extra})
        if items:
            groups.append({"key": key, "label": label, "icon": icon, "items": items})
    from tongxin.core.models import Notification

    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    return {"nav_groups": groups, "unread_notifications": unread}
