from django import forms
from django.contrib import admin
from django.db.models import Count, Q
from django.utils import timezone

from config.admin import HistoryAdmin, LifecycleAdminMixin, bulk_action
from config.viewsets import ConfirmForm

from .choices import CertificationStatus, LocationClass
from .lifecycle import LIFECYCLE
from .models import (
    CertificationType,
    Contact,
    DeliveryCenter,
    Industry,
    IndustryExperience,
    Language,
    PricingModel,
    Provider,
    ProviderCertification,
    ProviderImport,
    ServiceLine,
)
from .services import provider_perform


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(CertificationType)
class CertificationTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category"]
    list_filter = ["category"]
    search_fields = ["code", "name"]


@admin.register(ServiceLine)
class ServiceLineAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Language)
class LanguageAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(PricingModel)
class PricingModelAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class DeliveryCenterInline(admin.TabularInline):
    model = DeliveryCenter
    extra = 0
    fields = ["country", "city", "headcount", "time_zone", "location_class"]
    readonly_fields = ["location_class"]

    @admin.display(description="Location class")
    def location_class(self, obj):
        return LocationClass(obj.location_class).label if obj.pk else "—"


class ProviderCertificationInline(admin.TabularInline):
    model = ProviderCertification
    extra = 0
    autocomplete_fields = ["certification_type", "verified_by"]
    fields = [
        "certification_type",
        "certificate_id",
        "issuer",
        "issued_on",
        "expires_on",
        "evidence",
        "verified_by",
        "verified_at",
        "status",
    ]
    readonly_fields = ["status"]

    @admin.display(description="Status")
    def status(self, obj):
        return CertificationStatus(obj.status).label if obj.pk else "—"


class IndustryExperienceInline(admin.TabularInline):
    model = IndustryExperience
    extra = 0
    autocomplete_fields = ["industry"]


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class LocationClassFilter(admin.SimpleListFilter):
    title = "delivery location"
    parameter_name = "location"

    def lookups(self, request, model_admin):
        return LocationClass.choices

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        return queryset.filter(pk__in=DeliveryCenter.objects.in_location_class(self.value()).values("provider_id"))


class BlockForm(forms.Form):
    reason = forms.CharField(
        error_messages={"required": "Say why the provider is blocked."},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the provider may not start pilots.",
    )


@admin.register(Provider)
class ProviderAdmin(LifecycleAdminMixin, HistoryAdmin):
    lifecycle = LIFECYCLE
    status_fields = ("status", "blocked_reason")
    list_display = [
        "name",
        "status",
        "headquarters_country",
        "delivery_options_display",
        "centre_count",
        "valid_certifications",
        "owner",
    ]
    list_filter = ["status", LocationClassFilter, "service_lines__kind", "service_lines", "headquarters_country"]
    search_fields = ["name", "description", "website"]
    autocomplete_fields = ["owner"]
    filter_horizontal = ["service_lines", "languages", "pricing_models"]
    inlines = [DeliveryCenterInline, ProviderCertificationInline, IndustryExperienceInline, ContactInline]
    list_select_related = ["owner"]
    readonly_fields = ["created_at", "updated_at"]
    actions = [
        bulk_action("shortlist", "Mark selected providers shortlisted"),
        bulk_action("unblock", "Unblock selected providers"),
        bulk_action("offboard", "Offboard selected providers"),
    ]
    fieldsets = [
        (None, {"fields": ["name", "website", "headquarters_country", "description", "owner"]}),
        ("Offer", {"fields": ["service_lines", "languages", "pricing_models"]}),
        ("Status", {"fields": ["status", "blocked_reason", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related("delivery_centers")
            .annotate(
                centre_total=Count("delivery_centers", distinct=True),
                # Valid or expiring: verified and not yet expired.
                valid_certification_total=Count(
                    "certifications",
                    filter=Q(certifications__verified_at__isnull=False)
                    & (
                        Q(certifications__expires_on__isnull=True)
                        | Q(certifications__expires_on__gte=timezone.localdate())
                    ),
                    distinct=True,
                ),
            )
        )

    def lifecycle_form(self, request, obj, action, data=None):
        return BlockForm(data) if action == "block" else ConfirmForm(data)

    def perform(self, request, obj, action, data):
        provider = provider_perform(provider=obj, action=action, by=request.user, reason=data.get("reason", ""))
        return f"{provider}: {provider.get_status_display().lower()}."

    @admin.display(description="Delivery options")
    def delivery_options_display(self, obj):
        return ", ".join(LocationClass(option).label for option in obj.delivery_options) or "—"

    @admin.display(description="Centres", ordering="centre_total")
    def centre_count(self, obj):
        return obj.centre_total

    @admin.display(description="Valid certs", ordering="valid_certification_total")
    def valid_certifications(self, obj):
        return obj.valid_certification_total


@admin.register(DeliveryCenter)
class DeliveryCenterAdmin(HistoryAdmin):
    list_display = ["city", "country", "provider", "headcount", "time_zone", "location_class_display"]
    list_filter = ["country"]
    search_fields = ["city", "provider__name"]
    autocomplete_fields = ["provider"]
    list_select_related = ["provider"]

    @admin.display(description="Location class")
    def location_class_display(self, obj):
        return LocationClass(obj.location_class).label


@admin.register(IndustryExperience)
class IndustryExperienceAdmin(admin.ModelAdmin):
    list_display = ["provider", "industry", "years", "reference_clients"]
    list_filter = ["industry"]
    search_fields = ["provider__name", "industry__name"]
    autocomplete_fields = ["provider", "industry"]
    list_select_related = ["provider", "industry"]


class CertificationStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return CertificationStatus.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.with_status().filter(computed_status=self.value())
        return queryset


@admin.register(ProviderCertification)
class ProviderCertificationAdmin(HistoryAdmin):
    list_display = [
        "certification_type",
        "provider",
        "certificate_id",
        "issuer",
        "expires_on",
        "status_display",
        "verified_by",
    ]
    list_filter = [CertificationStatusFilter, "certification_type", "certification_type__category"]
    search_fields = ["provider__name", "certificate_id", "issuer", "certification_type__code"]
    autocomplete_fields = ["provider", "certification_type", "verified_by"]
    list_select_related = ["provider", "certification_type", "verified_by"]
    date_hierarchy = "expires_on"

    @admin.display(description="Status")
    def status_display(self, obj):
        return CertificationStatus(obj.status).label


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "provider", "role", "email", "phone"]
    search_fields = ["name", "email", "provider__name"]
    autocomplete_fields = ["provider"]
    list_select_related = ["provider"]


@admin.register(ProviderImport)
class ProviderImportAdmin(admin.ModelAdmin):
    """Imports are made, previewed and applied in the browser (`vendors.imports`); here they are read."""

    list_display = ["file_name", "status", "uploaded_by", "uploaded_at", "applied_at", "new_count", "corrected_count"]
    list_filter = ["status"]
    search_fields = ["file_name", "uploaded_by__username"]
    list_select_related = ["uploaded_by"]
    date_hierarchy = "uploaded_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
