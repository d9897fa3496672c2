"""URLs of the care module."""

from tongxin.care.views import CarePlanViewSet, EnrolmentViewSet, ProgrammeViewSet, VisitViewSet

app_name = "care"
urlpatterns = [
    *EnrolmentViewSet.urls(),
    *CarePlanViewSet.urls(),
    *VisitViewSet.urls(),
    *ProgrammeViewSet.urls(),
]
