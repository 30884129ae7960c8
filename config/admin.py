"""The admin goes through the same services as the browser.

`LifecycleAdminMixin`: a model's status is read-only and changes only through the actions its
`lifecycle.py` declares, each calling the app's service (a button per action on the change page,
with a form where the action asks for something, and list actions for those that need nothing).
Fields the record's state locks are read-only too, and a save never writes a read-only field
behind the service's back (the history is for reading: see `HistoryAdmin`).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from simple_history.admin import SimpleHistoryAdmin

from config.lifecycle import Lifecycle
from config.models import ApiToken
from config.tokens import token_revoke
from config.viewsets import ConfirmForm, add_errors, positive_int


class ReadOnlyAdminMixin:
    """Records the admin only reads: they are written by their own pages, jobs or services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class HistoryAdmin(SimpleHistoryAdmin):
    """Every change is kept and every old version can be read; none is restored by "revert", which
    would save an old row past the services' rules (a status, a frozen target, a resolved flag).
    To change a record, edit it, where the rules are checked."""

    def revert_disabled(self, request, obj=None):
        return True

    def history_view(self, request, object_id, extra_context=None):
        if positive_int(str(object_id)) is None:
            raise Http404("No such record.")
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if positive_int(str(object_id)) is None or positive_int(str(version_id)) is None:
            raise Http404("No such version.")
        if request.method == "POST":
            self.message_user(
                request,
                "Old versions are kept for reading; none is restored. To change the record, edit it.",
                messages.ERROR,
            )
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_history", object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)


class RefusalAdminMixin:
    """A service's refusal raised while the admin saves or deletes (after the form was valid) rolls
    the change back and comes back as a message on the same page, never a server error."""

    def _refused(self, request, error: ValidationError):
        self.message_user(request, " ".join(error.messages), messages.ERROR)
        return redirect(request.get_full_path())

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            return self._refused(request, error)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as error:
            return self._refused(request, error)

    def changelist_view(self, request, extra_context=None):
        try:
            with transaction.atomic():  # a list action (e.g. delete selected) is all or nothing
                return super().changelist_view(request, extra_context)
        except ValidationError as error:
            return self._refused(request, error)


class LifecycleAdminMixin:
    lifecycle: Lifecycle
    status_fields: tuple[str, ...] = ("status",)
    change_form_template = "admin/lifecycle_change_form.html"

    # --- What a subclass says ------------------------------------------------------------------

    def locked_fields(self, obj) -> list[str]:
        """Fields the record's current state fixes (e.g. a started pilot's provider)."""
        return []

    def perform(self, request, obj, action: str, data: dict) -> str:
        """Run the action through the service; return what happened, or raise ValidationError."""
        raise NotImplementedError

    def lifecycle_form(self, request, obj, action: str, data=None) -> forms.Form:
        return ConfirmForm(data)

    def action_context(self, request, obj, action: str) -> dict:
        """More for the action page (the pilot's gate, say)."""
        return {}

    # --- Read-only status and locked fields ------------------------------------------------------

    def protected_fields(self, obj) -> list[str]:
        return list(dict.fromkeys([*self.status_fields, *(self.locked_fields(obj) if obj is not None else [])]))

    def get_readonly_fields(self, request, obj=None):
        return list(dict.fromkeys([*super().get_readonly_fields(request, obj), *self.protected_fields(obj)]))

    def locked_message(self, obj, labels: list[str]) -> str:
        """What a hand-made change of read-only fields is told."""
        return (
            f"Not changed: the {', '.join(labels)} of '{obj}' change only through its actions "
            f"({self.lifecycle.label(obj.status).lower()} now)."
        )

    def save_model(self, request, obj, form, change):
        if change:
            # The stored values of protected fields win, whatever the request carried in.
            current = type(obj).objects.get(pk=obj.pk)
            tried = []
            for name in self.protected_fields(current):
                field = obj._meta.get_field(name)
                if field.many_to_many:
                    continue
                sent = request.POST.get(name)
                if sent is not None and sent != str(field.value_from_object(current) or ""):
                    tried.append(str(field.verbose_name))
                setattr(obj, field.attname, getattr(current, field.attname))
            if tried:
                self.message_user(request, self.locked_message(current, tried), messages.ERROR)
        super().save_model(request, obj, form, change)

    # --- Actions ---------------------------------------------------------------------------------

    def lifecycle_url_name(self) -> str:
        opts = self.model._meta
        return f"{opts.app_label}_{opts.model_name}_lifecycle"

    def get_urls(self):
        return [
            path(
                "<int:object_id>/lifecycle/<str:action>/",
                self.admin_site.admin_view(self.lifecycle_view),
                name=self.lifecycle_url_name(),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = extra_context or {}
        obj = self.get_object(request, object_id)
        if obj is not None and self.has_change_permission(request, obj):
            extra_context["lifecycle_actions"] = [
                (t.label, reverse(f"admin:{self.lifecycle_url_name()}", args=[obj.pk, t.action]))
                for t in self.lifecycle.available(obj.status)
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def lifecycle_view(self, request, object_id: int, action: str):
        if action not in self.lifecycle or not self.lifecycle[action].manual:
            raise Http404("No such action.")
        obj = get_object_or_404(self.model, pk=object_id)
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        form = self.lifecycle_form(request, obj, action, request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                result = self.perform(request, obj, action, form.cleaned_data)
            except ValidationError as error:
                add_errors(form, error)
            else:
                self.message_user(request, result, messages.SUCCESS)
                return redirect(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", obj.pk)
        label = self.lifecycle[action].label
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "action_label": label,
            "allowed": self.lifecycle.allows(action, obj.status),
            "status_label": self.lifecycle.label(obj.status),
            "title": f"{label}: {obj}",
            **self.action_context(request, obj, action),
        }
        return TemplateResponse(request, "admin/lifecycle_action.html", context, status=400 if form.errors else 200)

    def perform_selected(self, request, queryset, action: str) -> None:
        """A list action: the same service for each selected record, each result reported."""
        for obj in queryset:
            try:
                result = self.perform(request, obj, action, {})
            except ValidationError as error:
                self.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)
            else:
                self.message_user(request, result, messages.SUCCESS)


def bulk_action(action: str, description: str):
    """An admin list action that runs the lifecycle action `action` on every selected record."""

    def run(modeladmin, request, queryset):
        modeladmin.perform_selected(request, queryset, action)

    run.__name__ = f"{action}_selected"
    run.short_description = description
    run.allowed_permissions = ("change",)
    return run


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Administrators see every token (never its secret) and revoke any; tokens are created by
    their owners on their own page, and revoked, never deleted: the history keeps who revoked it."""

    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["name", "user__username", "prefix"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "id"]
    actions = ["revoke"]

    @admin.action(description="Revoke the selected tokens")
    def revoke(self, request, queryset):
        revoked = sum(token_revoke(token=token, by=request.user) for token in queryset)
        self.message_user(request, f"{revoked} token{'s' if revoked != 1 else ''} revoked.")
