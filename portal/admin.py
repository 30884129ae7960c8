from django.contrib import admin

from config.admin import HistoryAdmin, ReadOnlyAdminMixin

from .models import LinkReminder, SubmissionLink
from .services import link_revoke


@admin.register(SubmissionLink)
class SubmissionLinkAdmin(ReadOnlyAdminMixin, HistoryAdmin):
    """Links are issued from the pilot's page (the secret goes to the contact by email and is never
    kept); here administrators see them all and revoke any. Revoked, never deleted: the history
    keeps who revoked it and when."""

    list_display = ["pilot", "contact", "sent_to", "issued_by", "issued_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["pilot__name", "contact__name", "sent_to"]
    list_select_related = ["pilot", "contact", "issued_by"]
    readonly_fields = [f.name for f in SubmissionLink._meta.fields if f.name != "id"]
    actions = ["revoke"]

    def has_revoke_permission(self, request):
        return request.user.has_perm("portal.change_submissionlink")

    @admin.action(description="Revoke the selected links", permissions=["revoke"])
    def revoke(self, request, queryset):
        revoked = sum(link_revoke(link=link, by=request.user) for link in queryset)
        self.message_user(request, f"{revoked} link{'s' if revoked != 1 else ''} revoked.")


@admin.register(LinkReminder)
class LinkReminderAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The record that keeps reminders to exactly one per contact, pilot and period; read-only."""

    list_display = ["contact", "pilot", "period_start", "status", "attempts", "sent_at"]
    list_filter = ["status"]
    search_fields = ["contact__name", "contact__email", "pilot__name"]
    list_select_related = ["contact", "pilot"]
    readonly_fields = [f.name for f in LinkReminder._meta.fields if f.name != "id"]
