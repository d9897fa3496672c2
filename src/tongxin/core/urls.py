"""URLs of the core app."""

from django.urls import path

from tongxin.core.views import pages
from tongxin.core.views.exports import ExportJobView
from tongxin.core.views.imports import ImportJobRestartView, ImportJobView
from tongxin.core.views.users import UserViewSet

app_name = "core"
urlpatterns = [
    *pages.ObjectChangeViewSet.urls(),
    *pages.AccessLogViewSet.urls(),
    *pages.HolidayViewSet.urls(),
    *UserViewSet.urls(),
    *pages.ImportJobViewSet.urls(),
    path(f"{pages.ImportJobViewSet.segment}/<int:pk>/", ImportJobView.as_view(), name="importjob_detail"),
    path(
        f"{pages.ImportJobViewSet.segment}/<int:pk>/restart/", ImportJobRestartView.as_view(), name="importjob_restart"
    ),
    path("export-jobs/<int:pk>/", ExportJobView.as_view(), name="exportjob_detail"),
    path("dashboard/", pages.dashboard_page, name="dashboard"),
    path("notifications/", pages.notifications, name="notifications"),
    path("notifications/<int:pk>/", pages.notification_open, name="notification_open"),
]
