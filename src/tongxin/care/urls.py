"""URLs of the care module."""

from tongxin.care.views import CarePlanViewSet, EnrolmentViewSet, ProgrammeViewSet, VisitViewSet, WarningViewSet

app_name = "care"
urlpatterns = [
    *EnrolmentViewSet.urls(),
    *WarningViewSet.urls(),
    *CarePlanViewSet.urls(),
    *VisitViewSet.urls(),
    *ProgrammeViewSet.urls(),
]
