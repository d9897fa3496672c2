"""URLs of the cases module."""

from tongxin.cases import report_views
from tongxin.cases.views import (
    CaseViewSet,
    CategoryViewSet,
    DisputeViewSet,
    FollowUpViewSet,
    MediationSessionViewSet,
    MeetingViewSet,
)

app_name = "cases"
urlpatterns = [
    *CaseViewSet.urls(),
    *CategoryViewSet.urls(),
    *DisputeViewSet.urls(),
    *MediationSessionViewSet.urls(),
    *MeetingViewSet.urls(),
    *FollowUpViewSet.urls(),
    *report_views.urlpatterns,
]
