"""URLs of the care module."""

from tongxin.care.views import (
    CarePlanViewSet,
    EnrolmentViewSet,
    HealthCheckViewSet,
    ProgrammeViewSet,
    VisitViewSet,
    WarningViewSet,
)

app_name = "care"
urlpatterns = [
    *EnrolmentViewSet.urls(),
    *WarningViewSet.urls(),
    *HealthCheckViewSet.urls(),
    *CarePlanViewSet.urls(),
    *VisitViewSet.urls(),
    *ProgrammeViewSet.urls(),
]
