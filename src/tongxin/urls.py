"""Root URLconf: pages per app, the API under /api/v1/, health, i18n; the Django admin only when
``settings.ADMIN_ENABLED`` (``TONGXIN_ADMIN_ENABLED``; off by default in production), else /admin/ is a 404."""

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.static import serve

from tongxin.care.api import router as care_router
from tongxin.cases.api import router as cases_router
from tongxin.core.api import api
from tongxin.core.api_routes import router as core_router
from tongxin.core.indicators_api import router as indicators_router
from tongxin.core.views import pages
from tongxin.org.api import router as org_router
from tongxin.registry.api import router as registry_router

api.add_router("/core/", core_router)
api.add_router("/org/", org_router)
api.add_router("/registry/", registry_router)
api.add_router("/cases/", cases_router)
api.add_router("/care/", care_router)
api.add_router("/indicators/", indicators_router)

urlpatterns = [
    path("", pages.home, name="home"),
    path("login/", pages.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", pages.account, name="account"),
    path("calendar/", pages.calendar_page, name="calendar"),
    path("healthz", pages.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    path("core/", include("tongxin.core.urls")),
    path("org/", include("tongxin.org.urls")),
    path("registry/", include("tongxin.registry.urls")),
    path("cases/", include("tongxin.cases.urls")),
    path("care/", include("tongxin.care.urls")),
    path("open311/v2/", include("tongxin.cases.open311")),
]
if settings.ADMIN_ENABLED:
    urlpatterns.append(path("admin/", admin.site.urls))
if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
