"""Pages of the organisation app: a few declarative lines per model."""

from typing import Any

from tongxin.core.views.generic import ObjectViewSet
from tongxin.org import filters, forms, importers, services, tables
from tongxin.org.models import Division, Grid, RoleAssignment


class DivisionViewSet(ObjectViewSet):
    """Divisions (行政区划)."""

    model = Division
    segment = "divisions"
    table = tables.DivisionTable
    filterset = filters.DivisionFilterSet
    form = forms.DivisionForm
    select_related = ("parent",)
    icon = "bi-diagram-3"


class GridViewSet(ObjectViewSet):
    """Grids (网格)."""

    model = Grid
    segment = "grids"
    table = tables.GridTable
    filterset = filters.GridFilterSet
    form = forms.GridForm
    bulk_edit_form = forms.GridBulkEditForm
    importer = importers.GridImporter
    select_related = ("community", "party_member")
    prefetch_related = ("members",)
    icon = "bi-grid-3x3"


class RoleAssignmentViewSet(ObjectViewSet):
    """Role assignments (角色授权)."""

    model = RoleAssignment
    segment = "role-assignments"
    table = tables.RoleAssignmentTable
    filterset = filters.RoleAssignmentFilterSet
    form = forms.RoleAssignmentForm
    select_related = ("user", "role", "division", "grid")
    icon = "bi-person-badge"

    @classmethod
    def check_delete(cls, user: Any, obj: RoleAssignment) -> None:
        """Nobody deletes their own assignment, nor the last administrator's (org.services)."""
        services.check_removal(user, obj, lock=True)
