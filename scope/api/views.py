from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from config.api_views import ReadOnlyModelViewSet
from config.viewsets import positive_int

from ..filtersets import WorkItemFilterSet
from ..models import Candidate, WorkItem
from ..selectors import rank_providers
from .serializers import CandidateSerializer, RankingSerializer, WorkItemSerializer

RANKING_LIMIT = 25


@extend_schema(tags=["work items"])
class WorkItemViewSet(ReadOnlyModelViewSet):
    """Work items with their success metrics and readiness problems."""

    serializer_class = WorkItemSerializer
    filterset_class = WorkItemFilterSet

    def get_queryset(self):
        return WorkItem.objects.select_related("service_line", "industry").prefetch_related(
            "success_metrics", "required_certifications"
        )

    @extend_schema(
        responses=RankingSerializer,
        parameters=[
            OpenApiParameter("limit", int, description=f"Providers per side (1–100, default {RANKING_LIMIT}).")
        ],
    )
    @action(detail=True, methods=["get"])
    def ranking(self, request, pk=None):
        """Every provider ranked for the work item: the eligible by weighted fit with each score
        explained, the ineligible with the hard gates they fail (the first `limit` of each)."""
        item = self.get_object()
        limit = positive_int(request.query_params.get("limit"), upper=100) or RANKING_LIMIT
        ranking = rank_providers(work_item=item)
        data = {
            "valid_through": ranking.valid_through,
            "eligible_count": len(ranking.eligible),
            "ineligible_count": len(ranking.ineligible),
            "eligible": ranking.eligible[:limit],
            "ineligible": ranking.ineligible[:limit],
        }
        return Response(RankingSerializer(data).data)


@extend_schema(tags=["work items"])
class CandidateViewSet(ReadOnlyModelViewSet):
    """Candidates: providers on a work item's long list, shortlist, selected or rejected."""

    serializer_class = CandidateSerializer
    filterset_fields = ["work_item", "provider", "status"]

    def get_queryset(self):
        return Candidate.objects.select_related("provider")
