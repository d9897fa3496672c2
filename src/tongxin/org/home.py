"""What the organisation module puts on the home page: grids that still have no grid member."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from tongxin.core import scoping
from tongxin.org.models import Grid


def attention(request: Any) -> list[dict[str, str]]:
    """Home-page items: how many grids in the user's scope have no grid member (for those who staff grids)."""
    if not scoping.has_perm(request.user, Grid, "change"):
        return []
    count = scoping.restrict(Grid.objects.filter(members__isnull=True), request.user).count()
    if not count:
        return []
    return [{"text": _("%(n)s 个网格还没有网格员") % {"n": count}, "url": reverse("org:grid_list") + "?staffed=false"}]
