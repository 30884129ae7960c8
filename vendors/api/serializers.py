from rest_framework import serializers

from ..models import Contact, DeliveryCenter, IndustryExperience, Provider, ProviderCertification


class DeliveryCenterSerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code")
    location_class = serializers.CharField(help_text="onshore, nearshore or offshore, from the country.")

    class Meta:
        model = DeliveryCenter
        fields = ["id", "country", "city", "headcount", "time_zone", "location_class"]


class CertificationSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="certification_type.code")
    status = serializers.CharField(help_text="valid, expiring, expired or unverified.")

    class Meta:
        model = ProviderCertification
        fields = ["id", "type", "certificate_id", "issuer", "issued_on", "expires_on", "verified_at", "status"]


class IndustryExperienceSerializer(serializers.ModelSerializer):
    industry = serializers.CharField(source="industry.name")

    class Meta:
        model = IndustryExperience
        fields = ["id", "industry", "years", "reference_clients", "notes"]


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "email", "role", "phone"]


class ProviderSerializer(serializers.ModelSerializer):
    website = serializers.CharField(read_only=True, help_text="An address, or empty.")
    headquarters_country = serializers.CharField(source="headquarters_country.code")
    # Sources named listed_* are the lists ProviderViewSet prefetches (config.api_views.listed).
    service_lines = serializers.SerializerMethodField()
    languages = serializers.SerializerMethodField(help_text="ISO 639-1 codes.")
    pricing_models = serializers.SerializerMethodField(help_text="Codes.")
    delivery_centers = DeliveryCenterSerializer(many=True, read_only=True, source="listed_delivery_centers")
    certifications = CertificationSerializer(many=True, read_only=True, source="listed_certifications")
    industry_experience = IndustryExperienceSerializer(many=True, read_only=True, source="listed_industry_experience")
    contacts = ContactSerializer(many=True, read_only=True, source="listed_contacts")

    class Meta:
        model = Provider
        fields = [
            "id",
            "name",
            "website",
            "headquarters_country",
            "description",
            "status",
            "blocked_reason",
            "owner",
            "service_lines",
            "languages",
            "pricing_models",
            "delivery_centers",
            "certifications",
            "industry_experience",
            "contacts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_service_lines(self, provider) -> list[str]:
        return [line.name for line in provider.listed_service_lines]

    def get_languages(self, provider) -> list[str]:
        return [language.code for language in provider.listed_languages]

    def get_pricing_models(self, provider) -> list[str]:
        return [model.code for model in provider.listed_pricing_models]


class ProviderWriteSerializer(serializers.Serializer):
    """What a create or change takes (the web form's fields; related rows by id)."""

    name = serializers.CharField(max_length=200)
    website = serializers.URLField(required=False, allow_blank=True)
    headquarters_country = serializers.CharField(max_length=2, help_text="ISO 3166 code, e.g. GB.")
    owner = serializers.IntegerField(required=False, allow_null=True)
    service_lines = serializers.ListField(child=serializers.IntegerField(), required=False)
    languages = serializers.ListField(child=serializers.IntegerField(), required=False)
    pricing_models = serializers.ListField(child=serializers.IntegerField(), required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class ActionSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, help_text="Required to block.")
