"""What the organisation module puts on the home page: grids that still have no grid member."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from tongxin.core import scoping
from tongxin.org.models import Division, Grid, RoleAssignment


def attention(request: Any) -> list[dict[str, str]]:
    """Home-page items: how many grids in the user's scope have no grid member (for those who staff grids)."""
    if not scoping.has_perm(request.user, Grid, "change"):
        return []
    count = scoping.restrict(Grid.objects.filter(members__isnull=True), request.user).count()
    if not count:
        return []
    return [{"text": _("%(n)s 个网格还没有网格员") % {"n": count}, "url": reverse("org:grid_list") + "?staffed=false"}]


def scope_counts(user: Any) -> dict[str, Any]:
    """The home page's "可见社区/村 n 个，网格 m 个": the communities and grids the user may view, and those their
    roles are assigned in. A grid member may view no division (their grant reaches grids only), yet works in their
    grid's community: counting only viewable divisions told them "可见社区/村 0 个"."""
    mine = RoleAssignment.objects.filter(user=user)
    grids = Grid.objects.filter(
        Q(pk__in=scoping.restrict(Grid.objects.all(), user).values("pk")) | Q(pk__in=mine.values("grid_id"))
    )
    viewable = scoping.restrict(Division.objects.filter(level=Division.Level.COMMUNITY), user)
    communities = Division.objects.filter(level=Division.Level.COMMUNITY).filter(
        Q(pk__in=viewable.values("pk")) | Q(pk__in=mine.values("division_id")) | Q(pk__in=grids.values("community_id"))
    )
    return {
        "community_count": communities.count(),
        "communities": communities.order_by("code")[:12],
        "grid_count": grids.count(),
    }
