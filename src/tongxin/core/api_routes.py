"""API of core's own models under /api/v1/core/: the change log (read only) and holidays."""

from ninja import ModelSchema, Router
from pydantic import ConfigDict

from tongxin.core.api import crud
from tongxin.core.models import Holiday, ObjectChange
from tongxin.core.views.pages import HolidayViewSet, ObjectChangeViewSet

router = Router(tags=["基础"])


class ObjectChangeOut(ModelSchema):
    class Meta:
        model = ObjectChange
        fields = [
            "id",
            "time",
            "user",
            "user_name",
            "request_id",
            "source",
            "action",
            "step",
            "content_type",
            "object_id",
            "object_repr",
            "community",
            "prechange_data",
            "postchange_data",
            "message",
        ]


class HolidayOut(ModelSchema):
    class Meta:
        model = Holiday
        fields = ["id", "date", "is_workday", "name", "division", "source"]


class HolidayIn(ModelSchema):
    model_config = ConfigDict(populate_by_name=True)

    class Meta:
        model = Holiday
        fields = ["date", "is_workday", "name", "division", "source"]
        fields_optional = "__all__"


crud(router, ObjectChangeViewSet, out=ObjectChangeOut)
crud(router, HolidayViewSet, out=HolidayOut, payload=HolidayIn)
