from django.core.exceptions import ValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.api import ActionPermission, refusal
from config.api_views import FormWriteMixin, ReadOnlyModelViewSet, listed

from ..filtersets import ProviderFilterSet
from ..forms import ProviderForm
from ..lifecycle import LIFECYCLE
from ..models import DeliveryCenter, IndustryExperience, Provider, ProviderCertification
from ..services import provider_perform
from .serializers import ActionSerializer, ProviderSerializer, ProviderWriteSerializer


@extend_schema(tags=["providers"])
class ProviderViewSet(FormWriteMixin, ReadOnlyModelViewSet):
    """Providers with their delivery centres, certifications, industry experience and contacts.
    The status changes only through the actions (POST …/actions/{action}/), as on the web."""

    serializer_class = ProviderSerializer
    filterset_class = ProviderFilterSet
    write_form = ProviderForm
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_queryset(self):
        return Provider.objects.prefetch_related(
            listed("service_lines"),
            listed("languages"),
            listed("pricing_models"),
            listed("delivery_centers", DeliveryCenter.objects.order_by("pk")),
            listed("certifications", ProviderCertification.objects.select_related("certification_type").order_by("pk")),
            listed("industry_experience", IndustryExperience.objects.select_related("industry").order_by("pk")),
            listed("contacts"),
        )

    @extend_schema(request=ProviderWriteSerializer, responses=ProviderSerializer)
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    @extend_schema(request=ProviderWriteSerializer, responses=ProviderSerializer)
    def update(self, request, *args, **kwargs):
        return super().update(request, *args, **kwargs)

    @extend_schema(request=ProviderWriteSerializer, responses=ProviderSerializer)
    def partial_update(self, request, *args, **kwargs):
        return super().partial_update(request, *args, **kwargs)

    @extend_schema(
        request=ActionSerializer,
        responses=ProviderSerializer,
        parameters=[
            OpenApiParameter("name", str, "path", enum=[t.action for t in LIFECYCLE.transitions.values() if t.manual])
        ],
        description="A lifecycle action: shortlist, block (with a reason), unblock, offboard, reconsider, …",
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]+)", permission_classes=[ActionPermission])
    def perform(self, request, pk=None, name=None):
        if name not in LIFECYCLE or not LIFECYCLE[name].manual:
            raise NotFound("No such action.")
        provider = self.get_object()
        form = ActionSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            provider_perform(
                provider=provider, action=name, by=request.user, reason=form.validated_data.get("reason", "")
            )
        except ValidationError as error:
            raise refusal(error) from None
        return Response(self.get_serializer(self.get_queryset().get(pk=provider.pk)).data)
