"""/api/: every app's endpoints, the OpenAPI 3 schema and its interactive docs (served by the app)."""

from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from pilots.api.views import FlagViewSet, MeasurementViewSet, PilotViewSet
from scope.api.views import CandidateViewSet, WorkItemViewSet
from vendors.api.views import ProviderViewSet

INLINE_STYLES = csp_update({"style-src": [UNSAFE_INLINE]})


class Router(DefaultRouter):
    # JSON is the only format, so no `.json` suffix routes (they would hand every action a `format` argument).
    include_format_suffixes = False


router = Router()
router.register("providers", ProviderViewSet, basename="provider")
router.register("work-items", WorkItemViewSet, basename="workitem")
router.register("candidates", CandidateViewSet, basename="candidate")
router.register("pilots", PilotViewSet, basename="pilot")
router.register("measurements", MeasurementViewSet, basename="measurement")
router.register("flags", FlagViewSet, basename="flag")

app_name = "api"
urlpatterns = [
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The docs' scripts come from the app (the sidecar package); they set styles inline as they draw.
    path("docs/", INLINE_STYLES(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", INLINE_STYLES(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
]
