"""API of the organisation app: divisions, grids, role assignments under /api/v1/org/."""

from ninja import ModelSchema, Router
from pydantic import ConfigDict

from tongxin.core.api import crud
from tongxin.org.models import Division, Grid, RoleAssignment
from tongxin.org.views import DivisionViewSet, GridViewSet, RoleAssignmentViewSet

router = Router(tags=["组织"])


class DivisionOut(ModelSchema):
    class Meta:
        model = Division
        fields = ["id", "code", "name", "level", "parent", "path"]


class GridOut(ModelSchema):
    class Meta:
        model = Grid
        fields = [
            "id",
            "community",
            "code",
            "name",
            "members",
            "party_member",
            "boundary",
            "description",
            "last_updated",
        ]


class GridIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Grid
        fields = ["community", "code", "name", "members", "party_member", "boundary", "description"]
        fields_optional = "__all__"


class RoleAssignmentOut(ModelSchema):
    class Meta:
        model = RoleAssignment
        fields = ["id", "user", "role", "division", "grid", "created"]


class RoleAssignmentIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = RoleAssignment
        fields = ["user", "role", "division", "grid"]
        fields_optional = "__all__"


crud(router, DivisionViewSet, out=DivisionOut)
crud(router, GridViewSet, out=GridOut, payload=GridIn)
crud(router, RoleAssignmentViewSet, out=RoleAssignmentOut, payload=RoleAssignmentIn)
