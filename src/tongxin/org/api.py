"""API of the organisation app: divisions, grids, role assignments under /api/v1/org/."""

from ninja import Router

from tongxin.core.api import crud, model_schemas
from tongxin.org.views import DivisionViewSet, GridViewSet, RoleAssignmentViewSet

router = Router(tags=["组织"])


DivisionOut = model_schemas(DivisionViewSet, extra_out=("path",))[0]
GridOut, GridIn = model_schemas(GridViewSet, extra_out=("last_updated",))
RoleAssignmentOut, RoleAssignmentIn = model_schemas(RoleAssignmentViewSet, extra_out=("created",))

crud(router, DivisionViewSet, out=DivisionOut)
crud(router, GridViewSet, out=GridOut, payload=GridIn)
crud(router, RoleAssignmentViewSet, out=RoleAssignmentOut, payload=RoleAssignmentIn)
