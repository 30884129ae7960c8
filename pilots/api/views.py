from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from config.api import ActionPermission, ModelPermissions, form_errors, refusal
from config.api_views import ReadOnlyModelViewSet, listed
from config.imports import PlanRefused
from config.spreadsheets import parse_decimal
from scope.models import WorkItem

from .. import batches, evidence, services
from ..choices import MeasurementSource
from ..filtersets import FlagFilterSet, MeasurementFilterSet, PilotFilterSet
from ..forms import FlagAcknowledgeForm, action_form
from ..gate import expansion_gates
from ..lifecycle import LIFECYCLE
from ..models import Flag, Measurement, Pilot, PilotMetric
from ..periods import parse_period
from .serializers import (
    ActionResultSerializer,
    BulkMeasurementsSerializer,
    BulkReportSerializer,
    FlagAcknowledgeSerializer,
    FlagSerializer,
    MeasurementSerializer,
    PilotSerializer,
)


@extend_schema(tags=["pilots"])
class PilotViewSet(ReadOnlyModelViewSet):
    """Pilots with their metrics, the gate to expand (and why it is closed), open flags, decisions
    and stage chain. Lifecycle actions are POSTs to …/actions/{action}/ and answer as the web does."""

    serializer_class = PilotSerializer
    filterset_class = PilotFilterSet

    def get_queryset(self):
        return Pilot.objects.select_related("provider").prefetch_related(
            listed("work_items", WorkItem.objects.only("pk")),
            listed("metrics"),
            listed("decisions"),
            listed("next_stages", Pilot.objects.only("pk", "parent_id")),
            listed("flags", Flag.objects.open().select_related("pilot", "metric").order_by("pk")),
        )

    def get_serializer(self, *args, **kwargs):
        pilots = args[0] if args else kwargs.get("instance")
        if pilots is not None:
            listed = pilots if isinstance(pilots, list) else [pilots]
            kwargs.setdefault("context", self.get_serializer_context())["gates"] = expansion_gates(listed)
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        request={"application/json": {"type": "object", "additionalProperties": True}},
        responses={200: ActionResultSerializer},
        parameters=[
            OpenApiParameter("name", str, "path", enum=[t.action for t in LIFECYCLE.transitions.values() if t.manual])
        ],
        description="start, pause (reason), resume, submit_for_review, decide (outcome, rationale, early, extend_to), "
        "expand (volume_share, starts_on, ends_on, budget, make_active), close: the web's rules and messages.",
    )
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<name>[a-z_]+)", permission_classes=[ActionPermission])
    def perform(self, request, pk=None, name=None):
        if name not in LIFECYCLE or not LIFECYCLE[name].manual:
            raise NotFound("No such action.")
        pilot = self.get_object()
        if not isinstance(request.data, dict):
            return Response({"detail": "Send a JSON object."}, status=status.HTTP_400_BAD_REQUEST)
        data = {
            key: ("on" if value else "") if isinstance(value, bool) else str(value)
            for key, value in request.data.items()
            if isinstance(value, str | int | float | bool)
        }
        form = action_form(name, pilot, data, user=request.user)
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        try:
            message = services.pilot_perform(action=name, pilot=pilot, by=request.user, data=form.cleaned_data)
        except ValidationError as error:
            raise refusal(error) from None
        pilot = self.get_queryset().get(pk=pilot.pk)
        return Response({"message": message, "pilot": self.get_serializer(pilot).data})


class MeasurementPermissions(ModelPermissions):
    """Reading needs the view permission; the bulk upsert adds and corrects, so it needs both."""

    perms_map = {
        **ModelPermissions.perms_map,
        "POST": ["%(app_label)s.add_%(model_name)s", "%(app_label)s.change_%(model_name)s"],
    }


@extend_schema(tags=["measurements"])
class MeasurementViewSet(ReadOnlyModelViewSet):
    """Recorded measurements, newest period first within each metric."""

    serializer_class = MeasurementSerializer
    filterset_class = MeasurementFilterSet
    permission_classes = [MeasurementPermissions]

    def get_queryset(self):
        return Measurement.objects.select_related("metric")

    @extend_schema(
        request=BulkMeasurementsSerializer,
        responses={
            200: BulkReportSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="A row with an error: the report of every row (as for 200, `applied` false); or a "
                "request of the wrong shape: the fields and what is wrong with them.",
            ),
        },
    )
    @action(detail=False, methods=["post"])
    def bulk(self, request):
        """Record up to 5,000 values keyed by metric and period: all or nothing. A period that has a
        value gets a correction (kept in the history), never a twin; each row is reported as new,
        correction, unchanged or error. With `dry_run` nothing is written."""
        shape = BulkMeasurementsSerializer(data=request.data)
        shape.is_valid(raise_exception=True)
        rows, dry_run = shape.validated_data["rows"], shape.validated_data["dry_run"]
        if dry_run:
            return Response(report(batches.plan_measurements(api_entries(rows)), applied=False))
        try:
            plan = batches.measurements_apply(
                build_entries=lambda: api_entries(rows),
                by=request.user,
                source=MeasurementSource.API,
                reason="API",
            )
        except PlanRefused as refused:
            return Response(report(refused.plan, applied=False), status=status.HTTP_400_BAD_REQUEST)
        return Response(report(plan, applied=True))


def api_entries(rows: list[dict]) -> list[batches.Entry]:
    metrics = PilotMetric.objects.select_related("pilot").in_bulk({row["metric"] for row in rows})
    entries = []
    for number, row in enumerate(rows, 1):
        entry = batches.Entry(row=number, note=row.get("note") or "", sample_size=row.get("sample_size"))
        entry.metric = metrics.get(row["metric"])
        if entry.metric is None:
            entry.problem("metric", f"there is no metric {row['metric']}")
        try:
            entry.value = parse_decimal(str(row["value"]))
            if entry.value is None:
                entry.problem("value", "no value")
        except ValueError as error:
            entry.problem("value", str(error))
        if entry.metric is not None:
            try:
                entry.period = parse_period(row["period"], entry.metric.cadence)
            except ValueError as error:
                entry.problem("period", str(error))
        entries.append(entry)
    return entries


def report(plan: batches.Plan, *, applied: bool) -> dict:
    return BulkReportSerializer(
        {
            "applied": applied,
            "counts": plan.counts,
            "rows": [
                {
                    "row": e.row,
                    "outcome": e.outcome,
                    "metric": e.metric.pk if e.metric else None,
                    "period_start": e.period if e.outcome != batches.ERROR else None,
                    "value": e.value,
                    "old_value": e.old_value,
                    "problems": [f"{column}: {reason}" if column else reason for column, reason in e.problems],
                }
                for e in plan.entries
            ],
        }
    ).data


@extend_schema(tags=["flags"])
class FlagViewSet(ReadOnlyModelViewSet):
    """Flags the evaluation raised; acknowledge one with a POST to …/acknowledge/."""

    serializer_class = FlagSerializer
    filterset_class = FlagFilterSet

    def get_queryset(self):
        return Flag.objects.select_related("pilot", "metric")

    @extend_schema(request=FlagAcknowledgeSerializer, responses=FlagSerializer)
    @action(detail=True, methods=["post"], permission_classes=[ActionPermission])
    def acknowledge(self, request, pk=None):
        """Acknowledge the flag, with an optional note; one acknowledged already keeps its first note."""
        flag = self.get_object()  # DRF's lookup: a malformed id is a 404, as on GET
        if not isinstance(request.data, dict):
            return Response({"detail": "Send a JSON object."}, status=status.HTTP_400_BAD_REQUEST)
        note = request.data.get("note", "")
        if not isinstance(note, str):
            return Response({"note": ["Send the note as text."]}, status=status.HTTP_400_BAD_REQUEST)
        form = FlagAcknowledgeForm({"flag": [flag.pk], "note": note})
        if not form.is_valid():
            return Response(form_errors(form), status=status.HTTP_400_BAD_REQUEST)
        evidence.flag_acknowledge(flag=flag, by=request.user, note=form.cleaned_data["note"])
        flag.refresh_from_db()
        return Response(self.get_serializer(flag).data)
