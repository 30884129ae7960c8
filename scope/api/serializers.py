from rest_framework import serializers

from ..models import Candidate, SuccessMetric, WorkItem
from ..readiness import readiness_problems


class SuccessMetricSerializer(serializers.ModelSerializer):
    class Meta:
        model = SuccessMetric
        fields = ["id", "name", "unit", "direction", "target", "critical", "cadence"]


class WorkItemSerializer(serializers.ModelSerializer):
    service_line = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    industry = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    required_certifications = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    success_metrics = SuccessMetricSerializer(many=True, read_only=True)
    readiness_problems = serializers.SerializerMethodField()

    class Meta:
        model = WorkItem
        fields = [
            "id",
            "title",
            "description",
            "kind",
            "status",
            "service_line",
            "industry",
            "business_unit",
            "owner",
            "monthly_volume",
            "volume_unit",
            "complexity",
            "data_sensitivity",
            "preferred_delivery",
            "required_certifications",
            "success_metrics",
            "readiness_problems",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_readiness_problems(self, item) -> list[str]:
        return readiness_problems(item)


class CandidateSerializer(serializers.ModelSerializer):
    provider_name = serializers.CharField(source="provider.name", read_only=True)

    class Meta:
        model = Candidate
        fields = ["id", "work_item", "provider", "provider_name", "status", "notes", "created_at"]
        read_only_fields = fields


class CriterionScoreSerializer(serializers.Serializer):
    criterion = serializers.CharField(source="criterion.name")
    weight = serializers.IntegerField(source="criterion.weight")
    score = serializers.FloatField(allow_null=True, help_text="1–5, or null when not scored yet.")
    explanation = serializers.CharField()


class FitSerializer(serializers.Serializer):
    provider = serializers.IntegerField(source="facts.id")
    provider_name = serializers.CharField(source="facts.name")
    eligible = serializers.BooleanField()
    total = serializers.FloatField(help_text="Weighted fit out of 100.")
    gate_problems = serializers.ListField(child=serializers.CharField())
    scores = CriterionScoreSerializer(many=True)


class RankingSerializer(serializers.Serializer):
    valid_through = serializers.DateField()
    eligible_count = serializers.IntegerField()
    ineligible_count = serializers.IntegerField()
    eligible = FitSerializer(many=True)
    ineligible = FitSerializer(many=True)
