"""Template context: the navigation menu (the groups the modules declare), filtered by the user's permissions."""

from __future__ import annotations

from django.urls import reverse

from tongxin.core import hooks, scoping


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
            if vs.group() != key or not scoping.has_perm(user, vs.model, "view"):
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
