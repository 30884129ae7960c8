from rest_framework import serializers

from config.imports import OUTCOMES

from ..batches import MAX_NOTE
from ..models import Decision, Flag, Measurement, Pilot, PilotMetric


class PilotMetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = PilotMetric
        fields = ["id", "name", "unit", "direction", "target", "warning_margin", "critical", "cadence", "min_samples"]


class FlagSerializer(serializers.ModelSerializer):
    pilot_name = serializers.CharField(source="pilot.name", read_only=True)
    metric_name = serializers.CharField(source="metric.name", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Flag
        fields = [
            "id",
            "pilot",
            "pilot_name",
            "metric",
            "metric_name",
            "kind",
            "severity",
            "message",
            "opened_at",
            "last_seen_at",
            "resolved_at",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledgement_note",
        ]
        read_only_fields = fields


class FlagAcknowledgeSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DecisionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Decision
        fields = ["id", "outcome", "rationale", "decided_by", "decided_at"]


class GateSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="open, closed or decided")
    is_open = serializers.BooleanField()
    headline = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField(), help_text="Why the gate is closed, item by item.")


class PilotSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.name", read_only=True)
    # Sources named listed_* are the lists PilotViewSet prefetches (config.api_views.listed).
    work_items = serializers.SerializerMethodField()
    metrics = PilotMetricSerializer(many=True, read_only=True, source="listed_metrics")
    open_flags = FlagSerializer(many=True, read_only=True, source="listed_flags")
    decisions = DecisionSerializer(many=True, read_only=True, source="listed_decisions")
    next_stages = serializers.SerializerMethodField()
    gate = serializers.SerializerMethodField()

    class Meta:
        model = Pilot
        fields = [
            "id",
            "name",
            "status",
            "provider",
            "provider_name",
            "work_items",
            "owner",
            "starts_on",
            "ends_on",
            "volume_share",
            "budget",
            "stage",
            "parent",
            "next_stages",
            "decision_rule",
            "metrics",
            "gate",
            "open_flags",
            "decisions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_work_items(self, pilot) -> list[int]:
        return [item.pk for item in pilot.listed_work_items]

    def get_next_stages(self, pilot) -> list[int]:
        return [stage.pk for stage in pilot.listed_next_stages]

    def get_gate(self, pilot) -> GateSerializer:
        # Built directly: a serializer per row would cost more than the gate itself.
        gate = self.context["gates"][pilot.pk]
        return {"state": gate.state, "is_open": gate.is_open, "headline": gate.headline, "reasons": gate.reasons}


class MeasurementSerializer(serializers.ModelSerializer):
    pilot = serializers.IntegerField(source="metric.pilot_id", read_only=True)
    metric_name = serializers.CharField(source="metric.name", read_only=True)

    class Meta:
        model = Measurement
        fields = [
            "id",
            "pilot",
            "metric",
            "metric_name",
            "period_start",
            "value",
            "sample_size",
            "note",
            "source",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class MeasurementRowSerializer(serializers.Serializer):
    """One value to record; only the shape is checked here, the rules in the plan."""

    metric = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    period = serializers.CharField(max_length=40, help_text="Any date in the period, 2026-W45 or 2026-11.")
    value = serializers.CharField(max_length=40, help_text="A number, e.g. 98.6 (JSON number or string).")
    sample_size = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False, allow_null=True)
    note = serializers.CharField(max_length=MAX_NOTE, required=False, allow_blank=True, default="")


class BulkMeasurementsSerializer(serializers.Serializer):
    rows = MeasurementRowSerializer(many=True, allow_empty=False, max_length=5000)
    dry_run = serializers.BooleanField(default=False, help_text="Plan only: report each row, write nothing.")


class RowReportSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="1-based position in `rows`.")
    outcome = serializers.ChoiceField(choices=OUTCOMES)
    metric = serializers.IntegerField(allow_null=True)
    period_start = serializers.DateField(allow_null=True)
    value = serializers.CharField(allow_null=True, help_text="The value as read.")
    old_value = serializers.CharField(allow_null=True, help_text="The recorded value it corrects.")
    problems = serializers.ListField(child=serializers.CharField())


class BulkReportSerializer(serializers.Serializer):
    applied = serializers.BooleanField()
    counts = serializers.DictField(child=serializers.IntegerField())
    rows = RowReportSerializer(many=True)


class ActionResultSerializer(serializers.Serializer):
    message = serializers.CharField()
    pilot = PilotSerializer()
