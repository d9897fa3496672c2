"""URLs of the organisation app."""

from tongxin.org.views import DivisionViewSet, GridViewSet, RoleAssignmentViewSet

app_name = "org"
urlpatterns = [*DivisionViewSet.urls(), *GridViewSet.urls(), *RoleAssignmentViewSet.urls()]
