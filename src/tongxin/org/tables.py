"""Tables of the organisation app."""

from django.utils.translation import gettext_lazy as _

from tongxin.core.tables import Column, Table
from tongxin.org.models import Division, Grid, RoleAssignment


class DivisionTable(Table):
    """Divisions."""

    model = Division
    code = Column(linkify=True)
    fields = ("code", "name", "level", "parent", "source")
    default_columns = ("code", "name", "level", "parent")


class GridTable(Table):
    """Grids with their members."""

    model = Grid
    name = Column(linkify=True)
    members = Column(render=lambda g: "、".join(u.display_name for u in g.members.all()), order_by=False)
    red = Column(render=lambda g: g.is_red_grid, verbose_name=_("红色网格"), order_by=False)
    fields = ("code", "name", "community", "members", "party_member", "red", "description", "last_updated")
    default_columns = ("code", "name", "community", "members", "party_member", "red")


class RoleAssignmentTable(Table):
    """Role assignments."""

    model = RoleAssignment
    user = Column(linkify=True)
    fields = ("user", "role", "division", "grid", "created")
