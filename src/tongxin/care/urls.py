"""URLs of the care module."""

from tongxin.care.views import EnrolmentViewSet, ProgrammeViewSet, VisitViewSet

app_name = "care"
urlpatterns = [
    *EnrolmentViewSet.urls(),
    *VisitViewSet.urls(),
    *ProgrammeViewSet.urls(),
]
