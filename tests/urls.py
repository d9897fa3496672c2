"""The project's URLs plus the sample module's pages and API (its router mounted before the API's URLs are built)."""

from django.urls import include, path

from tests.sample.module import router
from tongxin.core.api import api

api.add_router("/sample/", router)

from tongxin.urls import urlpatterns as project  # noqa: E402 - after the router is added

urlpatterns = [*project, path("sample/", include(("tests.sample.module", "sample")))]
